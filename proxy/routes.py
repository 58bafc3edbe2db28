"""HTTP handlers: parse, guard the input, forward, guard the output, answer."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..policies.decisions import Action, DecisionReason, PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from ..policies.schema import BlockResponse
from .answers import apply_output, output_bundle
from .disconnect import while_connected
from .enforcement import StageOutcome
from .errors import ClientDisconnected, ClientError, UpstreamError
from .kinds import EndpointKind
from .messages_api import (
    anthropic_error_response,
    apply_messages_output,
    blocked_message,
    message_stream,
    messages_input_bundles,
    messages_output_bundle,
)
from .payloads import (
    PayloadShapeError,
    RedactionConflict,
    TextBundle,
)
from .policy_store import POLICY_HEADER
from .prompts import chat_input_bundles, prompt_input_bundles
from .responses import (
    BLOCKED_HEADER,
    CLIENT_REQUEST_ID_HEADER,
    DECISION_HEADER,
    REQUEST_ID_HEADER,
    UPSTREAM_REQUEST_ID_HEADER,
    blocked_completion,
    blocked_stream,
    combined_label,
    content_policy_error,
    error_response,
    json_response,
    upstream_error_or_raw,
    upstream_headers,
)
from .responses_api import (
    apply_response_output,
    response_input_bundles,
    response_output_bundle,
)
from .services import GatewayServices
from .streaming import StreamRelay
from .tokens import TokenizerRegistry

__all__ = ["GuardedEndpoint", "audited", "passthrough", "read_json_body"]

logger = logging.getLogger("sluicegate.proxy")
_RULE_HEADER_PREFIXES = ("x-",)
_PRIVATE_HEADERS = frozenset({"authorization", "x-sluicegate-key", "cookie", "x-api-key"})
# The request field a blocked input is reported against (the error's ``param``).
_INPUT_FIELDS = {
    EndpointKind.CHAT: "messages",
    EndpointKind.COMPLETIONS: "prompt",
    EndpointKind.EMBEDDINGS: "input",
    EndpointKind.RESPONSES: "input",
}


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with a 413 as soon as it passes ``limit``."""
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
    return b"".join(chunks)


