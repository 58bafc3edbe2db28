"""Gateway keys in each header clients put them in, and never forwarded."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sluicegate.proxy.config import GatewayConfig, GatewayKey
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.http.auth import KeyRing
from sluicegate.proxy.http.errors import ClientError

RING = KeyRing([GatewayKey(key="gw-alpha", name="alpha"), GatewayKey(key="gw-beta", name="beta")])


@pytest.mark.parametrize(
    ("headers", "name", "stripped"),
    [
        ({"x-sluicegate-key": "gw-alpha"}, "alpha", set()),
        ({"authorization": "Bearer gw-alpha"}, "alpha", {"authorization"}),
        ({"x-api-key": "gw-beta"}, "beta", {"x-api-key"}),
        # A provider key beside a gateway key stays the client's.
        ({"x-sluicegate-key": "gw-beta", "authorization": "Bearer sk-provider"}, "beta", set()),
        ({"x-api-key": "gw-alpha", "authorization": "Bearer sk-provider"}, "alpha", {"x-api-key"}),
        # The same key in two headers: neither is forwarded.
        (
            {"x-sluicegate-key": "gw-alpha", "authorization": "Bearer gw-alpha"},
            "alpha",
            {"authorization"},
        ),
    ],
)
def test_keys_are_read_from_each_header(
    headers: dict[str, str], name: str, stripped: set[str]
) -> None:
    identity = RING.identify(headers)
    assert identity.name == name
    assert identity.gateway_headers == stripped


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer sk-provider"},
        {"x-api-key": "sk-ant-provider"},
        # A wrong x-sluicegate-key is not rescued by a right key elsewhere.
        {"x-sluicegate-key": "nope", "authorization": "Bearer gw-alpha"},
    ],
)
def test_a_missing_or_wrong_key_is_a_401(headers: dict[str, str]) -> None:
    with pytest.raises(ClientError) as caught:
        RING.identify(headers)
    assert caught.value.status_code == 401


async def test_an_anthropic_client_key_in_x_api_key_never_reaches_the_upstream() -> None:
    seen: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body: dict[str, Any] = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [{"type": "text", "text": "hello"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
        return httpx.Response(200, json=body)

    config = GatewayConfig.model_validate(
        {
            "hot_reload": False,
            "upstream": {"url": "http://upstream.test"},
            "auth": {"keys": [{"key": "gw-alpha", "name": "alpha"}]},
            "audit": {"path": None},
        }
    )
    app = create_app(config, transport=httpx.MockTransport(upstream))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            reply = await client.post(
                "/v1/messages",
                headers={"x-api-key": "gw-alpha", "anthropic-version": "2023-06-01"},
                json={
                    "model": "m",
                    "max_tokens": 8,
                    "messages": [{"role": "user", "content": "hi"}],
                },
            )
            refused = await client.post(
                "/v1/messages",
                headers={"x-api-key": "sk-ant-not-a-gateway-key"},
                json={
                    "model": "m",
                    "max_tokens": 8,
                    "messages": [{"role": "user", "content": "hi"}],
                },
            )
    assert reply.status_code == 200, reply.text
    assert reply.json()["content"] == [{"type": "text", "text": "hello"}]
    [forwarded] = seen
    assert "x-api-key" not in forwarded.headers
    assert forwarded.headers["anthropic-version"] == "2023-06-01"
    assert refused.status_code == 401
    assert refused.json()["type"] == "error"  # Anthropic's shape on its route
    assert len(seen) == 1
