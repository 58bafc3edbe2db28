from __future__ import annotations

import functools
import io
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import openai
import orjson
import pytest

# No model hub here: model guards must fail fast instead of retrying downloads.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.audit import AuditLog
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.policy_store import PolicyStore
from tests.support.guards import trigger_registry
from tests.support.inprocess import AppGateway, AppGatewayFactory, start_app_gateway
from tests.support.servers import MockUpstream, serve


@pytest.fixture(scope="session")
def _upstream_server() -> Iterator[tuple[MockUpstream, str]]:
    mock = MockUpstream()
    with serve(mock.app) as url:
        yield mock, url


@pytest.fixture
def upstream(_upstream_server: tuple[MockUpstream, str]) -> MockUpstream:
    mock, url = _upstream_server
    mock.reset()
    mock.url = url  # type: ignore[attr-defined]
    return mock


@dataclass
class Gateway:
    url: str
    audit_stream: io.BytesIO
    stack: ExitStack

    @functools.cached_property
    def client(self) -> openai.OpenAI:
        return self.openai(api_key="sk-client")

    def openai(self, api_key: str) -> openai.OpenAI:
        client = openai.OpenAI(
            base_url=f"{self.url}/v1", api_key=api_key, max_retries=0, timeout=10
        )
        self.stack.callback(client.close)
        return client

    def http(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=10)
        self.stack.callback(client.close)
        return client

    def audit(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.audit_stream.getvalue().splitlines()]


class GatewayFactory(Protocol):
    def __call__(self, policy: str | None = None, **config: Any) -> Gateway: ...


@pytest.fixture
def gateway(upstream: MockUpstream, tmp_path: Path) -> Iterator[GatewayFactory]:
    """Start a real gateway (uvicorn, random loopback port) in front of the
    mock upstream. ``policy`` is YAML text for the default policy. For what
    needs a socket (tests/e2e/); everything else uses ``app_gateway``."""
    with ExitStack() as stack:

        def start(policy: str | None = None, **config: Any) -> Gateway:
            settings: dict[str, Any] = {"upstream": {"url": upstream.url}, "hot_reload": False}  # type: ignore[attr-defined]
            for key, value in config.items():
                if isinstance(value, dict) and isinstance(settings.get(key), dict):
                    settings[key] = {**settings[key], **value}
                else:
                    settings[key] = value
            if policy is not None:
                path = tmp_path / "policy.yaml"
                path.write_text(policy, encoding="utf-8")
                settings.setdefault("policies", {})["default"] = str(path)
            cfg = GatewayConfig.model_validate(settings)
            stream = io.BytesIO()
            store = PolicyStore(cfg, PolicyLoader(trigger_registry()))
            app = create_app(cfg, store=store, audit=AuditLog(stream=stream))
            url = stack.enter_context(serve(app))
            return Gateway(url, stream, stack)

        yield start


@pytest.fixture
def mock_upstream() -> MockUpstream:
    """A fresh mock upstream that no server serves: ``app_gateway`` reaches it
    through httpx's ASGI transport."""
    return MockUpstream()


@pytest.fixture
async def app_gateway(
    mock_upstream: MockUpstream, tmp_path: Path
) -> AsyncIterator[AppGatewayFactory]:
    """Start gateways in process (``create_app``, lifespan entered) in front of
    ``mock_upstream``; see tests/support/inprocess.py. ``await
    app_gateway(policy, **config)``, as ``gateway`` takes them."""
    async with AsyncExitStack() as stack:

        async def start(policy: str | None = None, **options: Any) -> AppGateway:
            return await start_app_gateway(stack, mock_upstream, tmp_path, policy, **options)

        yield start
