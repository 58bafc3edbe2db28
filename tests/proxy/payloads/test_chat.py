"""The chat family (proxy/payloads/chat.py) as a pure unit: which fields of a
request and an answer the guards read, at which paths, and what a block
writes. The route's behaviour over HTTP: tests/proxy/routes/test_chat.py."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from sluicegate.policies.schema import InputScope, PolicySpec
from sluicegate.proxy.payloads.bundles import PayloadShapeError
from sluicegate.proxy.payloads.chat import ChatFamily, scoped_messages
from sluicegate.proxy.sse import DONE_EVENT

FAMILY = ChatFamily()
SPEC = PolicySpec.model_validate({"version": 1})


def read(body: dict[str, Any], spec: PolicySpec = SPEC) -> list[tuple[Any, str]]:
    [bundle] = FAMILY.input_bundles(body, spec, None)
    return [(segment.path, segment.text) for segment in bundle.segments]


def test_every_field_the_model_reads_is_a_segment() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"q": 1}'}}
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "name": "ann", "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "content": None, "refusal": "no", "tool_calls": [call]},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "description": "finds"}}],
        "prediction": {"type": "content", "content": "guess"},
    }
    assert read(body) == [
        (("messages", 0, "content"), "be brief"),
        (("messages", 1, "content", 0, "text"), "hi"),
        (("messages", 1, "name"), "ann"),
        (("messages", 2, "refusal"), "no"),
        (("messages", 2, "tool_calls", 0, "function", "arguments"), '{"q":1}'),
        (("tools", 0, "type"), "function"),
        (("tools", 0, "function", "name"), "f"),
        (("tools", 0, "function", "description"), "finds"),
        (("prediction", "content"), "guess"),
    ]


def test_scopes_pick_the_messages_read() -> None:
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "u2"},
        {"role": "tool", "content": "t"},
    ]
    roles = SPEC.input_roles
    assert scoped_messages(messages, InputScope.CONVERSATION, roles) == [0, 1, 2, 3, 4]
    assert scoped_messages(messages, InputScope.ALL_USER, roles) == [1, 3]
    assert scoped_messages(messages, InputScope.LAST_USER, roles) == [3, 4]


@pytest.mark.parametrize(
    "body",
    [
        {"model": "m"},
        {"model": "m", "messages": []},
        {"model": "m", "messages": [{"role": "narrator", "content": "x"}]},
        {"model": "m", "messages": [{"role": "user", "content": "x", "name": 1}]},
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": {}},
    ],
    ids=["no-messages", "empty", "unknown-role", "name-not-string", "tools-not-list"],
)
def test_malformed_requests_name_their_field(body: dict[str, Any]) -> None:
    with pytest.raises(PayloadShapeError) as caught:
        FAMILY.input_bundles(body, SPEC, None)
    assert caught.value.param in ("messages", "tools")


def answer(message: dict[str, Any], **choice: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop", **choice}]}


def test_an_answer_is_read_choice_by_choice_with_every_text_field() -> None:
    message = {
        "role": "assistant",
        "content": [{"type": "text", "text": "hi"}, {"type": "thinking", "thinking": "plan"}],
        "reasoning_content": "why",
        "audio": {"id": "a", "transcript": "said"},
    }
    two = {"choices": [answer(message)["choices"][0], {"index": 1, "message": None}]}
    first, second = FAMILY.output_bundles(two)
    assert [s.text for s in first.segments] == ["hi", "plan", "why", "said"]
    assert second.segments == ()
    with pytest.raises(PayloadShapeError):
        FAMILY.output_bundles({"object": "chat.completion"})


def test_a_block_replaces_the_choice_and_drops_its_logprobs() -> None:
    blocked = answer({"role": "assistant", "content": "bad"}, logprobs={"content": []})
    FAMILY.block_output(blocked, 0, "Stopped.")
    [choice] = blocked["choices"]
    assert choice["message"] == {"role": "assistant", "content": "Stopped.", "refusal": None}
    assert (choice["finish_reason"], choice["logprobs"]) == ("content_filter", None)


def test_blocked_answers_and_streams_look_like_the_api_s_own() -> None:
    body = FAMILY.blocked_answer("r1", "m", "Stopped.")
    assert (body["id"], body["object"], body["model"]) == ("chatcmpl-sg-r1", "chat.completion", "m")
    assert body["choices"][0]["message"]["content"] == "Stopped."
    assert body["usage"]["total_tokens"] == 0
    raw = FAMILY.blocked_stream("r1", "m", "Stopped.", {"stream_options": {"include_usage": True}})
    assert raw.endswith(DONE_EVENT)
    events = [
        orjson.loads(line[6:]) for line in raw.split(b"\n\n") if line[6:] not in (b"", b"[DONE]")
    ]
    assert [e["object"] for e in events] == ["chat.completion.chunk"] * 3
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": "Stopped."}
    assert events[1]["choices"][0]["finish_reason"] == "content_filter"
    assert (events[2]["choices"], events[2]["usage"]["total_tokens"]) == ([], 0)
    error = FAMILY.input_block_error("Stopped.")["error"]
    assert (error["code"], error["param"]) == ("content_filter", "messages")