async def read_json_body(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object, or a ClientError: 413 over ``limit``, 400 for bad bytes."""
    raw = await read_body(request, limit)
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
    return body


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
    """One guarded endpoint; its kind decides how bodies and streams are read."""

    def __init__(
        self,
        services: GatewayServices,
        path: str,
        kind: EndpointKind,
        tokenizers: TokenizerRegistry | None = None,
    ) -> None:
        self.services = services
        self.path = path
        self.tokenizers = tokenizers  # reads token-id prompts and embedding inputs
        self.kind = EndpointKind(kind)
        self.relay = StreamRelay(services)

    def input_bundles(self, body: dict[str, Any], policy: Policy) -> list[TextBundle]:
        try:
            if self.kind == EndpointKind.CHAT:
                return chat_input_bundles(body, policy.spec.input_scope, policy.spec.input_roles)
            if self.kind == EndpointKind.RESPONSES:
                return response_input_bundles(body)
            if self.kind == EndpointKind.MESSAGES:
                spec = policy.spec
                return messages_input_bundles(body, spec.input_scope, spec.input_roles)
            model = body.get("model")
            tokenizer = (
                self.tokenizers.for_model(model)
                if self.tokenizers is not None and isinstance(model, str)
                else None
            )
            field = "prompt" if self.kind == EndpointKind.COMPLETIONS else "input"
            return prompt_input_bundles(body, field, tokenizer)
        except PayloadShapeError as exc:
            code = "missing_field" if str(exc).endswith("is required") else "invalid_request"
            raise ClientError(str(exc), param=exc.param, code=code) from None

    async def handle(self, request: Request) -> Response:
        errors = anthropic_error_response if self.kind == EndpointKind.MESSAGES else error_response
        return await audited(self.services, self.path, request, self._handle, errors)

    async def _handle(self, request: Request, request_id: str, record: dict[str, Any]) -> Response:
        services = self.services
        identity = services.keys.identify(request.headers)
        body = await read_json_body(request, services.config.max_body_bytes)
        model = _field(body, "model", str, "")
        stream = _field(body, "stream", bool, False) and self.kind != EndpointKind.EMBEDDINGS
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
        if decision.action is Action.REDACT:
            try:
                checked.apply_redactions(body)
            except RedactionConflict:
                decision = replace(
                    decision, action=Action.BLOCK, reason=DecisionReason.REDACTION_CONFLICT
                )
        if decision.action is not Action.ALLOW and decision.action is not Action.REDACT:
            return self._blocked(policy, decision, request_id, model, stream, body)
        # Always forward what the guards read, re-encoded: the client's bytes may
        # hold duplicate keys that another parser would resolve differently.
        raw = orjson.dumps(body)
        headers = services.upstream.forward_headers(
            request.headers, strip_authorization=identity.from_authorization
        )
        if stream:
            return await self.relay.relay(
                request, self.kind, self.path, policy, info, decision, headers, raw, record
            )
        upstream_started = time.perf_counter()
        upstream = await while_connected(
            request, services.upstream.send("POST", self.path, headers=headers, content=raw)
        )
        record["upstream_latency_ms"] = round((time.perf_counter() - upstream_started) * 1000, 3)
        reply_headers = upstream_headers(upstream.headers)
        if upstream.status_code >= 400 or self.kind == EndpointKind.EMBEDDINGS:
            return upstream_error_or_raw(
                upstream.status_code, upstream.content, reply_headers, decision.label
            )
        try:
            answer = orjson.loads(upstream.content)
        except orjson.JSONDecodeError:
            raise UpstreamError("upstream answered with a body that is not JSON") from None
        output = await self.check_answer(answer, policy, info)
        if services.audit.enabled:
            record["output"] = output.audit(log_text=log_text)
        reply_headers[DECISION_HEADER] = combined_label(decision, output.decision)
        if output.decision.action is Action.BLOCK:
            reply_headers[BLOCKED_HEADER] = "output"
        # Re-encoded even when allowed, for the same reason as the request.
        return json_response(answer, upstream.status_code, reply_headers)

    async def check_answer(self, answer: Any, policy: Policy, info: RequestInfo) -> StageOutcome:
        """Run the output stage on a whole answer and apply its decision in place."""
        try:
            if self.kind == EndpointKind.RESPONSES:
                if not isinstance(answer, dict):
                    raise PayloadShapeError("response is not an object")
                bundles = [response_output_bundle(answer)]
            elif self.kind == EndpointKind.MESSAGES:
                if not isinstance(answer, dict):
                    raise PayloadShapeError("message is not an object")
                bundles = [messages_output_bundle(answer)]
            else:
                choices = answer.get("choices") if isinstance(answer, dict) else None
                if not isinstance(choices, list):
                    raise PayloadShapeError("completion has no 'choices' list")
                bundles = [output_bundle(c, i, self.kind) for i, c in enumerate(choices)]
        except PayloadShapeError as exc:
            raise UpstreamError(f"upstream answer has an unexpected shape: {exc}") from None
        output = await self.services.output_stage.check(policy, bundles, info)
        if self.kind == EndpointKind.RESPONSES:
            apply_response_output(answer, output)
        elif self.kind == EndpointKind.MESSAGES:
            apply_messages_output(answer, output)
        else:
            apply_output(answer, output, self.kind)
        return output

    def _blocked(
        self,
        policy: Policy,
        decision: PolicyDecision,
        request_id: str,
        model: str,
        stream: bool,
        body: dict[str, Any],
    ) -> Response:
        """The answer to a blocked input: a content-policy 400 that SDKs map to
        their content-filter exception, or, with ``block_response: message``, a
        normal-looking completion (or finished stream) holding the message."""
        message = decision.message or policy.spec.block_message
        headers = {DECISION_HEADER: decision.label, BLOCKED_HEADER: "input"}
        if self.kind == EndpointKind.MESSAGES:
            if policy.spec.block_response is not BlockResponse.MESSAGE:
                return anthropic_error_response(400, message, headers=headers)
            blocked = blocked_message(request_id, model, message)
            if stream:
                events = message_stream(blocked)
                return Response(events, 200, headers, media_type="text/event-stream")
            return json_response(blocked, 200, headers)
        if (
            policy.spec.block_response is BlockResponse.MESSAGE
            and self.kind != EndpointKind.EMBEDDINGS
        ):
            if stream:
                options = body.get("stream_options")
                include_usage = isinstance(options, dict) and options.get("include_usage") is True
                return Response(
                    blocked_stream(
                        self.kind, request_id, model, message, include_usage=include_usage
                    ),
                    200,
                    headers,
                    media_type="text/event-stream",
                )
            return json_response(
                blocked_completion(self.kind, request_id, model, message), 200, headers
            )
        return content_policy_error(message, param=_INPUT_FIELDS[self.kind], headers=headers)


Handler = Callable[[Request, str, dict[str, Any]], Awaitable[Response]]


def _raw_path(request: Request) -> str:
    """The path as the client wrote it: a model id with an escaped ``/`` or
    space must reach the upstream escaped, not decoded."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path


async def audited(
    services: GatewayServices,
    route: str,
    request: Request,
    handler: Handler,
    format_error: Callable[..., Response] = error_response,
) -> Response:
    """Run ``handler`` with a request id and an audit record; turn errors into
    responses with ``format_error`` (OpenAI's shape unless the route speaks
    another API); write the record unless the handler deferred it (a stream
    writes its own when it ends)."""
    started = time.perf_counter()
    request_id = uuid.uuid4().hex
    record: dict[str, Any] = {"request_id": request_id, "route": route}
    client_request_id = request.headers.get(CLIENT_REQUEST_ID_HEADER)
    if client_request_id is not None:
        record["client_request_id"] = client_request_id
    try:
        response = await handler(request, request_id, record)
    except ClientError as exc:
        response = format_error(
            exc.status_code, str(exc), error_type=exc.error_type, code=exc.code, param=exc.param
        )
    except UpstreamError as exc:
        response = format_error(exc.status_code, str(exc), error_type="api_error", code=exc.code)
    except ClientDisconnected:
        record["error"] = "client disconnected; upstream call cancelled"
        response = Response(status_code=ClientDisconnected.status_code)  # nobody will read it
    except Exception as exc:
        logger.exception("unexpected error on %s", route)
        record["error"] = f"{type(exc).__name__}: {exc}"
        response = format_error(
            500, "internal gateway error", error_type="api_error", code="internal_error"
        )
    if not record.pop("deferred", False):
        record["status"] = response.status_code
        record["total_ms"] = round((time.perf_counter() - started) * 1000, 3)
        services.audit.write(record)
    response.headers[REQUEST_ID_HEADER] = request_id
    if client_request_id is not None:
        # The client's id wins the common header (clients correlate their logs by
        # it); an upstream's own id, if different, is kept beside it.
        upstream_id = response.headers.get(CLIENT_REQUEST_ID_HEADER)
        if upstream_id is not None and upstream_id != client_request_id:
            response.headers[UPSTREAM_REQUEST_ID_HEADER] = upstream_id
        response.headers[CLIENT_REQUEST_ID_HEADER] = client_request_id
    return response


def passthrough(services: GatewayServices) -> Callable[[Request], Awaitable[Response]]:
    """Forward a request unguarded (``GET /v1/models`` and configured paths)."""

    async def forward(request: Request, request_id: str, record: dict[str, Any]) -> Response:
        identity = services.keys.identify(request.headers)
        content = await read_body(request, services.config.max_body_bytes)
        headers = services.upstream.forward_headers(
            request.headers, strip_authorization=identity.from_authorization
        )
        upstream_started = time.perf_counter()
        upstream = await services.upstream.send(
            request.method,
            _raw_path(request),
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
