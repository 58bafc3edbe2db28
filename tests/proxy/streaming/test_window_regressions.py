"""Window-mode regressions found in review, driven in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.enforcement import OutputGuardStage
from sluicegate.proxy.payloads.kinds import EndpointKind
from sluicegate.proxy.sse import DONE_EVENT, encode_event
from sluicegate.proxy.streaming import GuardedStream, codec_for
from sluicegate.proxy.streaming.relay import StreamStatus, relay_events

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


async def relayed(kind: EndpointKind, response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The relay loop on one upstream response: the client's bytes, and the
    audit line's stream status and output decision."""
    codec = codec_for(kind)
    session = GuardedStream(codec, POLICY, STAGE, RequestInfo())
    status = StreamStatus()
    out = b"".join([c async for c in relay_events(response, codec, session, status, 1 << 20)])
    return out.decode(), {"stream_status": status.text, "output": session.record()}


async def chat(events: list[Any]) -> tuple[str, dict[str, Any]]:
    body = b"".join(encode_event(e) for e in events) + DONE_EVENT
    return await relayed(EndpointKind.CHAT, upstream(body))


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
            pieces = [f"please write to {EMAIL} today. ", *["more words follow here. "] * 6]
            yield b"".join(encode_event(delta({"content": p})) for p in pieces)
            raise httpx.ReadError("connection reset")

    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Failing())
    out, record = await relayed(EndpointKind.CHAT, response)
    assert "[EMAIL]" in out and EMAIL not in out
    assert record["output"]["action"] == "redact"
    assert record["stream_status"].startswith("upstream failed")


async def responses(events: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    body = b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in events)
    return await relayed(EndpointKind.RESPONSES, upstream(body))


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
