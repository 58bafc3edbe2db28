"""Client disconnects over a real socket: the gateway (real uvicorn) notices
a client that left mid-stream, cancels the upstream call and audits it as
such. In process the ASGI transports deliver whole responses, so these
need the server."""

from __future__ import annotations

import pytest

from tests.conftest import GatewayFactory
from tests.support.servers import MockUpstream, chat_stream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Stopped."}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""
BUFFER = POLICY + "streaming: buffer\n"
WINDOW = (
    POLICY
    + "streaming: {mode: window, window_chars: 16, first_window_chars: 8, holdback_chars: 24}\n"
)


def test_client_disconnect_cancels_buffered_upstream(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    import time

    import httpx

    gw = gateway(BUFFER)
    slow = chat_stream(["tick "] * 200)
    slow.event_delay_s = 0.05  # 10 s of generation if nobody stops it
    upstream.push(slow)
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{gw.url}/v1/chat/completions", json=body, timeout=0.5)
    deadline = time.monotonic() + 5
    while not upstream.streams_ended and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.streams_ended == ["cancelled"]
    while not gw.audit() and time.monotonic() < deadline:
        time.sleep(0.05)
    [record] = gw.audit()
    assert record["status"] == 499


def test_window_client_disconnect_cancels_upstream(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    import time

    gw = gateway(WINDOW)
    slow = chat_stream(["tick "] * 200)
    slow.event_delay_s = 0.05
    upstream.push(slow)
    with (
        gw.http() as http,
        http.stream(
            "POST",
            "/v1/chat/completions",
            json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        ) as response,
    ):
        for line in response.iter_lines():
            if "tick" in line:
                break  # leave after the first released text
    deadline = time.monotonic() + 5
    while not upstream.streams_ended and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.streams_ended == ["cancelled"]
    while not gw.audit() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gw.audit()[0]["stream_status"] == "client disconnected"
