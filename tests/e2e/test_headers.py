"""One Date and one Server header on every kind of response, over real
sockets: uvicorn adds both, and so does the upstream's server, so the
gateway must not pass the upstream's on beside its own. In process there is
no server to add them."""

from __future__ import annotations

import httpx

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
