"""The window property: for any chunking of the same upstream answer, window
mode releases exactly the text, and reaches the same decision, as the
non-streamed path; and it releases nothing a guard has not read."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import httpx
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.policy import Policy
from sluicegate.proxy.enforcement import OutputGuardStage
from sluicegate.proxy.enforcement.checks import OutputCheck
from sluicegate.proxy.payloads.chat import ChatFamily
from sluicegate.proxy.payloads.kinds import EndpointKind
from sluicegate.proxy.sse import DONE_EVENT, encode_event
from sluicegate.proxy.streaming import GuardedStream
from sluicegate.proxy.streaming.chat import ChatCodec
from sluicegate.proxy.streaming.relay import StreamStatus, relay_events

POLICY_TEXT = """\
version: 1
guards:
  pii: {type: pii, entities: [email, credit_card, iban]}
  secrets: {type: secrets}
  words: {type: keywords, categories: {banned: ["forbidden phrase"]}}
rules:
  - {name: block, when: 'scores["words"] > 0.0', action: block, message: "Withheld."}
  - {name: redact, when: 'scores["pii"] > 0.0 || scores["secrets"] >= 0.7', action: redact}
streaming: {mode: window, window_chars: 24, first_window_chars: 8, holdback_chars: 48}
"""
POLICY = PolicyLoader().load_text(POLICY_TEXT, path="window.yaml")

POLICY_NO_BLOCK = PolicyLoader().load_text(
    POLICY_TEXT.replace("action: block", "action: allow"), path="window-no-block.yaml"
)

FRAGMENTS = [
    "Hello there, ",
    "the answer is simple. ",
    "Write to ",
    "jane.doe@example.com",
    " or call. ",
    "Card: ",
    "4111 1111 1111 1111",
    ". Key ",
    "AKIAIOSFODNN7EXAMPLE",
    " end.\n",
    "IBAN GB82WEST12345698765432 ",
    "forbidden phrase",
    " and ",
    "ok ",
]


class Chunks(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


def sse_body(pieces: list[str]) -> bytes:
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    events = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    events += [{**head, "choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return b"".join(encode_event(e) for e in events) + DONE_EVENT


async def windowed(pieces: list[str], byte_cuts: list[int]) -> tuple[str, str | None, Any]:
    body = sse_body(pieces)
    cuts = sorted({c % (len(body) + 1) for c in byte_cuts} | {0, len(body)})
    parts = [body[a:b] for a, b in pairwise(cuts)]
    upstream = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Chunks(parts)
    )
    codec = ChatCodec(EndpointKind.CHAT)
    session = GuardedStream(codec, POLICY, OutputGuardStage(PolicyEvaluator()), RequestInfo())
    events = relay_events(upstream, codec, session, StreamStatus(), 1 << 20)
    text, finish = "", None
    async for event in events:
        payload = event.removeprefix(b"data: ").strip()
        if payload == b"[DONE]":
            continue
        for choice in orjson.loads(payload)["choices"]:
            text += choice["delta"].get("content") or ""
            finish = choice.get("finish_reason") or finish
    return text, finish, {"output": session.record()}


async def non_streamed(full: str, policy: Policy = POLICY) -> tuple[str, Action]:
    answer = {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": full}, "finish_reason": "stop"}
        ]
    }
    check = OutputCheck(OutputGuardStage(PolicyEvaluator()))
    checked = await check.run(policy, ChatFamily(), answer, RequestInfo())
    return answer["choices"][0]["message"]["content"], checked.outcome.decision.action


@settings(max_examples=300, deadline=None)
@given(
    fragments=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14),
    text_cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
    byte_cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
)
async def test_window_matches_non_streamed_for_any_chunking(
    fragments: list[str], text_cuts: list[int], byte_cuts: list[int]
) -> None:
    full = "".join(fragments)
    cuts = sorted({c % (len(full) + 1) for c in text_cuts} | {0, len(full)})
    pieces = [full[a:b] for a, b in pairwise(cuts) if b > a]
    released, finish, record = await windowed(pieces, byte_cuts)
    expected, action = await non_streamed(full)
    if action is Action.BLOCK:
        assert finish == "content_filter"
        assert released.endswith("Withheld.")
        assert record["output"]["action"] == "block"
        # What left before the block is the start of the redacted answer and
        # holds no blocked phrase: placeholders stand for word characters
        # (digits, letters), so read them back as "0" before checking.
        sent = released.removesuffix("Withheld.")
        assert (await non_streamed(full, POLICY_NO_BLOCK))[0].startswith(sent)
        source_like = re.sub(r"\[[A-Z_]+\]", "0", sent)
        [leaked] = await PolicyEvaluator().evaluate(
            POLICY, Stage.OUTPUT, [source_like], RequestInfo()
        )
        assert leaked.decision.action is not Action.BLOCK
    else:
        assert released == expected
        assert finish == "stop"
        assert record["output"]["action"] == action.value
        assert "late_spans" not in record["output"]
