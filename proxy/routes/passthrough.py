"""Unguarded routes: ``GET /v1/models`` and the configured passthrough paths,
forwarded as they are and audited as ``unguarded``."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from ..audit import audit_record
from ..http.bodies import read_body
from ..http.responses import DECISION_HEADER, upstream_headers
from ..services import GatewayServices

__all__ = ["PassthroughEndpoint"]


def _raw_path(request: Request) -> str:
    """The path as the client wrote it: a model id with an escaped ``/`` or
    space must reach the upstream escaped, not decoded."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path


class PassthroughEndpoint:
    def __init__(self, services: GatewayServices) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        services = self.services
        record = audit_record(request)
        record.route = request.url.path
        identity = services.keys.identify(request.headers)
        content = await read_body(request, services.config.max_body_bytes)
        headers = services.upstream.forward_headers(request.headers, strip=identity.gateway_headers)
        upstream_started = time.perf_counter()
        upstream = await services.upstream.send(
            request.method,
            _raw_path(request),
            headers=headers,
            content=content or None,
            params=request.url.query,
        )
        record.client = identity.name
        record.decision = "unguarded"
        record.upstream_latency_ms = round((time.perf_counter() - upstream_started) * 1000, 3)
        reply_headers = upstream_headers(upstream.headers)
        reply_headers[DECISION_HEADER] = "unguarded"
        return Response(
            upstream.content,
            upstream.status_code,
            reply_headers,
            media_type=upstream.headers.get("content-type"),
        )
