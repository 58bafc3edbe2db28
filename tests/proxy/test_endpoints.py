"""Completions, embeddings, models, pass-through paths, upstream faults."""

from __future__ import annotations

import httpx
import openai
import pytest
import respx

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.policy_store import PolicyStore
from tests.conftest import GatewayFactory
from tests.support.guards import trigger_registry
from tests.support.servers import MockUpstream, Reply, serve

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""


def test_completions_redact_in_and_block_out(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    upstream.push(
        Reply(
            body={
                "id": "c",
                "object": "text_completion",
                "created": 1,
                "model": "m",
                "choices": [
                    {"index": 0, "text": "BLOCKME", "finish_reason": "stop", "logprobs": None}
                ],
            }
        )
    )
    result = gw.client.completions.create(model="m", prompt="write to jane@example.com")
    assert upstream.requests[0].body["prompt"] == "write to [EMAIL]"
    assert result.choices[0].text == "Request blocked by policy." or result.choices[0].text
    assert result.choices[0].finish_reason == "content_filter"


def test_completions_prompt_list(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    upstream.push(
        Reply(
            body={
                "id": "c",
                "object": "text_completion",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "text": "ok", "finish_reason": "stop", "logprobs": None}],
            }
        )
    )
    gw.client.completions.create(model="m", prompt=["fine", "mail jane@example.com"])
    assert upstream.requests[0].body["prompt"] == ["fine", "mail [EMAIL]"]
    with pytest.raises(openai.BadRequestError):
        gw.client.completions.create(model="m", prompt=["fine", "BLOCKME"])
    assert len(upstream.requests) == 1


def test_embeddings_input_guarded_output_passed(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    upstream.push(
        Reply(
            body={
                "object": "list",
                "model": "m",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )
    )
    result = gw.client.embeddings.create(
        model="m", input="jane@example.com", encoding_format="float"
    )
    assert result.data[0].embedding == [0.1, 0.2]
    assert upstream.requests[0].body["input"] == "[EMAIL]"
    with pytest.raises(openai.BadRequestError):
        gw.client.embeddings.create(model="m", input=["ok", "BLOCKME"])


def test_models_pass_through(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    upstream.push(
        Reply(
            body={
                "object": "list",
                "data": [{"id": "gpt-x", "object": "model", "created": 0, "owned_by": "me"}],
            }
        )
    )
    models = gw.client.models.list()
    assert [m.id for m in models.data] == ["gpt-x"]
    assert upstream.requests[0].method == "GET"


def test_configured_passthrough_path(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY, passthrough_paths=["/v1/files"])
    upstream.push(Reply(body={"ok": True}))
    response = gw.http().post("/v1/files?purpose=x", content=b"BLOCKME")
    assert response.status_code == 200
    assert response.headers["x-sluicegate-decision"] == "unguarded"
    assert upstream.requests[0].path == "/v1/files"


def test_upstream_unreachable_is_502(gateway: GatewayFactory) -> None:
    gw = gateway(POLICY, upstream={"url": "http://127.0.0.1:9", "connect_timeout_s": 2})
    with pytest.raises(openai.InternalServerError) as info:
        gw.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 502
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "upstream_unreachable"


def test_upstream_timeout_is_504(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY, upstream={"read_timeout_s": 0.2})
    upstream.push(Reply(body={}, delay_s=1.0))
    with pytest.raises(openai.APIStatusError) as info:
        gw.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 504
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "upstream_timeout"


def test_upstream_garbage_body_is_502(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    upstream.push(Reply(raw=b"not json", headers={"content-type": "application/json"}))
    with pytest.raises(openai.InternalServerError) as info:
        gw.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
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


def test_demo_upstream_serves_without_network() -> None:
    app = create_app(GatewayConfig.model_validate({"hot_reload": False, "audit": {"path": None}}))
    with (
        serve(app) as url,
        openai.OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0) as client,
    ):
        reply = client.chat.completions.create(
            model="demo", messages=[{"role": "user", "content": "hi, I am bob@example.org"}]
        )
        assert reply.choices[0].message.content == (
            "This is sluicegate's demo model. You said: hi, I am [EMAIL]"
        )
        assert client.models.retrieve("sluicegate-demo").owned_by == "sluicegate"
        with pytest.raises(openai.NotFoundError) as missing:
            client.models.retrieve("gpt-nothing")
        assert missing.value.code == "model_not_found"


def test_passthrough_requests_are_audited(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    gw.client.models.list()
    [line] = gw.audit()
    assert line["route"] == "/v1/models"
    assert line["decision"] == "unguarded"
    assert line["status"] == 200


def test_upstream_cookies_are_never_replayed_to_other_clients(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    reply = Reply(
        body={"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []},
        headers={"set-cookie": "__cf_bm=tenant-a; Path=/"},
    )
    upstream.push(reply)
    messages = [{"role": "user", "content": "x"}]
    gw.http().post("/v1/chat/completions", json={"model": "m", "messages": messages})
    gw.http().post("/v1/chat/completions", json={"model": "m", "messages": messages})
    assert len(upstream.requests) == 2
    assert "cookie" not in upstream.requests[1].headers


def test_upstream_url_may_end_with_v1(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY, upstream={"url": f"{upstream.url}/v1/"})  # type: ignore[attr-defined]
    gw.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert upstream.requests[0].path == "/v1/chat/completions"


def test_upstream_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        GatewayConfig.model_validate({"upstream": {"url": "api.openai.com"}})


DEGRADED = """\
version: 1
guards:
  t: {type: trigger, triggers: {"bad": harm}}
  heavy: {type: sequence-classifier, model: /nonexistent/guard, optional: true}
rules:
  - {name: block-bad, when: 'scores["t.harm"] >= 0.5', action: block}
  - {name: block-heavy, when: 'scores["heavy"] >= 0.5', action: block}
"""


def test_health_reports_an_unavailable_optional_guard_and_requests_fail_closed(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    pytest.importorskip("torch")
    gw = gateway(DEGRADED)
    health = gw.http().get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    reason = body["unavailable_guards"]["default/heavy"]
    assert "no such directory /nonexistent/guard" in reason
    with pytest.raises(openai.BadRequestError) as info:
        gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hello"}]
        )
    assert info.value.code == "content_filter"
    assert upstream.requests == []
    assert gw.audit()[-1]["input"]["reason"] == "guard_error_fail_closed"
    assert "unavailable" in gw.audit()[-1]["input"]["guard_errors"]["heavy"]
