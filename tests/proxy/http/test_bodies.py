"""Bad request bodies, in process: each gets a clear 4xx in OpenAI's error
shape, never a 500, and nothing reaches the upstream; the size limit holds
with and without a content-length. (Malformed parts inside a well-formed
body: tests/proxy/routes/test_guarded.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
"""

CASES = [
    (b"{not json", 400, "invalid_json"),
    (b"", 400, "invalid_json"),
    (b"[1, 2]", 400, "invalid_json"),
    (b'{"model": "m"}', 400, "missing_field"),
    (b'{"model": "m", "messages": "hi"}', 400, "invalid_request"),
    (b'{"model": "m", "messages": []}', 400, "invalid_request"),
    (b'{"model": "m", "messages": [{"content": "no role"}]}', 400, "invalid_request"),
    (b'{"model": 5, "messages": [{"role": "user", "content": "x"}]}', 400, "invalid_type"),
    (
        b'{"model": "m", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}',
        400,
        "invalid_type",
    ),
    (b'{"model": "m", "messages": [{"role": "user", "content": 42}]}', 400, "invalid_request"),
    (
        b'{"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]}',
        400,
        "invalid_request",
    ),
    (b'{"model": "m", "messages": [{"role": "user", "content": "caf\xe9"}]}', 400, "invalid_utf8"),
]


@pytest.mark.parametrize(("body", "status", "code"), CASES)
async def test_bad_chat_bodies(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, body: bytes, status: int, code: str
) -> None:
    http = (await app_gateway(POLICY)).http()
    response = await http.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] == "invalid_request_error"
    assert error["message"]
    assert mock_upstream.requests == []


async def test_body_over_limit_is_413(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    http = (await app_gateway(POLICY, max_body_bytes=1000)).http()
    big = b'{"model": "m", "messages": [{"role": "user", "content": "' + b"a" * 2000 + b'"}]}'
    response = await http.post("/v1/chat/completions", content=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: the limit holds too
        yield big[:600]
        yield big[600:]

    response = await http.post("/v1/chat/completions", content=chunks())
    assert response.status_code == 413
    assert mock_upstream.requests == []
