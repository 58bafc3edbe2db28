"""The ASGI application: routes, error handling, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .audit import AuditLog
from .config import DEMO_UPSTREAM, CorsConfig, GatewayConfig
from .errors import ClientError, UpstreamError
from .guard_api import GuardEndpoint
from .kinds import EndpointKind
from .policy_store import PolicyStore
from .responses import error_response
from .routes import GuardedEndpoint, passthrough
from .services import GatewayServices
from .tokens import EncodingFactory, TokenizerRegistry

__all__ = ["create_app"]

logger = logging.getLogger("sluicegate.proxy")

GUARDED = (
    ("/v1/chat/completions", EndpointKind.CHAT),
    ("/v1/completions", EndpointKind.COMPLETIONS),
    ("/v1/embeddings", EndpointKind.EMBEDDINGS),
    ("/v1/responses", EndpointKind.RESPONSES),
    (
        "/v1/messages",
        EndpointKind.MESSAGES,
    ),  # Anthropic's Messages API, for upstreams that speak it
)


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
        from .demo import create_demo_app

        transport = httpx.ASGITransport(app=create_demo_app())
        base_url = "http://demo.sluicegate"
    services = GatewayServices.build(
        config, store=store, audit=audit, transport=transport, upstream_base_url=base_url
    )
    forward = passthrough(services)
    tokenizers = TokenizerRegistry(config.tokenizers, encodings) if config.tokenizers else None
    routes = [
        Route(path, GuardedEndpoint(services, path, kind, tokenizers).handle, methods=["POST"])
        for path, kind in GUARDED
    ]
    routes.append(Route("/v1/models", forward, methods=["GET"]))
    # Model ids may hold slashes (``org/model``), hence the path converter.
    routes.append(Route("/v1/models/{model:path}", forward, methods=["GET"]))
    routes.append(Route("/v1/guard", GuardEndpoint(services).handle, methods=["POST"]))
    routes += [
        Route(path, forward, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        for path in config.passthrough_paths
    ]
    routes.append(Route("/healthz", _health, methods=["GET"]))

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

    app = Starlette(
        routes=routes,
        middleware=_cors(config.cors),
        lifespan=lifespan,
        exception_handlers={
            HTTPException: _http_error,
            ClientError: _client_error,
            UpstreamError: _upstream_error,
            Exception: _internal_error,
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


async def _health(request: Request) -> Response:
    # Still 200 when degraded: calls to an unavailable optional guard fail as
    # the policy's on_error says, so the gateway is serving, but operators see it.
    services: GatewayServices = request.app.state.services
    unavailable = {
        f"{policy}/{guard}": reason
        for policy, loaded in services.store.policies.items()
        for guard, reason in loaded.unavailable_guards().items()
    }
    if not unavailable:
        return Response(b'{"status":"ok"}', media_type="application/json")
    body = {"status": "degraded", "unavailable_guards": unavailable}
    return Response(orjson.dumps(body), media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(
            404, f"no such endpoint: {request.method} {request.url.path}", code="not_found"
        )
    if exc.status_code == 405:
        return error_response(
            405,
            f"method {request.method} not allowed on {request.url.path}",
            code="method_not_allowed",
        )
    return error_response(exc.status_code, str(exc.detail), code=None)


async def _client_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientError)
    return error_response(
        exc.status_code, str(exc), error_type=exc.error_type, code=exc.code, param=exc.param
    )


async def _upstream_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UpstreamError)
    return error_response(exc.status_code, str(exc), error_type="api_error", code=exc.code)


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return error_response(
        500, "internal gateway error", error_type="api_error", code="internal_error"
    )
