"""The upstream read timeout, over real sockets: the default (aiohttp) transport
enforces ``upstream.read_timeout_s`` against a slow upstream and the client
gets a 504. In process the transport is replaced, so its timeouts are not."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import GatewayFactory
from tests.support.servers import MockUpstream, Reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""


def test_upstream_timeout_is_504(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY, upstream={"read_timeout_s": 0.2})
    upstream.push(Reply(body={}, delay_s=1.0))
    with pytest.raises(openai.APIStatusError) as info:
        gw.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 504
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "upstream_timeout"
