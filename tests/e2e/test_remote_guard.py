"""The remote guard type through a second gateway's /v1/guard, over real
sockets: the remote guard makes its own HTTP client (it has no transport
seam), so the service it calls must listen on a port."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import GatewayFactory
from tests.support.servers import MockUpstream

SERVICE_POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
  slow: {type: trigger, stages: [output], triggers: {"x": y}}
rules: []
"""


def test_remote_guard_blocks_through_another_gateway(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    service = gateway(SERVICE_POLICY)
    front = gateway(f"""\
version: 1
guards:
  far: {{type: remote, url: "{service.url}", guard: t, categories: [bad, email]}}
rules:
  - {{name: block, when: 'scores["far.bad"] > 0.5', action: block}}
  - {{name: redact, when: 'scores["far.email"] > 0.5', action: redact}}
""")
    with pytest.raises(openai.BadRequestError):
        front.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "BLOCKME"}]
        )
    front.client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "to jane@example.com"}]
    )
    assert upstream.requests[0].body["messages"][0]["content"] == "to [EMAIL]"
