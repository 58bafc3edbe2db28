"""Chat and completions streams through the guarded stream: what a client
gets is the upstream's framing, with only checked text changed."""

from __future__ import annotations

from itertools import pairwise

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.policies.packs import pack_path
from sluicegate.proxy.payloads.kinds import EndpointKind
from tests.proxy.streaming.support import HEAD, chunk, flat, policy, run, stream

PII = """\
version: 1
guards:
  pii: {type: pii, entities: [email]}
  words: {type: keywords, categories: {banned: ["forbidden phrase"]}}
rules:
  - {name: block, when: 'scores["words"] > 0.0', action: block, message: "Withheld."}
  - {name: redact, when: 'scores["pii"] > 0.0', action: redact}
"""
CHAT = EndpointKind.CHAT


def call(index: int, **fields: object) -> dict[str, object]:
    return {"index": index, **fields}


@pytest.mark.parametrize("mode", ["window", "buffer", "audit"])
async def test_role_and_keys_survive_when_the_first_delta_has_text(mode: str) -> None:
    first = chunk({"role": "assistant", "content": "Hello", "refusal": None}, logprobs=None)
    events = [first, chunk({"content": " world, fine."}), chunk({}, finish="stop")]
    out = flat(await run(stream(CHAT, policy(PII + f"streaming: {mode}\n")), events))
    assert out[0] == first  # the same keys, in the same order
    assert [e["choices"][0]["delta"].get("content") for e in out] == [
        "Hello",
        " world, fine.",
        None,
    ]


async def test_parallel_tool_calls_go_out_as_the_upstream_framed_them() -> None:
    events = [
        chunk({"role": "assistant", "content": None}),
        chunk({"tool_calls": [call(0, id="c1", type="function", function={"name": "a"})]}),
        chunk({"tool_calls": [call(0, function={"arguments": '{"x": '})]}),
        chunk({"tool_calls": [call(0, function={"arguments": "1}"})]}),
        chunk({"tool_calls": [call(1, id="c2", type="function", function={"name": "b"})]}),
        chunk({"tool_calls": [call(1, function={"arguments": "{}"})]}),
        chunk({}, finish="tool_calls"),
    ]
    out = flat(await run(stream(CHAT, policy(PII)), events))
    assert out == events


async def test_a_redacted_call_goes_out_as_its_first_delta_with_checked_arguments() -> None:
    events = [
        chunk({"role": "assistant", "content": None}),
        chunk({"tool_calls": [call(0, id="c1", type="function", function={"name": "mail"})]}),
        chunk({"tool_calls": [call(0, function={"arguments": '{"to": "jane@exa'})]}),
        chunk({"tool_calls": [call(0, function={"arguments": 'mple.com"}'})]}),
        chunk({"tool_calls": [call(1, id="c2", type="function", function={"name": "b"})]}),
        chunk({"tool_calls": [call(1, function={"arguments": "{}"})]}),
        chunk({}, finish="tool_calls"),
    ]
    out = flat(await run(stream(CHAT, policy(PII)), events))
    calls = [c for e in out for c in e["choices"][0]["delta"].get("tool_calls", [])]
    assert calls[0] == call(
        0, id="c1", type="function", function={"name": "mail", "arguments": '{"to":"[EMAIL]"}'}
    )
    untouched = [c for e in events[4:6] for c in e["choices"][0]["delta"]["tool_calls"]]
    assert calls[1:] == untouched  # the clean call, as framed
    assert out[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_choices_begin_in_the_order_they_came_in_buffer_mode() -> None:
    events = [
        chunk({"role": "assistant", "content": ""}, index=0),
        chunk({"role": "assistant", "content": ""}, index=1),
        chunk({"content": "a longer first answer."}, index=0),
        chunk({"content": "short."}, index=1),
        chunk({}, index=1, finish="stop"),
        chunk({}, index=0, finish="stop"),
    ]
    out = flat(await run(stream(CHAT, policy(PII + "streaming: buffer\n")), events))
    assert out[0]["choices"][0]["index"] == 0  # SDK accumulators read choice 0 first
    texts: dict[int, str] = {}
    for event in out:
        [choice] = event["choices"]
        texts[choice["index"]] = texts.get(choice["index"], "") + (
            choice["delta"].get("content") or ""
        )
    assert texts == {0: "a longer first answer.", 1: "short."}


async def test_a_blocked_stream_still_ends_with_its_usage_chunk() -> None:
    usage = {**HEAD, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 9}}
    events = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Here it is: the forbidden phrase "}),
        chunk({"content": "and more."}),
        chunk({}, finish="stop"),
        usage,
    ]
    out = flat(await run(stream(CHAT, policy(PII)), events))
    assert out[-1] == usage
    [end] = [e for e in out if e["choices"] and e["choices"][0].get("finish_reason")]
    assert end["choices"][0]["finish_reason"] == "content_filter"
    assert end["choices"][0]["delta"] == {"content": "Withheld."}
    assert end["sluicegate"]["blocked"] == "output"
    assert end["sluicegate"]["rules"] == ["block"]
    sent = "".join(e["choices"][0]["delta"].get("content") or "" for e in out if e["choices"])
    assert "forbidden phrase" not in sent


