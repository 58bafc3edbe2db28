"""The block marker through the real SDK, in process: agents can tell a
gateway block from a model's own content_filter stop."""

from __future__ import annotations

from tests.support.inprocess import AppGatewayFactory, collect
from tests.support.servers import MockUpstream, chat_stream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Stopped."}
"""


async def test_the_blocking_chunk_carries_the_marker(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(chat_stream(["fine words ", "then BLOC", "KME ", "more"]))
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    [end] = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert end.choices[0].finish_reason == "content_filter"
    assert end.model_extra is not None
    assert end.model_extra["sluicegate"] == {
        "blocked": "output",
        "decision": "block",
        "reason": "rule",
        "rules": ["block-bad"],
    }
    assert chunks[0].choices[0].delta.role == "assistant"


async def test_an_upstream_content_filter_stop_has_no_marker(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    reply = chat_stream(["fine words."])
    assert reply.events is not None
    reply.events[-2]["choices"][0]["finish_reason"] = "content_filter"
    mock_upstream.push(reply)
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    [end] = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert end.choices[0].finish_reason == "content_filter"
    assert "sluicegate" not in (end.model_extra or {})
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "fine words."
