"""``stream: true`` requests; the policy's ``streaming.mode`` picks:

* ``window`` (default): text is released only after the output guards have
  read it, window by window (:mod:`sluicegate.proxy.window_stream`).
* ``buffer``: read the whole upstream stream, guard the assembled answer, then
  release it (re-encoded when allowed, rebuilt when redacted or blocked).
  Strictest, at the cost of time-to-first-token.
* ``audit``: relay at once, guard in the background, record the decision
  when the stream ends (optionally cut the stream on a block). Not protective.
* ``passthrough``: relay chunks as they come with input guards applied but
  **output unguarded**; the response says so in ``x-sluicegate-output`` and the
  audit line records ``output: unguarded``. Never silent.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..policies.decisions import Action
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from ..policies.schema import StreamingMode
from .audit_stream import AuditedStream
from .disconnect import while_connected
from .enforcement import StageOutcome
from .errors import UpstreamError
from .payloads import PayloadShapeError
from .responses import DECISION_HEADER, combined_label, upstream_error_or_raw, upstream_headers
from .responses_api import decode_response_event, response_stream
from .responses_stream import ResponsesWindowStream
from .sse import SSEFormatError, assemble, encode_event, parse_events
from .window_stream import WindowedStream

if TYPE_CHECKING:
    from .routes import GuardedEndpoint
    from .services import GatewayServices

__all__ = ["OUTPUT_HEADER", "StreamRelay"]

OUTPUT_HEADER = "x-sluicegate-output"
_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class StreamRelay:
    def __init__(self, services: GatewayServices) -> None:
        self.services = services

    async def relay(
        self,
        request: Request,
        endpoint: GuardedEndpoint,
        policy: Policy,
        info: RequestInfo,
        checked: StageOutcome,
        headers: dict[str, str],
        raw: bytes,
        record: dict[str, Any],
    ) -> Response:
        upstream_started = time.perf_counter()
        upstream = await while_connected(
            request,
            self.services.upstream.send(
                "POST", endpoint.path, headers=headers, content=raw, stream=True
            ),
        )
        reply_headers = upstream_headers(upstream.headers)
        if upstream.status_code >= 400:
            try:
                content = await self.services.upstream.read(upstream)
            finally:
                await upstream.aclose()
            return upstream_error_or_raw(
                upstream.status_code, content, reply_headers, checked.decision.label
            )
        if policy.spec.streaming.mode is StreamingMode.PASSTHROUGH:
            reply_headers[DECISION_HEADER] = checked.decision.label
            reply_headers[OUTPUT_HEADER] = "unguarded"
            record["output"] = {
                "decision": "unguarded",
                "reason": "streaming passthrough: output guards not applied",
            }
            record["deferred"] = True  # written when the stream ends
            return StreamingResponse(
                self._passthrough(upstream, record, upstream_started),
                200,
                reply_headers,
                media_type="text/event-stream",
            )
        mode = policy.spec.streaming.mode
        if endpoint.kind == "responses" and mode is StreamingMode.WINDOW:
            content_type = upstream.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                await upstream.aclose()
                raise _not_a_stream(content_type)
            reply_headers[DECISION_HEADER] = checked.decision.label
            reply_headers[OUTPUT_HEADER] = "window"
            record["deferred"] = True

            async def check_answer(answer: Any) -> StageOutcome:
                return await endpoint.check_answer(answer, policy, info)

            windowed_responses = ResponsesWindowStream(
                policy,
                self.services.output_stage,
                info,
                record,
                self.services.audit.write,
                self.services.upstream.max_response_bytes,
                check_answer,
            )
            return StreamingResponse(
                windowed_responses.relay(upstream, upstream_started),
                200,
                reply_headers,
                media_type="text/event-stream",
            )
        if endpoint.kind == "responses":
            # buffer, and audit (not built for Responses): guarded whole.
            return await self._buffered_responses(
                request, upstream, endpoint, policy, info, checked, record, upstream_started
            )
        if mode in (StreamingMode.WINDOW, StreamingMode.AUDIT):
            content_type = upstream.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                await upstream.aclose()
                raise _not_a_stream(content_type)
            reply_headers[DECISION_HEADER] = checked.decision.label
            reply_headers[OUTPUT_HEADER] = mode.value
            record["deferred"] = True  # written when the stream ends
            services = self.services
            args = (
                policy,
                endpoint.kind,
                services.output_stage,
                info,
                record,
                services.audit.write,
                services.upstream.max_response_bytes,
            )
            relayed: WindowedStream | AuditedStream = (
                WindowedStream(*args)
                if mode is StreamingMode.WINDOW
                else AuditedStream(*args, services.spawn)
            )
            return StreamingResponse(
                relayed.relay(upstream, upstream_started),
                200,
                reply_headers,
                media_type="text/event-stream",
            )
        return await self._buffered(
            request, upstream, endpoint, policy, info, checked, record, upstream_started
        )

    async def _read_stream(
        self, request: Request, upstream: httpx.Response, record: dict[str, Any], started: float
    ) -> bytes:
        """The whole upstream event stream (capped; cancelled if the client leaves)."""
        try:
            content_type = upstream.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                raise _not_a_stream(content_type)
            body = await while_connected(request, self.services.upstream.read(upstream))
        finally:
            await upstream.aclose()
        record["upstream_latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return body

    async def _buffered(
        self,
        request: Request,
        upstream: httpx.Response,
        endpoint: GuardedEndpoint,
        policy: Policy,
        info: RequestInfo,
        checked: StageOutcome,
        record: dict[str, Any],
        started: float,
    ) -> Response:
        reply_headers = upstream_headers(upstream.headers)
        body = await self._read_stream(request, upstream, record, started)
        try:
            assembled = assemble(parse_events(body), endpoint.kind)
        except SSEFormatError as exc:
            raise UpstreamError(str(exc)) from None
        answer = {"choices": assembled.as_response_choices()}
        output = await endpoint.check_answer(answer, policy, info)
        if self.services.audit.enabled:
            record["output"] = output.audit(log_text=self.services.config.audit.log_text)
        reply_headers[DECISION_HEADER] = combined_label(checked.decision, output.decision)
        reply_headers[OUTPUT_HEADER] = "buffered"
        if output.decision.action is Action.ALLOW:
            # Re-encoded from the parsed events: what the client reads is what
            # the guards read, whatever the upstream's bytes looked like.
            return Response(assembled.replay(), 200, reply_headers, media_type="text/event-stream")
        replacement = assembled.replacement(answer["choices"])
        return Response(replacement, 200, reply_headers, media_type="text/event-stream")

    async def _buffered_responses(
        self,
        request: Request,
        upstream: httpx.Response,
        endpoint: GuardedEndpoint,
        policy: Policy,
        info: RequestInfo,
        checked: StageOutcome,
        record: dict[str, Any],
        started: float,
    ) -> Response:
        """Read the whole event stream, guard the final response object, then
        replay the events (allowed) or write a fresh stream of the rewritten
        response (redacted or blocked)."""
        reply_headers = upstream_headers(upstream.headers)
        body = await self._read_stream(request, upstream, record, started)
        try:
            events = [e for e in map(decode_response_event, parse_events(body)) if e is not None]
        except PayloadShapeError as exc:
            raise UpstreamError(str(exc)) from None
        finals = [e for e in events if e["type"] in _FINAL_EVENTS]
        if not finals or not isinstance(finals[-1].get("response"), dict):
            raise UpstreamError("upstream stream ended without a final response")
        answer = finals[-1]["response"]
        output = await endpoint.check_answer(answer, policy, info)
        if self.services.audit.enabled:
            record["output"] = output.audit(log_text=self.services.config.audit.log_text)
        reply_headers[DECISION_HEADER] = combined_label(checked.decision, output.decision)
        reply_headers[OUTPUT_HEADER] = "buffered"
        if output.decision.action is Action.ALLOW:
            replay = b"".join(
                b"event: " + e["type"].encode() + b"\n" + encode_event(e) for e in events
            )
            return Response(replay, 200, reply_headers, media_type="text/event-stream")
        return Response(response_stream(answer), 200, reply_headers, media_type="text/event-stream")

    async def _passthrough(
        self, upstream: Any, record: dict[str, Any], started: float
    ) -> AsyncIterator[bytes]:
        status = "complete"
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except Exception as exc:
            status = f"upstream failed mid-stream: {type(exc).__name__}"
        finally:
            # Reached on normal end, upstream failure and client disconnect
            # (cancellation) alike: close upstream at once, then audit.
            await upstream.aclose()
            record["stream_status"] = status
            record["upstream_latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            record["status"] = 200
            record.pop("deferred", None)
            self.services.audit.write(record)


def _not_a_stream(content_type: str) -> UpstreamError:
    return UpstreamError(
        f"upstream answered a streaming request with {content_type or 'no type'}, "
        "not text/event-stream"
    )