async def test_logprobs_stay_where_the_text_is_unchanged() -> None:
    tokens = {"content": [{"token": "Hi", "logprob": -0.1}], "refusal": None}
    events = [
        chunk({"role": "assistant", "content": "Hi "}, logprobs=tokens),
        chunk({"content": "jane@example.com"}, logprobs={"content": [], "refusal": None}),
        chunk({"content": " ok."}, logprobs=tokens),
        chunk({}, finish="stop"),
    ]
    out = flat(await run(stream(CHAT, policy(PII)), events))
    assert [e["choices"][0].get("logprobs") for e in out[:3]] == [tokens, None, tokens]
    assert out[1]["choices"][0]["delta"]["content"] == "[EMAIL]"


async def test_unknown_delta_fields_are_dropped_not_sent_unread() -> None:
    events = [
        chunk({"role": "assistant", "content": "", "x_secret_text": "jane@example.com"}),
        chunk({}, finish="stop"),
    ]
    out = flat(await run(stream(CHAT, policy(PII)), events))
    assert "x_secret_text" not in orjson.dumps(out).decode()


async def test_the_default_pack_releases_a_piece_once_the_next_one_settles_it() -> None:
    """First tokens at upstream speed: prose leaves as soon as no guard can
    still match it, not after a fixed 80-character window."""
    session = stream(CHAT, policy(pack_path("default").read_text(encoding="utf-8")))
    assert session.incremental
    pieces = ["The ", "rive", "r ru", "ns p", "ast "]
    batches = await run(
        session,
        [chunk({"role": "assistant", "content": ""})] + [chunk({"content": p}) for p in pieces],
    )
    released = [[e["choices"][0]["delta"].get("content") for e in batch] for batch in batches[1:4]]
    assert released[0] == []  # "The " could still be the start of an email or key
    assert released[1] == ["The "]  # "rive" followed: "The " is settled
    assert released[2] == ["rive"]  # "river" is whole once " ru" came


async def test_completions_text_pieces() -> None:
    head = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m"}
    events = [
        {**head, "choices": [{"index": 0, "text": "mail jane@", "logprobs": None}]},
        {**head, "choices": [{"index": 0, "text": "example.com", "logprobs": None}]},
        {**head, "choices": [{"index": 0, "text": None, "finish_reason": "stop"}]},
    ]
    out = flat(await run(stream(EndpointKind.COMPLETIONS, policy(PII)), events))
    assert "".join(e["choices"][0]["text"] for e in out) == "mail [EMAIL]"
    assert out[-1]["choices"][0]["finish_reason"] == "stop"


BENIGN = [
    "Hello there, ",
    "the answer is simple. ",
    "Rivers run past old mills",
    " and quiet fields.\n",
    "Numbers like 42 and 7 ",
    "are fine; ",
    "so are e-mails about lunch.",
]


@settings(max_examples=150, deadline=None)
@given(
    fragments=st.lists(st.sampled_from(BENIGN), min_size=1, max_size=10),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=40),
)
async def test_allowed_streams_are_relayed_event_for_event(
    fragments: list[str], cuts: list[int]
) -> None:
    """With nothing to redact or block, the client gets exactly the
    upstream's events, whatever the chunking (token-sized pieces)."""
    full = "".join(fragments)
    points = sorted({c % (len(full) + 1) for c in cuts} | {0, len(full)})
    pieces = [full[a:b] for a, b in pairwise(points) if b > a]
    pieces = [p[i : i + 24] for p in pieces for i in range(0, len(p), 24)]
    events = [chunk({"role": "assistant", "content": "", "refusal": None}, logprobs=None)]
    events += [chunk({"content": p}, logprobs={"content": [], "refusal": None}) for p in pieces]
    events.append(chunk({}, finish="stop"))
    out = flat(await run(stream(CHAT, policy(PII)), events))
    assert out == events
