"""The guarded LLM endpoints: parse, guard the input, forward, guard the
output, answer. One class for every endpoint family; the family (see
:mod:`..payloads`) says how its bodies are read and written."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...policies.engine import RequestInfo
from ...policies.policy import Policy
from ...policies.schema import BlockResponse
from ..audit import AuditRecord, audit_record
from ..enforcement.checks import CheckedOutput
from ..enforcement.request import request_info
from ..http.bodies import body_field, read_json_body
from ..http.disconnect import while_connected
from ..http.errors import ClientError, UpstreamError
from ..http.responses import (
    BLOCKED_HEADER,
    DECISION_HEADER,
    combined_label,
    json_response,
    upstream_error_or_raw,
    upstream_headers,
)
from ..payloads.bundles import PayloadShapeError, TextBundle
from ..payloads.family import PayloadFamily
from ..payloads.kinds import EndpointKind
from ..payloads.tokens import TokenizerRegistry
from ..policy_store import POLICY_HEADER
from ..services import GatewayServices
from ..streaming import StreamRelay

__all__ = ["GuardedEndpoint"]


class GuardedEndpoint:
    """One guarded endpoint at ``path``, reading bodies as ``family`` does."""

    def __init__(
        self,
        services: GatewayServices,
        path: str,
        family: PayloadFamily,
        tokenizers: TokenizerRegistry | None = None,
    ) -> None:
        self.services = services
        self.path = path
        self.family = family
        self.tokenizers = tokenizers  # reads token-id prompts and embedding inputs
        self.relay = StreamRelay(services)

    @property
    def kind(self) -> EndpointKind:
        return self.family.kind

    def input_bundles(self, body: dict[str, Any], policy: Policy) -> list[TextBundle]:
        model = body.get("model")
        tokenizer = (
            self.tokenizers.for_model(model)
            if self.tokenizers is not None and isinstance(model, str)
            else None
        )
        try:
            return self.family.input_bundles(body, policy.spec, tokenizer)
        except PayloadShapeError as exc:
            code = "missing_field" if str(exc).endswith("is required") else "invalid_request"
            raise ClientError(str(exc), param=exc.param, code=code) from None

    async def handle(self, request: Request) -> Response:
        services = self.services
        record = audit_record(request)
        record.route = self.path
        identity = services.keys.identify(request.headers)
        body = await read_json_body(request, services.config.max_body_bytes)
        model = body_field(body, "model", str, "")
        # Embeddings have no stream: their ``stream`` is relayed, not acted on.
        stream = body_field(body, "stream", bool, False) and self.family.guards_output
        user = body_field(body, "user", str, "")
        metadata = body_field(body, "metadata", dict, {})
        policy = services.store.select(
            route=self.path,
            model=model,
            key_name=identity.name,
            key_policy=identity.policy,
            header=request.headers.get(POLICY_HEADER),
        )
        record.policy, record.policy_digest = policy.name, policy.digest
        record.model, record.client, record.stream = model, identity.name, stream
        info = request_info(self.path, model, user, metadata, request.headers)
        log_text = services.config.audit.log_text
        checked = await services.input_check.run(
            policy, self.input_bundles(body, policy), info, body
        )
        if services.records_stages:
            record.input = checked.outcome.audit(log_text=log_text)
        decision = checked.decision
        if not checked.passed:
            return self._blocked(policy, decision.message, decision.label, record, stream, body)
        # Always forward what the guards read, re-encoded: the client's bytes may
        # hold duplicate keys that another parser would resolve differently.
        raw = orjson.dumps(body)
        headers = services.upstream.forward_headers(request.headers, strip=identity.gateway_headers)
        if stream:
            return await self.relay.relay(
                request, self.kind, self.path, policy, info, decision, headers, raw, record
            )
        upstream_started = time.perf_counter()
        upstream = await while_connected(
            request, services.upstream.send("POST", self.path, headers=headers, content=raw)
        )
        record.upstream_latency_ms = round((time.perf_counter() - upstream_started) * 1000, 3)
        reply_headers = upstream_headers(upstream.headers)
        if upstream.status_code >= 400 or not self.family.guards_output:
            return upstream_error_or_raw(
                upstream.status_code, upstream.content, reply_headers, decision.label
            )
        try:
            answer = orjson.loads(upstream.content)
        except orjson.JSONDecodeError:
            raise UpstreamError("upstream answered with a body that is not JSON") from None
        output = await self.check_answer(answer, policy, info)
        if services.records_stages:
            record.output = output.outcome.audit(log_text=log_text)
        reply_headers[DECISION_HEADER] = combined_label(decision, output.decision)
        if output.blocked:
            reply_headers[BLOCKED_HEADER] = "output"
        # Re-encoded even when allowed, for the same reason as the request.
        return json_response(answer, upstream.status_code, reply_headers)

    async def check_answer(self, answer: Any, policy: Policy, info: RequestInfo) -> CheckedOutput:
        """Run the output check on a whole answer, applying its decision in place."""
        try:
            return await self.services.output_check.run(policy, self.family, answer, info)
        except PayloadShapeError as exc:
            raise UpstreamError(f"upstream answer has an unexpected shape: {exc}") from None

    def _blocked(
        self,
        policy: Policy,
        rule_message: str | None,
        label: str,
        record: AuditRecord,
        stream: bool,
        body: dict[str, Any],
    ) -> Response:
        """The answer to a blocked input: a content-policy 400 that SDKs map to
        their content-filter exception, or, with ``block_response: message``, a
        normal-looking answer (or finished stream) holding the message."""
        message = rule_message or policy.spec.block_message
        headers = {DECISION_HEADER: label, BLOCKED_HEADER: "input"}
        family = self.family
        if policy.spec.block_response is not BlockResponse.MESSAGE or not family.guards_output:
            return json_response(family.input_block_error(message), 400, headers)
        model = body.get("model") if isinstance(body.get("model"), str) else ""
        if stream:
            events = family.blocked_stream(record.request_id, str(model), message, body)
            return Response(events, 200, headers, media_type="text/event-stream")
        return json_response(
            family.blocked_answer(record.request_id, str(model), message), 200, headers
        )
