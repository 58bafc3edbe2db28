"""The gateway in process: ``create_app`` with its lifespan entered, reached
through httpx's ASGI transport, in front of a :class:`MockUpstream` reached
the same way (or any transport a test passes). No socket, no thread, no
server to wait for; the real uvicorn runs only in tests/e2e/.

The SDKs (openai, anthropic) speak httpx2, so their clients get an
``httpx2.AsyncClient`` over ``httpx2.ASGITransport``; plain requests use
``httpx.AsyncClient``. Both transports hand the client the whole response
at once, streams included: what a stream test reads is the events, not
their timing (tests/e2e/ has the ones that need a socket)."""

from __future__ import annotations

import functools
import io
from collections.abc import AsyncIterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

import anthropic
import httpx
import httpx2
import openai
import orjson
from starlette.applications import Starlette

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.audit import AuditLog
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.payloads.tokens import EncodingFactory
from sluicegate.proxy.policy_store import PolicyStore
from sluicegate.proxy.services import GatewayServices
from tests.support.guards import trigger_registry
from tests.support.servers import MockUpstream

__all__ = ["NETWORK", "AppGateway", "AppGatewayFactory", "collect", "start_app_gateway"]

GATEWAY_URL: Final = "http://gateway.test"
UPSTREAM_URL: Final = "http://upstream.test"


T = TypeVar("T")


async def collect(items: AsyncIterable[T]) -> list[T]:
    """Everything an async stream yields (an SDK stream's chunks or events)."""
    return [item async for item in items]


class _Network:
    def __repr__(self) -> str:
        return "NETWORK"


# Pass as ``transport=`` for create_app's own upstream transport (aiohttp, a
# real connection): the tests of what it does with refused connections.
NETWORK: Final = _Network()


@dataclass
class AppGateway:
    """One in-process gateway; clients made from it close with the test."""

    app: Starlette
    audit_stream: io.BytesIO
    stack: AsyncExitStack
    url: str = GATEWAY_URL

    @property
    def services(self) -> GatewayServices:
        services: GatewayServices = self.app.state.services
        return services

    @functools.cached_property
    def client(self) -> openai.AsyncOpenAI:
        return self.openai(api_key="sk-client")

    def openai(self, api_key: str) -> openai.AsyncOpenAI:
        client = openai.AsyncOpenAI(
            base_url=f"{self.url}/v1", api_key=api_key, max_retries=0, http_client=self.sdk_http()
        )
        self.stack.push_async_callback(client.close)
        return client

    def anthropic(self, **options: Any) -> anthropic.AsyncAnthropic:
        options = {"api_key": "sk-ant-client", **options}
        client = anthropic.AsyncAnthropic(
            base_url=self.url, max_retries=0, http_client=self.sdk_http(), **options
        )
        self.stack.push_async_callback(client.close)
        return client

    def sdk_http(self, **options: Any) -> httpx2.AsyncClient:
        """An httpx2 client into the app, for the SDKs (``event_hooks`` and the like pass on)."""
        client = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=self.app), base_url=self.url, **options
        )
        self.stack.push_async_callback(client.aclose)
        return client

    def http(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.url)
        self.stack.push_async_callback(client.aclose)
        return client

    def audit(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.audit_stream.getvalue().splitlines()]


class AppGatewayFactory(Protocol):
    async def __call__(
        self,
        policy: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | _Network | None = None,
        encodings: EncodingFactory | None = None,
        **config: Any,
    ) -> AppGateway: ...


async def start_app_gateway(
    stack: AsyncExitStack,
    upstream: MockUpstream,
    folder: Path,
    policy: str | None = None,
    /,
    *,
    transport: httpx.AsyncBaseTransport | _Network | None = None,
    encodings: EncodingFactory | None = None,
    **config: Any,
) -> AppGateway:
    """Build and start a gateway. ``policy`` is YAML text for the default
    policy; ``config`` keys merge into the gateway config (dicts one level
    deep, as the ``gateway`` fixture does). The upstream is ``upstream``
    through ``httpx.ASGITransport`` unless ``transport`` says otherwise."""
    settings: dict[str, Any] = {"upstream": {"url": UPSTREAM_URL}, "hot_reload": False}
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    if policy is not None:
        path = folder / "policy.yaml"
        path.write_text(policy, encoding="utf-8")
        settings.setdefault("policies", {})["default"] = str(path)
    cfg = GatewayConfig.model_validate(settings)
    if transport is None:
        transport = httpx.ASGITransport(app=upstream.app)
    stream = io.BytesIO()
    store = PolicyStore(cfg, PolicyLoader(trigger_registry()))
    app = create_app(
        cfg,
        transport=None if isinstance(transport, _Network) else transport,
        store=store,
        audit=AuditLog(stream=stream),
        encodings=encodings,
    )
    await stack.enter_async_context(app.router.lifespan_context(app))
    return AppGateway(app, stream, stack)
