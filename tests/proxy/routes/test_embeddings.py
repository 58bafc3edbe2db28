"""POST /v1/embeddings in process: input guarded, vectors passed back as sent."""

from __future__ import annotations

import openai
import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream, Reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""


async def test_embeddings_input_guarded_output_passed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        Reply(
            body={
                "object": "list",
                "model": "m",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )
    )
    result = await gw.client.embeddings.create(
        model="m", input="jane@example.com", encoding_format="float"
    )
    assert result.data[0].embedding == [0.1, 0.2]
    assert mock_upstream.requests[0].body["input"] == "[EMAIL]"
    with pytest.raises(openai.BadRequestError):
        await gw.client.embeddings.create(model="m", input=["ok", "BLOCKME"])
