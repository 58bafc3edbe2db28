"""HTTP handlers: parse, guard the input, forward, guard the output, answer."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..policies.decisions import Action, PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from ..policies.schema import BlockResponse
from .errors import ClientError, UpstreamError
from .payloads import (
    TextBundle,
    apply_output,
    chat_input_bundles,
    chat_output_bundle,
    completion_output_bundle,
    prompt_input_bundles,
)
from .policy_store import POLICY_HEADER
from .responses import (
    DECISION_HEADER,
    REQUEST_ID_HEADER,
    blocked_completion,
    blocked_stream,
    combined_label,
    error_response,
    json_response,
    upstream_error_or_raw,
    upstream_headers,
)
from .services import GatewayServices
from .streaming import StreamRelay

__all__ = ["GuardedEndpoint", "audited", "passthrough", "read_json_body"]

logger = logging.getLogger("sluicegate.proxy")
_RULE_HEADER_PREFIXES = ("x-",)
_PRIVATE_HEADERS = frozenset({"authorization", "x-sluicegate-key", "cookie", "x-api-key"})


async def read_json_body(request: Request, limit: int) -> Any:
    """The body as JSON, or a ClientError: 413 over ``limit``, 400 for bad bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientError("client disconnected while sending the body") from None
    raw = b"".join(chunks)
    if not raw:
        raise ClientError("request body is empty; expected a JSON object", code="invalid_json")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClientError(
            f"request body is not valid UTF-8 (byte {exc.start})", code="invalid_utf8"
        ) from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ClientError(f"request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ClientError("request body must be a JSON object", code="invalid_json")
    return body, raw


def _too_large(limit: int) -> ClientError:
    return ClientError(
        f"request body exceeds the gateway's limit of {limit} bytes",
        status_code=413,
        code="request_too_large",
    )


def _field(body: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    """``body[name]`` checked against ``kind``; absent or null gives ``default``."""
    value = body.get(name)
    if value is None:
        return default
    # bool is an int subclass in Python but not in JSON's eyes.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ClientError(
            f"'{name}' must be of type {kind.__name__}", param=name, code="invalid_type"
        )
    return value


class GuardedEndpoint:
    """One OpenAI endpoint: ``kind`` is ``chat``, ``text`` or ``embeddings``."""

    def __init__(self, services: GatewayServices, path: str, kind: str) -> None:
        self.services = services
        self.path = path
        self.kind = kind
        self.relay = StreamRelay(services)

    def input_bundles(self, body: dict[str, Any], policy: Policy) -> list[TextBundle]:
        if self.kind == "chat":
            return chat_input_bundles(body, policy.spec.input_scope, policy.spec.input_roles)
        return prompt_input_bundles(body, "prompt" if self.kind == "text" else "input")

    async def handle(self, request: Request) -> Response:
        return await audited(self.services, self.path, request, self._handle)

    async def _handle(self, request: Request, request_id: str, record: dict[str, Any]) -> Response:
        services = self.services
        identity = services.keys.identify(request.headers)
        body, raw = await read_json_body(request, services.config.max_body_bytes)
        model = _field(body, "model", str, "")
        stream = _field(body, "stream", bool, False) and self.kind != "embeddings"
        user = _field(body, "user", str, "")
        metadata = _field(body, "metadata", dict, {})
        policy = services.store.select(
            route=self.path,
            model=model,
            key_name=identity.name,
            key_policy=identity.policy,
            header=request.headers.get(POLICY_HEADER),
        )
        record.update(
            policy=policy.name,
            policy_digest=policy.digest,
            model=model,
            client=identity.name,
            stream=stream,
        )
        info = RequestInfo(
            route=self.path,
            model=model,
            user=user,
            metadata={str(k): str(v) for k, v in metadata.items()},
            headers={
                k: v
                for k, v in request.headers.items()
                if k.startswith(_RULE_HEADER_PREFIXES) and k not in _PRIVATE_HEADERS
            },
        )
        log_text = services.config.audit.log_text
        checked = await services.input_stage.check(policy, self.input_bundles(body, policy), info)
        if services.audit.enabled:
            record["input"] = checked.audit(log_text=log_text)
        decision = checked.decision
        if decision.action is Action.BLOCK:
            return self._blocked(policy, decision, request_id, model, stream)
        if decision.action is Action.REDACT:
            checked.apply_redactions(body)
            raw = orjson.dumps(body)
        headers = services.upstream.forward_headers(
            request.headers, strip_authorization=identity.from_authorization
        )
        if stream:
            return await self.relay.relay(
                self, policy, info, checked, headers, raw, request_id, record
            )
        upstream_started = time.perf_counter()
        upstream = await services.upstream.send("POST", self.path, headers=headers, content=raw)
        record["upstream_latency_ms"] = round((time.perf_counter() - upstream_started) * 1000, 3)
        reply_headers = upstream_headers(upstream.headers)
        if upstream.status_code >= 400 or self.kind == "embeddings":
            return upstream_error_or_raw(
                upstream.status_code, upstream.content, reply_headers, decision.label
            )
        try:
            answer = orjson.loads(upstream.content)
            choices = answer["choices"]
            assert isinstance(choices, list)
        except (orjson.JSONDecodeError, KeyError, TypeError, AssertionError):
            raise UpstreamError("upstream answered with a body that is not a completion") from None
        output = await services.output_stage.check(
            policy, [self.output_bundle(c, i) for i, c in enumerate(choices)], info
        )
        if services.audit.enabled:
            record["output"] = output.audit(log_text=log_text)
        reply_headers[DECISION_HEADER] = combined_label(decision, output.decision)
        if output.decision.action in (Action.ALLOW, Action.ESCALATE):
            return Response(
                upstream.content, upstream.status_code, reply_headers, media_type="application/json"
            )
        apply_output(answer, output, self.kind)
        return json_response(answer, upstream.status_code, reply_headers)

    def output_bundle(self, choice: Any, index: int) -> TextBundle:
        if not isinstance(choice, dict):
            return TextBundle(())
        if self.kind == "chat":
            return chat_output_bundle(choice, index)
        return completion_output_bundle(choice, index)

    def _blocked(
        self, policy: Policy, decision: PolicyDecision, request_id: str, model: str, stream: bool
    ) -> Response:
        message = decision.message or policy.spec.block_message
        headers = {DECISION_HEADER: decision.label}
        if policy.spec.block_response is BlockResponse.MESSAGE and self.kind != "embeddings":
            if stream:
                return Response(
                    blocked_stream(self.kind, request_id, model, message),
                    200,
                    headers,
                    media_type="text/event-stream",
                )
            return json_response(
                blocked_completion(self.kind, request_id, model, message), 200, headers
            )
        return error_response(400, message, code="content_filter", headers=headers)


Handler = Callable[[Request, str, dict[str, Any]], Awaitable[Response]]


async def audited(
    services: GatewayServices, route: str, request: Request, handler: Handler
) -> Response:
    """Run ``handler`` with a request id and an audit record; turn errors into
    OpenAI-shaped responses; write the record unless the handler deferred it
    (a stream writes its own when it ends)."""
    started = time.perf_counter()
    request_id = uuid.uuid4().hex
    record: dict[str, Any] = {"request_id": request_id, "route": route}
    try:
        response = await handler(request, request_id, record)
    except ClientError as exc:
        response = error_response(
            exc.status_code, str(exc), error_type=exc.error_type, code=exc.code, param=exc.param
        )
    except UpstreamError as exc:
        response = error_response(exc.status_code, str(exc), error_type="api_error", code=exc.code)
    except Exception as exc:
        logger.exception("unexpected error on %s", route)
        record["error"] = f"{type(exc).__name__}: {exc}"
        response = error_response(
            500, "internal gateway error", error_type="api_error", code="internal_error"
        )
    if not record.pop("deferred", False):
        record["status"] = response.status_code
        record["total_ms"] = round((time.perf_counter() - started) * 1000, 3)
        services.audit.write(record)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def passthrough(services: GatewayServices) -> Callable[[Request], Awaitable[Response]]:
    """Forward a request unguarded (``GET /v1/models`` and configured paths)."""

    async def forward(request: Request, request_id: str, record: dict[str, Any]) -> Response:
        identity = services.keys.identify(request.headers)
        content = await request.body()
        if len(content) > services.config.max_body_bytes:
            raise _too_large(services.config.max_body_bytes)
        headers = services.upstream.forward_headers(
            request.headers, strip_authorization=identity.from_authorization
        )
        upstream_started = time.perf_counter()
        upstream = await services.upstream.send(
            request.method,
            request.url.path,
            headers=headers,
            content=content or None,
            params=request.url.query,
        )
        record.update(
            client=identity.name,
            decision="unguarded",
            upstream_latency_ms=round((time.perf_counter() - upstream_started) * 1000, 3),
        )
        reply_headers = upstream_headers(upstream.headers)
        reply_headers[DECISION_HEADER] = "unguarded"
        return Response(
            upstream.content,
            upstream.status_code,
            reply_headers,
            media_type=upstream.headers.get("content-type"),
        )

    async def handler(request: Request) -> Response:
        return await audited(services, request.url.path, request, forward)

    return handler
