"""``stream: true`` on ``POST /v1/messages``, interim: the whole upstream event
stream is read, assembled into one Message, guarded like a non-streamed answer,
and written out as a fresh stream of the checked Message. Every byte the client
reads has been through the output guards, at the cost of time-to-first-token;
the policy's ``streaming.mode`` is not consulted (no window, audit or
passthrough relay speaks Anthropic's events yet)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from .disconnect import while_connected
from .enforcement import StageOutcome
from .errors import UpstreamError
from .messages_api import assemble_message_events, decode_message_events, message_stream
from .payloads import PayloadShapeError
from .responses import DECISION_HEADER, combined_label, upstream_error_or_raw, upstream_headers

if TYPE_CHECKING:
    from .routes import GuardedEndpoint

__all__ = ["buffered_messages_stream"]

OUTPUT_HEADER = "x-sluicegate-output"  # as the streaming relay writes it


async def buffered_messages_stream(
    request: Request,
    endpoint: GuardedEndpoint,
    policy: Policy,
    info: RequestInfo,
    checked: StageOutcome,
    headers: dict[str, str],
    raw: bytes,
    record: dict[str, Any],
) -> Response:
    """The relay's signature: forward ``raw``, guard the assembled answer with
    ``endpoint.check_answer``, answer with a stream of what the policy left."""
    services = endpoint.services
    started = time.perf_counter()
    upstream = await while_connected(
        request,
        services.upstream.send("POST", endpoint.path, headers=headers, content=raw, stream=True),
    )
    reply_headers = upstream_headers(upstream.headers)
    try:
        if upstream.status_code >= 400:
            content = await services.upstream.read(upstream)
            return upstream_error_or_raw(
                upstream.status_code, content, reply_headers, checked.decision.label
            )
        content_type = upstream.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            raise UpstreamError(
                f"upstream answered a streaming request with {content_type or 'no type'}, "
                "not text/event-stream"
            )
        body = await while_connected(request, services.upstream.read(upstream))
    finally:
        await upstream.aclose()
    record["upstream_latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
    try:
        answer = assemble_message_events(decode_message_events(body))
    except PayloadShapeError as exc:
        raise UpstreamError(f"upstream stream cannot be guarded: {exc}") from None
    output = await endpoint.check_answer(answer, policy, info)
    if services.audit.enabled:
        record["output"] = output.audit(log_text=services.config.audit.log_text)
    reply_headers[DECISION_HEADER] = combined_label(checked.decision, output.decision)
    reply_headers[OUTPUT_HEADER] = "buffered"
    return Response(message_stream(answer), 200, reply_headers, media_type="text/event-stream")
