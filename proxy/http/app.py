"""The ASGI application: routes, error handling, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..audit import AuditLog, AuditMiddleware, audit_record
from ..config import DEMO_UPSTREAM, CorsConfig, GatewayConfig
from ..payloads import FAMILIES
from ..payloads.tokens import EncodingFactory, TokenizerRegistry
from ..policy_store import PolicyStore
from ..routes.guard_service import GuardServiceEndpoint
from ..routes.guarded import GuardedEndpoint
from ..routes.health import HealthEndpoint
from ..routes.metrics import MetricsEndpoint
from ..routes.passthrough import PassthroughEndpoint
from ..services import GatewayServices
from .errors import ClientDisconnected, ClientError, UpstreamError, exception_response
from .routing import GatewayRoute, error_bodies

__all__ = ["create_app"]


def create_app(
    config: GatewayConfig | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: PolicyStore | None = None,
    audit: AuditLog | None = None,
    encodings: EncodingFactory | None = None,
) -> Starlette:
    """Build the gateway. ``transport`` replaces the upstream connection (tests
    pass ``httpx.MockTransport``); ``upstream.url: demo`` serves the built-in
    demo model in-process. ``encodings`` loads the ``tokenizers:`` encodings
    (default: ``tiktoken.get_encoding``)."""
    config = config or GatewayConfig()
    base_url = None
    if transport is None and config.upstream.url == DEMO_UPSTREAM:
        from ..demo import create_demo_app

        transport = httpx.ASGITransport(app=create_demo_app())
        base_url = "http://demo.sluicegate"
    services = GatewayServices.build(
        config, store=store, audit=audit, transport=transport, upstream_base_url=base_url
    )
    forward = PassthroughEndpoint(services).handle
    tokenizers = TokenizerRegistry(config.tokenizers, encodings) if config.tokenizers else None
    routes: list[BaseRoute] = []
    # One guarded route per payload family, at the family's path, answering
    # errors in its API's shape (/v1/messages is Anthropic's).
    for family in FAMILIES.values():
        endpoint = GuardedEndpoint(services, family.path, family, tokenizers)
        routes.append(GatewayRoute(family.path, endpoint.handle, methods=["POST"], errors=family))
    routes.append(GatewayRoute("/v1/models", forward, methods=["GET"]))
    # Model ids may hold slashes (``org/model``), hence the path converter.
    routes.append(GatewayRoute("/v1/models/{model:path}", forward, methods=["GET"]))
    routes.append(
        GatewayRoute("/v1/guard", GuardServiceEndpoint(services).handle, methods=["POST"])
    )
    routes += [
        GatewayRoute(path, forward, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        for path in config.passthrough_paths
    ]
    routes.append(Route("/healthz", HealthEndpoint(services).handle, methods=["GET"]))
    if services.metrics is not None:
        routes.append(Route("/metrics", MetricsEndpoint(services.metrics).handle, methods=["GET"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.start()
        stop = asyncio.Event()
        watcher = None
        if config.hot_reload:
            watcher = asyncio.create_task(services.store.watch(stop))
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await watcher
            await services.stop()

    # The audit middleware is outermost, so every response carries the
    # request id and every error raised below it is answered in its route's shape.
    middleware = [
        Middleware(
            AuditMiddleware, sink=services.audit, spawn=services.spawn, metrics=services.metrics
        )
    ]
    app = Starlette(
        routes=routes,
        middleware=[*middleware, *_cors(config.cors)],
        lifespan=lifespan,
        exception_handlers={
            HTTPException: _expected_error,
            ClientError: _expected_error,
            UpstreamError: _expected_error,
            ClientDisconnected: _expected_error,
        },
    )
    app.state.services = services
    return app


def _cors(cors: CorsConfig | None) -> list[Middleware]:
    """Starlette's CORS middleware when the config asks for it. It answers
    preflights itself, before routing, so guarded routes stay POST-only."""
    if cors is None:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=cors.allow_origins,
            allow_origin_regex=cors.allow_origin_regex,
            allow_methods=cors.allow_methods,
            allow_headers=cors.allow_headers,
            expose_headers=cors.expose_headers,
            allow_credentials=cors.allow_credentials,
            max_age=cors.max_age,
        )
    ]


async def _expected_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ClientDisconnected):
        audit_record(request).error = "client disconnected; upstream call cancelled"
    return exception_response(exc, error_bodies(request.scope), request.method, request.url.path)
