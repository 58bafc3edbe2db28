"""One ASGI middleware builds every request's audit record: it gives the
request its id, hands the record to the route (``request.state.audit``),
answers errors the route raised in the route's own error shape, and writes
the line once the response has gone out, streams included."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..http.errors import exception_response
from ..http.responses import (
    CLIENT_REQUEST_ID_HEADER,
    REQUEST_ID_HEADER,
    UPSTREAM_REQUEST_ID_HEADER,
)
from ..http.routing import error_bodies
from .metrics import GatewayMetrics
from .record import AuditRecord
from .sinks import AuditSink

__all__ = ["AuditMiddleware", "audit_record"]

logger = logging.getLogger("sluicegate.proxy")
_STATE_KEY = "audit"


def _route_template(scope: Scope) -> str:
    """The matched route's path template: a bounded metrics label, unlike the
    raw path (``/v1/models/{model:path}``, not each model id)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def audit_record(request: Request) -> AuditRecord:
    """The record :class:`AuditMiddleware` made for ``request``."""
    record = request.scope.get("state", {}).get(_STATE_KEY)
    if not isinstance(record, AuditRecord):
        raise RuntimeError("no audit record: the app is not wrapped in AuditMiddleware")
    return record


class AuditMiddleware:
    """Lines are written for requests whose route claimed the record (set
    ``record.route``); health checks, preflights and unknown paths are not
    audited. ``spawn`` runs work after the response (an ``audit``-mode
    stream's check) and holds it until it ends."""

    def __init__(
        self,
        app: ASGIApp,
        sink: AuditSink,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.app = app
        self.sink = sink
        self.spawn = spawn
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = AuditRecord(request_id=uuid.uuid4().hex)
        client_id = Headers(scope=scope).get(CLIENT_REQUEST_ID_HEADER)
        record.client_request_id = client_id
        scope.setdefault("state", {})[_STATE_KEY] = record
        response_started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                record.status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = record.request_id
                if client_id is not None:
                    # The client's id wins the common header (clients correlate
                    # their logs by it); an upstream's own id is kept beside it.
                    upstream_id = headers.get(CLIENT_REQUEST_ID_HEADER)
                    if upstream_id is not None and upstream_id != client_id:
                        headers[UPSTREAM_REQUEST_ID_HEADER] = upstream_id
                    headers[CLIENT_REQUEST_ID_HEADER] = client_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        except Exception as exc:
            # Errors the routes expect are answered inside (the app's exception
            # handlers); what reaches here is a bug, answered in the route's shape.
            logger.exception("unexpected error on %s", scope.get("path"))
            record.error = f"{type(exc).__name__}: {exc}"
            if response_started:
                record.stream_status = record.stream_status or "failed mid-response"
            else:
                response = exception_response(
                    exc, error_bodies(scope), scope["method"], scope["path"]
                )
                await response(scope, receive, send_with_ids)
        finally:
            self._finish(record, started, _route_template(scope))

    def _finish(self, record: AuditRecord, started: float, route: str) -> None:
        if record.route is None:
            if record.pending is not None:
                self.spawn(record.pending)
            return
        record.total_ms = round((time.perf_counter() - started) * 1000, 3)
        if record.pending is None:
            self._account(record, route)
            return
        pending = record.pending

        async def then_account() -> None:
            try:
                await pending
            finally:
                self._account(record, route)

        self.spawn(then_account())

    def _account(self, record: AuditRecord, route: str) -> None:
        if self.sink.enabled:
            self.sink.write(record.to_json())
        if self.metrics is not None:
            self.metrics.observe(record, route)
