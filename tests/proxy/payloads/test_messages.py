"""The Messages API family's pure halves, which the relay's Messages codec
reuses: event streams read back into a message and written from one; what
the gateway writes is what the anthropic SDK's stream helpers read."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import pytest

from sluicegate.proxy.payloads.messages import (
    assemble_message_events,
    blocked_message,
    decode_message_events,
    message_stream,
)
from tests.support.servers import (
    MockUpstream,
    Reply,
    anthropic_events,
    anthropic_message,
    sse_reply,
)

USER = [{"role": "user", "content": "hi"}]


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_1", "name": "send", "input": tool_input}


TOOL_MESSAGE = anthropic_message(
    {"type": "thinking", "thinking": "I should mail jane@example.com", "signature": "sig=="},
    text("Sending to jane@example.com now."),
    tool_use({"to": "jane@example.com", "body": "hello\nthere"}),
    stop_reason="tool_use",
)


def test_assembling_the_events_gives_the_message_back() -> None:
    raw = sse_reply(anthropic_events(TOOL_MESSAGE, piece=2)).raw
    assert raw is not None
    assert assemble_message_events(decode_message_events(raw)) == TOOL_MESSAGE


@pytest.mark.parametrize(
    "message",
    [TOOL_MESSAGE, blocked_message("r1", "claude-mock", "Stopped.")],
    ids=["tool-use", "blocked"],
)
def test_message_stream_round_trips(message: dict[str, Any]) -> None:
    written = message_stream(message)
    assert assemble_message_events(decode_message_events(written)) == message


async def test_message_stream_reads_in_the_sdk() -> None:
    """What the gateway writes, read by the SDK's stream helpers straight from
    the mock upstream (no gateway between, in process): every block type, and
    a citation."""
    cited = {
        **text("per the doc"),
        "citations": [
            {
                "type": "char_location",
                "cited_text": "doc",
                "document_index": 0,
                "document_title": None,
                "start_char_index": 0,
                "end_char_index": 3,
            }
        ],
    }
    message = anthropic_message(
        *TOOL_MESSAGE["content"], cited, {"type": "redacted_thinking", "data": "opaque"}
    )
    upstream = MockUpstream()
    upstream.push(Reply(raw=message_stream(message), headers={"content-type": "text/event-stream"}))
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=upstream.app))
    sdk = anthropic.AsyncAnthropic(
        api_key="k", base_url="http://upstream.test", max_retries=0, http_client=http
    )
    async with sdk.messages.stream(model="m", max_tokens=8, messages=USER) as stream:
        final = await stream.get_final_message()
    await sdk.close()
    await http.aclose()
    assert without_nones(final.model_dump(mode="json")) == without_nones(message)


def without_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nones(v) for v in value]
    return value
