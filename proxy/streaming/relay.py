"""``stream: true`` requests: forward, then relay the upstream's events to the
client through one loop, whatever the protocol and the policy's mode.

The codec (per protocol) reads and writes events; :class:`GuardedStream`
applies the mode (``window``, ``buffer``, ``audit``). ``passthrough`` relays
the upstream's bytes as they come with **output unguarded**: the response says
so in ``x-sluicegate-output`` and the audit line records ``output:
unguarded``. Never silent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...policies.decisions import PolicyDecision
from ...policies.engine import RequestInfo
from ...policies.policy import Policy
from ...policies.schema import StreamingMode
from ..http.disconnect import while_connected
from ..http.errors import UpstreamError
from ..http.responses import DECISION_HEADER, upstream_error_or_raw, upstream_headers
from ..payloads.bundles import PayloadShapeError
from ..payloads.kinds import EndpointKind
from ..sse import SSEParser, decode_json
from ..upstream import raw_chunks
from .chat import ChatCodec
from .codec import StreamCodec
from .guarded import GuardedStream
from .messages import MessagesCodec
from .responses import ResponsesCodec

if TYPE_CHECKING:
    from ..audit.record import AuditRecord
    from ..services import GatewayServices

__all__ = ["OUTPUT_HEADER", "StreamRelay", "StreamStatus", "codec_for", "relay_events"]

logger = logging.getLogger("sluicegate.proxy")
OUTPUT_HEADER = "x-sluicegate-output"


def codec_for(kind: EndpointKind) -> StreamCodec:
    """A fresh codec for one stream of ``kind``."""
    if kind is EndpointKind.RESPONSES:
        return ResponsesCodec()
    if kind is EndpointKind.MESSAGES:
        return MessagesCodec()
    if kind in (EndpointKind.CHAT, EndpointKind.COMPLETIONS):
        return ChatCodec(kind)
    raise ValueError(f"{kind.value} answers are not streamed")


class StreamRelay:
    def __init__(self, services: GatewayServices) -> None:
        self.services = services

    async def relay(
        self,
        request: Request,
        kind: EndpointKind,
        path: str,
        policy: Policy,
        info: RequestInfo,
        input_decision: PolicyDecision,
        headers: dict[str, str],
        raw: bytes,
        record: AuditRecord,
    ) -> Response:
        codec = codec_for(kind)
        started = time.perf_counter()
        upstream = await while_connected(
            request,
            self.services.upstream.send("POST", path, headers=headers, content=raw, stream=True),
        )
        reply_headers = upstream_headers(upstream.headers)
        if upstream.status_code >= 400:
            try:
                content = await self.services.upstream.read(upstream)
            finally:
                await upstream.aclose()
            return upstream_error_or_raw(
                upstream.status_code, content, reply_headers, input_decision.label
            )
        content_type = upstream.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            await upstream.aclose()
            raise UpstreamError(
                f"upstream answered a streaming request with {content_type or 'no type'}, "
                "not text/event-stream"
            )
        mode = policy.spec.streaming.mode
        session = None
        if mode is not StreamingMode.PASSTHROUGH:
            session = GuardedStream(codec, policy, self.services.output_stage, info)
        status = StreamStatus()
        limit = self.services.upstream.max_response_bytes
        events = relay_events(upstream, codec, session, status, limit)
        # The headers wait for the first bytes the client may have: a stream
        # that fails before any (in buffer mode, before the whole check) is
        # still an HTTP error the SDKs raise, not a 200 with an error event.
        try:
            first = await while_connected(request, anext(events, b""))
        except BaseException:
            await events.aclose()
            raise
        if status.error is not None:
            await events.aclose()
            record.stream_status = status.text
            raise UpstreamError(status.error)
        reply_headers[DECISION_HEADER] = input_decision.label
        reply_headers[OUTPUT_HEADER] = "unguarded" if session is None else mode.value
        return StreamingResponse(
            self._events(first, events, session, status, record, started),
            200,
            reply_headers,
            media_type="text/event-stream",
        )

    async def _events(
        self,
        first: bytes,
        events: AsyncGenerator[bytes, None],
        session: GuardedStream | None,
        status: StreamStatus,
        record: AuditRecord,
        started: float,
    ) -> AsyncIterator[bytes]:
        try:
            async with aclosing(events):
                if first:
                    yield first
                async for out in events:
                    yield out
        finally:
            # Normal end, upstream failure and client disconnect (cancellation)
            # alike: the upstream is closed by now; the audit middleware writes
            # the line when the response is done.
            record.stream_status = status.text
            record.upstream_latency_ms = round((time.perf_counter() - started) * 1000, 3)
            if session is None:
                record.output = {
                    "decision": "unguarded",
                    "reason": "streaming passthrough: output guards not applied",
                }
            elif session.mode is StreamingMode.AUDIT:
                # The whole-answer check runs after the client has it all.
                record.finish_later(self._settled(session, record))
            else:
                record.output = session.record()

    async def _settled(self, session: GuardedStream, record: AuditRecord) -> None:
        try:
            await session.settle()
            record.output = {
                **session.record(),
                "mode": "audit (not protective: released before checking)",
            }
        except Exception as exc:  # the audit line must still be written
            record.output = {"decision": "error", "error": f"{type(exc).__name__}: {exc}"}


@dataclass
class StreamStatus:
    """How a relayed stream ended, for the audit line."""

    text: str = "client disconnected"  # unless the stream gets further
    error: str | None = None  # the message of the error event that ended it


async def relay_events(
    upstream: httpx.Response,
    codec: StreamCodec,
    session: GuardedStream | None,
    status: StreamStatus,
    max_bytes: int,
) -> AsyncGenerator[bytes, None]:
    """The one loop: upstream bytes in, client bytes out. ``session`` None
    relays the bytes as they come (``passthrough``)."""
    parser = SSEParser()
    size = 0
    try:
        async for data in raw_chunks(upstream):
            size += len(data)
            if size > max_bytes:
                raise UpstreamError(
                    f"upstream answer exceeds the gateway's limit of {max_bytes} bytes"
                )
            if session is None:
                yield data
                continue
            for payload in parser.feed(data):
                for out in await _relayed(payload, session):
                    yield codec.encode(out)
            if session.stopped:
                break
        if session is not None:
            for payload in parser.close():
                for out in await _relayed(payload, session):
                    yield codec.encode(out)
            for event in await session.finish():
                yield codec.encode(event)
            yield codec.trailer()
        status.text = "cut on block" if session is not None and session.stopped else "complete"
    except (PayloadShapeError, UpstreamError) as exc:
        status.text = f"upstream stream invalid: {exc}"
        status.error = str(exc)
    except httpx.HTTPError as exc:
        status.text = f"upstream failed mid-stream: {type(exc).__name__}"
        status.error = f"upstream failed mid-stream: {exc or type(exc).__name__}"
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        # An event of a shape nothing here expects: end the stream cleanly.
        logger.exception("unreadable upstream stream event")
        status.text = f"upstream stream invalid: {type(exc).__name__}: {exc}"
        status.error = "upstream sent an event the gateway cannot read"
    finally:
        await upstream.aclose()
    if status.error is not None:
        yield codec.error(status.error)


async def _relayed(payload: bytes, session: GuardedStream) -> list[dict[str, Any]]:
    event = decode_json(payload)
    if event is None:
        return []  # [DONE]: the codec writes its own trailer
    return await session.feed(event)
