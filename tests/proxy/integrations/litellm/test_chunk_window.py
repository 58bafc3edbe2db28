"""The guardrail's chunk-level window (no LiteLLM needed): the same chunks in
give the same text out and the same decision as the gateway's SSE window
stream, and so as the non-streamed path; held fields and buffer mode."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.enforcement import OutputGuardStage
from sluicegate.proxy.payloads.kinds import EndpointKind
from sluicegate.proxy.streaming import GuardedStream
from sluicegate.proxy.streaming.chat import ChatCodec
from tests.proxy.integrations.litellm.support import POLICY_YAML
from tests.proxy.streaming.test_window_property import FRAGMENTS, POLICY, non_streamed, windowed


def chunk_dicts(pieces: list[str]) -> list[dict[str, Any]]:
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    chunks = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    chunks += [{**head, "choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return chunks


async def chunk_windowed(pieces: list[str]) -> tuple[list[str], str | None, dict[str, Any]]:
    stage = OutputGuardStage(PolicyEvaluator())
    window = GuardedStream(ChatCodec(EndpointKind.CHAT), POLICY, stage, RequestInfo())
    released: list[str] = []
    finish = None

    def take(chunk: dict[str, Any]) -> None:
        nonlocal finish
        for choice in chunk["choices"]:
            if choice["delta"].get("content"):
                released.append(choice["delta"]["content"])
            finish = choice.get("finish_reason") or finish

    for chunk in chunk_dicts(pieces):
        for out in await window.feed(chunk):
            take(out)
    for out in await window.finish():
        take(out)
    return released, finish, window.record()


@settings(max_examples=150, deadline=None)
@given(
    fragments=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14),
    text_cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
)
async def test_chunk_window_releases_what_the_gateway_stream_does(
    fragments: list[str], text_cuts: list[int]
) -> None:
    """Same chunks in, same text out and same decision as the gateway's SSE
    window stream, and so as the non-streamed path."""
    full = "".join(fragments)
    cuts = sorted({c % (len(full) + 1) for c in text_cuts} | {0, len(full)})
    pieces = [full[a:b] for a, b in pairwise(cuts) if b > a]
    released, finish, record = await chunk_windowed(pieces)
    gateway_text, gateway_finish, gateway_record = await windowed(pieces, [])
    assert "".join(released) == gateway_text
    assert finish == gateway_finish
    assert record["action"] == gateway_record["output"]["action"]
    expected, action = await non_streamed(full)
    if action.value != "block":
        assert "".join(released) == expected


async def test_chunk_window_holds_fields_and_buffers() -> None:
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    call = {"index": 0, "id": "c1", "type": "function", "function": {"name": "f"}}
    chunks = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}}]},
        {
            **head,
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "function": {"arguments": '{"to": "a@example.com"}'}}
                        ]
                    },
                }
            ],
        },
        {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {**head, "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}},
    ]
    policy = PolicyLoader().load_text(
        POLICY_YAML + "streaming: buffer\n", path="buffer.yaml", name="buffer"
    )
    stage = OutputGuardStage(PolicyEvaluator())
    window = GuardedStream(ChatCodec(EndpointKind.CHAT), policy, stage, RequestInfo())
    out: list[dict[str, Any]] = []
    for chunk in chunks[:2]:
        out += await window.feed(chunk)
    assert out == []  # a tool-call delta is held, even its role
    for chunk in chunks[2:]:
        out += await window.feed(chunk)
    out += await window.finish()
    [held] = [c for c in out if c["choices"] and c["choices"][0]["delta"].get("tool_calls")]
    arguments = held["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments) == {"to": "[EMAIL]"}
    assert out[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert out[-1] == chunks[-1]  # usage goes on, last
    assert window.record()["action"] == "redact"
