"""Anthropic Messages streams through the guarded stream."""

from __future__ import annotations

import orjson

from sluicegate.proxy.payloads.kinds import EndpointKind
from tests.proxy.streaming.support import flat, policy, run, stream
from tests.support.servers import anthropic_events, anthropic_message

POLICY = """\
version: 1
guards:
  pii: {type: pii, entities: [email]}
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Stopped."}
  - {name: redact, when: 'scores["pii"] > 0.0', action: redact}
"""


async def test_text_and_tool_input_are_guarded_and_the_rest_passes() -> None:
    message = anthropic_message(
        {"type": "text", "text": "I will write to the team now."},
        {"type": "tool_use", "id": "tu_1", "name": "mail", "input": {"to": "jane@example.com"}},
        stop_reason="tool_use",
    )
    events = anthropic_events(message)
    out = flat(await run(stream(EndpointKind.MESSAGES, policy(POLICY)), events))
    types = [e["type"] for e in out]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    text = "".join(
        e["delta"]["text"] for e in out if e.get("delta", {}).get("type") == "text_delta"
    )
    assert text == "I will write to the team now."
    partial = "".join(
        e["delta"]["partial_json"]
        for e in out
        if e.get("delta", {}).get("type") == "input_json_delta"
    )
    assert orjson.loads(partial) == {"to": "[EMAIL]"}
    [delta] = [e for e in out if e["type"] == "message_delta"]
    assert delta["delta"]["stop_reason"] == "tool_use"


async def test_a_block_ends_the_message_with_refusal() -> None:
    message = anthropic_message({"type": "text", "text": "first words, then BLOCKME here"})
    out = flat(await run(stream(EndpointKind.MESSAGES, policy(POLICY)), anthropic_events(message)))
    starts = [e["index"] for e in out if e["type"] == "content_block_start"]
    stops = [e["index"] for e in out if e["type"] == "content_block_stop"]
    assert starts == stops
    [delta] = [e for e in out if e["type"] == "message_delta"]
    assert delta["delta"]["stop_reason"] == "refusal"
    assert delta["sluicegate"]["rules"] == ["block-bad"]
    assert out[-1]["type"] == "message_stop"
    assert "BLOCKME" not in str(out)
