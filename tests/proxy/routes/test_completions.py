"""POST /v1/completions in process: prompts (a string or a list) redacted on the
way in, answers blocked on the way out."""

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


async def test_completions_redact_in_and_block_out(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
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
    result = await gw.client.completions.create(model="m", prompt="write to jane@example.com")
    assert mock_upstream.requests[0].body["prompt"] == "write to [EMAIL]"
    assert result.choices[0].text == "Request blocked by policy." or result.choices[0].text
    assert result.choices[0].finish_reason == "content_filter"


async def test_completions_prompt_list(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
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
    await gw.client.completions.create(model="m", prompt=["fine", "mail jane@example.com"])
    assert mock_upstream.requests[0].body["prompt"] == ["fine", "mail [EMAIL]"]
    with pytest.raises(openai.BadRequestError):
        await gw.client.completions.create(model="m", prompt=["fine", "BLOCKME"])
    assert len(mock_upstream.requests) == 1
