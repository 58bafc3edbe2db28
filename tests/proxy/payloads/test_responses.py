"""The Responses API family (proxy/payloads/responses.py) as a pure unit:
instructions, input items and tools read with their paths; items the gateway
cannot see counted; the whole answer one part, blocked as incomplete."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from sluicegate.policies.schema import PolicySpec
from sluicegate.proxy.payloads.bundles import PayloadShapeError
from sluicegate.proxy.payloads.responses import ResponsesFamily

FAMILY = ResponsesFamily()
SPEC = PolicySpec.model_validate({"version": 1})


def read(body: dict[str, Any]) -> tuple[list[Any], int]:
    [bundle] = FAMILY.input_bundles({"model": "m", **body}, SPEC, None)
    return [(s.path, s.text) for s in bundle.segments], bundle.unscanned


def test_instructions_items_and_tools_are_read() -> None:
    segments, unscanned = read(
        {
            "instructions": "be brief",
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "function_call", "call_id": "c", "name": "f", "arguments": '{"q": 1}'},
                {"type": "function_call_output", "call_id": "c", "output": "found"},
                {"type": "item_reference", "id": "msg_1"},
            ],
            "tools": [{"type": "function", "name": "f", "description": "finds"}],
            "previous_response_id": "resp_0",
        }
    )
    assert segments == [
        (("instructions",), "be brief"),
        (("input", 0, "content", 0, "text"), "hi"),
        (("input", 1, "arguments"), '{"q":1}'),
        (("input", 2, "output"), "found"),
        (("tools", 0, "type"), "function"),
        (("tools", 0, "name"), "f"),
        (("tools", 0, "description"), "finds"),
    ]
    assert unscanned == 2  # the item reference and the previous response


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"input": 3},
        {"input": "x", "instructions": 1},
        {"input": [None]},
        {"input": [{"role": {}, "content": "x"}]},
    ],
    ids=["missing", "number", "instructions", "null-item", "role-object"],
)
def test_malformed_requests_name_their_field(body: dict[str, Any]) -> None:
    with pytest.raises(PayloadShapeError) as caught:
        read(body)
    assert caught.value.param in ("input", "instructions")


def answer() -> dict[str, Any]:
    part = {"type": "output_text", "text": "hi", "annotations": [], "logprobs": [{"t": "h"}]}
    return {
        "id": "resp_1",
        "status": "completed",
        "output": [
            {"type": "message", "id": "m1", "role": "assistant", "content": [part]},
            {"type": "function_call", "id": "f1", "call_id": "c", "arguments": '{"to": 1}'},
            {"type": "reasoning", "id": "r1", "summary": [{"type": "summary_text", "text": "why"}]},
        ],
        "output_text": "hi",
    }


def test_the_whole_answer_is_one_part() -> None:
    [bundle] = FAMILY.output_bundles(answer())
    assert [(s.path, s.text) for s in bundle.segments] == [
        (("output", 0, "content", 0, "text"), "hi"),
        (("output", 1, "arguments"), '{"to":1}'),
        (("output", 2, "summary", 0, "type"), "summary_text"),
        (("output", 2, "summary", 0, "text"), "why"),
        (("output_text",), "hi"),
    ]


def test_a_block_leaves_only_the_message_and_marks_the_answer_incomplete() -> None:
    blocked = answer()
    FAMILY.block_output(blocked, 0, "Stopped.")
    [item] = blocked["output"]
    assert item["content"][0]["text"] == "Stopped."
    assert (blocked["status"], blocked["incomplete_details"]) == (
        "incomplete",
        {"reason": "content_filter"},
    )
    assert blocked["output_text"] == "Stopped."
    redacted = answer()
    FAMILY.redacted_output(redacted, 0)
    assert redacted["output"][0]["content"][0]["logprobs"] == []


def test_the_blocked_stream_ends_incomplete() -> None:
    raw = FAMILY.blocked_stream("r1", "m", "Stopped.", {})
    events = [orjson.loads(line[6:]) for line in raw.split(b"\n") if line.startswith(b"data: ")]
    kinds = [event["type"] for event in events]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.incomplete"
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert deltas == ["Stopped."]
    assert events[-1]["response"]["incomplete_details"] == {"reason": "content_filter"}
    assert FAMILY.blocked_answer("r1", "m", "Stopped.")["status"] == "incomplete"
