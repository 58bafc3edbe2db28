"""What clients see besides the body: model lookups, one Date and one Server
header, the client's own request id, CORS."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import GatewayFactory
from tests.support.servers import MockUpstream, Reply, chat_stream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
"""
USER = [{"role": "user", "content": "hi"}]
MODEL = {"id": "gpt-x", "object": "model", "created": 0, "owned_by": "me"}


def test_model_retrieve_is_forwarded_unguarded(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    upstream.push(Reply(body=MODEL))
    model = gw.client.models.retrieve("gpt-x")
    assert model.id == "gpt-x"
    assert upstream.requests[0].method == "GET"
    assert upstream.requests[0].path == "/v1/models/gpt-x"
    raw = gw.client.models.with_raw_response.retrieve("gpt-x")
    assert raw.headers["x-sluicegate-decision"] == "unguarded"


def test_model_ids_with_slashes_reach_the_upstream_as_written(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    upstream.push(Reply(body={**MODEL, "id": "org/model"}))
    assert gw.http().get("/v1/models/org/model").json()["id"] == "org/model"
    assert upstream.requests[0].path == "/v1/models/org/model"


def test_unknown_model_is_the_upstreams_404(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    error = {
        "error": {
            "message": "The model 'nope' does not exist",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }
    upstream.push(Reply(status=404, body=error))
    with pytest.raises(openai.NotFoundError) as info:
        gw.client.models.retrieve("nope")
    assert info.value.code == "model_not_found"
    assert info.value.response.headers["x-sluicegate-decision"] == "unguarded"


def _count(response: httpx.Response, name: str) -> int:
    return len(response.headers.get_list(name))


def _assert_one_date_and_server(response: httpx.Response) -> None:
    assert _count(response, "date") == 1, response.headers
    assert _count(response, "server") == 1, response.headers
    assert _count(response, "x-sluicegate-request-id") == 1


def test_one_date_and_one_server_header_on_every_kind_of_response(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    http = gateway(POLICY).http()
    chat = {"model": "m", "messages": USER}
    guarded = http.post("/v1/chat/completions", json=chat)
    assert guarded.status_code == 200
    _assert_one_date_and_server(guarded)
    upstream.push(Reply(body={"object": "list", "data": [MODEL]}))
    passthrough = http.get("/v1/models")
    assert passthrough.headers["x-sluicegate-decision"] == "unguarded"
    _assert_one_date_and_server(passthrough)
    blocked = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "BLOCKME"}]},
    )
    assert blocked.status_code == 400
    _assert_one_date_and_server(blocked)
    upstream.push(Reply(status=429, body={"error": {"message": "slow down", "type": "x"}}))
    upstream_error = http.post("/v1/chat/completions", json=chat)
    assert upstream_error.status_code == 429
    _assert_one_date_and_server(upstream_error)
    bad = http.post("/v1/chat/completions", content=b"{")
    assert bad.status_code == 400
    _assert_one_date_and_server(bad)
    upstream.push(chat_stream(["Hel", "lo"]))
    with http.stream("POST", "/v1/chat/completions", json={**chat, "stream": True}) as streamed:
        assert streamed.headers["content-type"].startswith("text/event-stream")
        body = streamed.read()
    assert b"[DONE]" in body
    _assert_one_date_and_server(streamed)


def test_client_request_id_is_echoed_and_audited(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    http = gw.http()
    response = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"x-request-id": "client-123"},
    )
    assert response.headers.get_list("x-request-id") == ["client-123"]
    ours = response.headers["x-sluicegate-request-id"]
    assert ours and ours != "client-123"
    line = gw.audit()[-1]
    assert line["client_request_id"] == "client-123"
    assert line["request_id"] == ours
    assert upstream.requests[0].headers["x-request-id"] == "client-123"

    # An upstream id of its own stays readable beside the client's.
    reply = Reply(body=MODEL, headers={"x-request-id": "req_upstream"})
    upstream.push(reply)
    response = http.get("/v1/models/gpt-x", headers={"x-request-id": "client-456"})
    assert response.headers.get_list("x-request-id") == ["client-456"]
    assert response.headers["x-upstream-request-id"] == "req_upstream"
    assert gw.audit()[-1]["client_request_id"] == "client-456"

    # Without one, the upstream's passes through and nothing is invented.
    upstream.push(Reply(body=MODEL, headers={"x-request-id": "req_upstream"}))
    response = http.get("/v1/models/gpt-x")
    assert response.headers.get_list("x-request-id") == ["req_upstream"]
    assert "client_request_id" not in gw.audit()[-1]
    blocked = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "BLOCKME"}]},
        headers={"x-request-id": "client-789"},
    )
    assert blocked.status_code == 400
    assert blocked.headers["x-request-id"] == "client-789"


def test_openai_sdk_sees_the_echoed_request_id(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    raw = gw.client.chat.completions.with_raw_response.create(
        model="m", messages=USER, extra_headers={"x-request-id": "trace-1"}
    )
    assert raw.headers["x-request-id"] == "trace-1"
    assert raw.parse().choices[0].message.content


CORS = {"allow_origins": ["https://app.example"]}
PREFLIGHT = {
    "origin": "https://app.example",
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


def test_cors_is_off_by_default(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    http = gateway(POLICY).http()
    assert http.options("/v1/chat/completions", headers=PREFLIGHT).status_code == 405
    response = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"origin": "https://app.example"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_preflight_and_actual_request(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    http = gateway(POLICY, cors=CORS).http()
    preflight = http.options("/v1/chat/completions", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert preflight.headers["access-control-max-age"] == "600"
    assert upstream.requests == []  # the preflight never reaches the upstream

    response = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"origin": "https://app.example"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"x-sluicegate-request-id", "x-sluicegate-decision", "x-sluicegate-blocked"} <= exposed
    blocked = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "BLOCKME"}]},
        headers={"origin": "https://app.example"},
    )
    assert blocked.status_code == 400
    assert blocked.headers["access-control-allow-origin"] == "https://app.example"


def test_cors_disallowed_origin_gets_no_allow_origin(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    http = gateway(POLICY, cors=CORS).http()
    preflight = http.options(
        "/v1/chat/completions", headers={**PREFLIGHT, "origin": "https://evil.example"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    response = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 200  # CORS is enforced by the browser, not here
    assert "access-control-allow-origin" not in response.headers


def test_cors_with_credentials_and_the_openai_sdk_headers(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY, cors={**CORS, "allow_credentials": True, "allow_headers": ["*"]})
    preflight = gw.http().options(
        "/v1/models",
        headers={
            **PREFLIGHT,
            "access-control-request-method": "GET",
            "access-control-request-headers": "x-stainless-os, authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "x-stainless-os" in preflight.headers["access-control-allow-headers"].lower()
