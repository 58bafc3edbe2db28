"""The upstream connection (proxy/upstream.py), in process: refused and
broken upstreams become 502 and 504 in OpenAI's shape, cookies are never
replayed across clients, the URL may end with /v1. (The read timeout over a
real socket: tests/e2e/test_upstream_timeout.py.)"""

from __future__ import annotations

import httpx
import openai
import pytest
import respx

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.policy_store import PolicyStore
from tests.support.guards import trigger_registry
from tests.support.inprocess import NETWORK, UPSTREAM_URL, AppGatewayFactory
from tests.support.servers import MockUpstream, Reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""


async def test_upstream_unreachable_is_502(app_gateway: AppGatewayFactory) -> None:
    # The default transport, refused by a closed port: no server anywhere.
    gw = await app_gateway(
        POLICY, upstream={"url": "http://127.0.0.1:9", "connect_timeout_s": 2}, transport=NETWORK
    )
    with pytest.raises(openai.InternalServerError) as info:
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 502
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "upstream_unreachable"


async def test_upstream_garbage_body_is_502(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(Reply(raw=b"not json", headers={"content-type": "application/json"}))
    with pytest.raises(openai.InternalServerError) as info:
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 502


@respx.mock
async def test_transport_faults_with_respx(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """httpx-level faults (the seam is the transport), without a socket."""
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    config = GatewayConfig.model_validate(
        {
            "upstream": {"url": "http://upstream.test"},
            "policies": {"default": str(policy)},
            "hot_reload": False,
            "audit": {"path": None},
        }
    )
    respx.post("http://upstream.test/v1/chat/completions").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]
    )
    store = PolicyStore(config, PolicyLoader(trigger_registry()))
    app = create_app(config, store=store, transport=httpx.AsyncHTTPTransport())
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
        first = await client.post("/v1/chat/completions", json=body)
        second = await client.post("/v1/chat/completions", json=body)
        await client.aclose()
    assert (first.status_code, first.json()["error"]["code"]) == (502, "upstream_unreachable")
    assert (second.status_code, second.json()["error"]["code"]) == (504, "upstream_timeout")


async def test_upstream_cookies_are_never_replayed_to_other_clients(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    reply = Reply(
        body={"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []},
        headers={"set-cookie": "__cf_bm=tenant-a; Path=/"},
    )
    mock_upstream.push(reply)
    messages = [{"role": "user", "content": "x"}]
    await gw.http().post("/v1/chat/completions", json={"model": "m", "messages": messages})
    await gw.http().post("/v1/chat/completions", json={"model": "m", "messages": messages})
    assert len(mock_upstream.requests) == 2
    assert "cookie" not in mock_upstream.requests[1].headers


async def test_upstream_url_may_end_with_v1(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY, upstream={"url": f"{UPSTREAM_URL}/v1/"})
    await gw.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert mock_upstream.requests[0].path == "/v1/chat/completions"


def test_upstream_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        GatewayConfig.model_validate({"upstream": {"url": "api.openai.com"}})
