"""Window-mode regressions found in review, driven in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.enforcement import OutputGuardStage, StageOutcome
from sluicegate.proxy.responses_api import apply_response_output, response_output_bundle
from sluicegate.proxy.responses_stream import ResponsesWindowStream
from sluicegate.proxy.sse import DONE_EVENT, encode_event
from sluicegate.proxy.window_stream import WindowedStream

POLICY = PolicyLoader().load_text(
    """\
version: 1
guards:
  pii: {type: pii, entities: [email]}
rules:
  - {name: redact, when: 'scores["pii"] > 0.0', action: redact}
streaming: {mode: window, window_chars: 24, first_window_chars: 8, holdback_chars: 48}
""",
    path="w.yaml",
)
STAGE = OutputGuardStage(PolicyEvaluator())
EMAIL = "jane.doe@example.com"
HEAD = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}


class Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body


def upstream(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(body))


async def chat(events: list[Any]) -> tuple[str, dict[str, Any]]:
    body = b"".join(encode_event(e) for e in events) + DONE_EVENT
    record: dict[str, Any] = {}
    stream = WindowedStream(POLICY, "chat", STAGE, RequestInfo(), record, lambda r: None, 1 << 20)
    out = b"".join([chunk async for chunk in stream.relay(upstream(body), 0.0)])
    return out.decode(), record


def delta(d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {**HEAD, "choices": [{"index": 0, "delta": d, "finish_reason": finish}]}


async def test_legacy_function_call_and_audio_deltas_are_guarded() -> None:
    out, record = await chat(
        [
            delta({"role": "assistant"}),
            delta({"function_call": {"name": "f", "arguments": '{"to": "jane.doe@exa'}}),
            delta({"function_call": {"arguments": 'mple.com"}'}}),
            delta({"audio": {"transcript": f"mail {EMAIL}"}}),
            delta({}, "stop"),
        ]
    )
    assert EMAIL not in out
    assert '{\\"to\\":\\"[EMAIL]\\"}' in out
    assert "mail [EMAIL]" in out
    assert record["output"]["action"] == "redact"


async def test_decision_recorded_when_upstream_fails_after_release() -> None:
    class Failing(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            text = f"please write to {EMAIL} today. " + "more words follow here. " * 6
            yield encode_event(delta({"content": text}))
            raise httpx.ReadError("connection reset")

    record: dict[str, Any] = {}
    stream = WindowedStream(POLICY, "chat", STAGE, RequestInfo(), record, lambda r: None, 1 << 20)
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Failing())
    out = b"".join([c async for c in stream.relay(response, 0.0)]).decode()
    assert "[EMAIL]" in out and EMAIL not in out
    assert record["output"]["action"] == "redact"
    assert record["stream_status"].startswith("upstream failed")


async def responses(events: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    async def check_answer(answer: Any) -> StageOutcome:
        outcome = await STAGE.check(POLICY, [response_output_bundle(answer)], RequestInfo())
        apply_response_output(answer, outcome)
        return outcome

    body = b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in events)
    record: dict[str, Any] = {}
    stream = ResponsesWindowStream(
        POLICY, STAGE, RequestInfo(), record, lambda r: None, 1 << 20, check_answer
    )
    out = b"".join([c async for c in stream.relay(upstream(body), 0.0)])
    return out.decode(), record


def final(text: str, logprobs: list[Any] | None = None) -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": logprobs or []}
    return {
        "type": "response.completed",
        "response": {
            "id": "r",
            "object": "response",
            "status": "completed",
            "output": [{"type": "message", "id": "m1", "role": "assistant", "content": [part]}],
        },
    }


def text_delta(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": "m1",
        "output_index": 0,
        "content_index": 0,
        "delta": text,
        **extra,
    }


async def test_responses_logprobs_and_added_events_never_carry_raw_text() -> None:
    streamed = f"please write to {EMAIL} soon. " + "and then some more words. " * 4
    tokens = [{"token": c, "logprob": -1.0} for c in streamed]
    out, _ = await responses(
        [
            {"type": "response.created", "response": {"id": "r", "output": [{"x": EMAIL}]}},
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {"type": "message", "id": "m1", "content": [{"text": EMAIL}]},
            },
            {
                "type": "response.content_part.added",
                "item_id": "m1",
                "output_index": 0,
                "content_index": 0,
                "part": {"type": "output_text", "text": EMAIL},
            },
            text_delta(streamed, logprobs=tokens),
            {"type": "response.output_text.annotation.added", "annotation": {"title": EMAIL}},
            final(streamed, tokens),
        ]
    )
    assert EMAIL not in out
    assert '"token"' not in out


async def test_responses_final_text_differing_from_deltas_is_aligned() -> None:
    streamed = f"write to {EMAIL} soon please."
    out, record = await responses(
        [
            {"type": "response.created", "response": {"id": "r"}},
            text_delta(streamed),
            final("x" * 40 + streamed),
        ]
    )
    assert EMAIL not in out
    assert record["output"]["action"] == "redact"


async def test_responses_bad_indexes_end_with_an_error_event() -> None:
    out, record = await responses([{**text_delta("hello"), "output_index": None}])
    assert '"type":"error"' in out
    assert record["stream_status"].startswith("upstream stream invalid")
