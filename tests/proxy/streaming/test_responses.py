"""Responses API streams through the guarded stream."""

from __future__ import annotations

from typing import Any

from sluicegate.proxy.payloads.kinds import EndpointKind
from tests.proxy.streaming.support import flat, policy, run, stream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Stopped."}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""
RESPONSE = {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}


def text_events(pieces: list[str]) -> list[dict[str, Any]]:
    item = {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress"}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": RESPONSE},
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "content": []}},
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    for piece in pieces:
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": piece,
            }
        )
    text = "".join(pieces)
    part = {"type": "output_text", "text": text, "annotations": []}
    done = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    events += [
        {"type": "response.output_text.done", **done, "text": text},
        {"type": "response.content_part.done", **done, "part": part},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {**item, "status": "completed", "content": [part]},
        },
        {
            "type": "response.completed",
            "response": {
                **RESPONSE,
                "status": "completed",
                "output": [{**item, "status": "completed", "content": [part]}],
            },
        },
    ]
    return events


async def test_allowed_stream_keeps_its_events_and_numbers_them_in_order() -> None:
    events = text_events(["Hello ", "there, ", "friend."])
    out = flat(await run(stream(EndpointKind.RESPONSES, policy(POLICY)), events))
    assert [e["type"] for e in out] == [e["type"] for e in events]
    assert [e["sequence_number"] for e in out] == list(range(len(out)))
    assert "".join(e["delta"] for e in out if e["type"] == "response.output_text.delta") == (
        "Hello there, friend."
    )


async def test_redaction_reaches_the_done_events_and_the_final_response() -> None:
    events = text_events(["write to jane@exa", "mple.com ", "today."])
    out = flat(await run(stream(EndpointKind.RESPONSES, policy(POLICY)), events))
    deltas = "".join(e["delta"] for e in out if e["type"] == "response.output_text.delta")
    assert deltas == "write to [EMAIL] today."
    [done] = [e for e in out if e["type"] == "response.output_text.done"]
    assert done["text"] == deltas
    final = out[-1]["response"]["output"][0]["content"][0]["text"]
    assert final == deltas
    assert "jane@example.com" not in str(out)


async def test_a_block_closes_every_item_the_client_saw_opened() -> None:
    events = text_events(["a harmless start ", "then BLOC", "KME and more"])
    out = flat(await run(stream(EndpointKind.RESPONSES, policy(POLICY)), events))
    types = [e["type"] for e in out]
    assert types[:3] == [
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]
    deltas = [e["delta"] for e in out if e["type"] == "response.output_text.delta"]
    assert deltas[-1] == "Stopped."  # the notice, in the open message
    assert "BLOCKME" not in str(out)
    final = out[-1]["response"]
    assert final["incomplete_details"] == {"reason": "content_filter"}
    assert final["output"][0]["id"] == "msg_1"  # ids as the client has them
    assert final["output"][0]["content"][0]["text"] == "".join(deltas)
    assert out[-1]["sluicegate"]["blocked"] == "output"
    assert [e["sequence_number"] for e in out] == list(range(len(out)))


async def test_a_block_before_any_item_opens_a_message_for_the_notice() -> None:
    events = text_events(["BLOCKME now"])
    out = flat(
        await run(stream(EndpointKind.RESPONSES, policy(POLICY + "streaming: buffer\n")), events)
    )
    types = [e["type"] for e in out]
    assert types[0] == "response.created"
    added = [e for e in out if e["type"] == "response.output_item.added"]
    done = [e for e in out if e["type"] == "response.output_item.done"]
    assert [e["output_index"] for e in added] == [e["output_index"] for e in done]
    assert types[-1] == "response.incomplete"
