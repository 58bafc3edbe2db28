"""The anthropic SDK on /v1/messages (the gateway forwards it to an upstream that speaks
Anthropic's Messages API), directly and through the gateway in every stream mode:
the same parsed message. Skipped while the gateway has no /v1/messages route."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conformance.conftest import Targets
from tests.conformance.scenarios import BLOCK_NOTICE, TRIGGER
from tests.support.servers import (
    MockUpstream,
    Reply,
    anthropic_events,
    anthropic_message,
    sse_reply,
)

anthropic = pytest.importorskip("anthropic")

STREAM_TARGETS = ["direct", "window", "buffer", "audit", "passthrough", "pack:default"]
PLAIN_TARGETS = ["direct", "window", "pack:default"]
USER = [{"role": "user", "content": "Tell me about Paris."}]

MESSAGES = {
    "text": anthropic_message(
        {
            "type": "text",
            "text": "Paris is the capital of France. It sits on the Seine and is known "
            "for its museums, cafes and bridges.",
        }
    ),
    "unicode": anthropic_message(
        {"type": "text", "text": "Grüße aus Zürich! 東京は晴れです。 Ça va? 🌍🚀 Done."}
    ),
    "parallel-tools": anthropic_message(
        {"type": "text", "text": "Let me check both for you."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {"tz": "Europe/Paris"}},
        stop_reason="tool_use",
    ),
}


@pytest.fixture(scope="module", autouse=True)
def _route_present(targets: Targets) -> None:
    """Checked at run time: another change adds the route."""
    response = httpx.post(f"{targets.modes['window'].url}/v1/messages", json={}, timeout=10)
    if response.status_code == 404:
        pytest.skip("route not yet present: the gateway answers 404 on /v1/messages")


@pytest.fixture(scope="module")
def clients(targets: Targets) -> Any:
    made = {
        name: anthropic.Anthropic(
            base_url=targets.named(name).url, api_key="sk-ant-test", max_retries=0, timeout=10
        )
        for name in {*STREAM_TARGETS, *PLAIN_TARGETS}
    }
    yield made
    for client in made.values():
        client.close()


def parsed(message: Any) -> dict[str, Any]:
    blocks = []
    for block in message.content:
        if block.type == "text":
            blocks.append(("text", block.text))
        elif block.type == "tool_use":
            blocks.append(("tool_use", block.id, block.name, block.input))
    return {
        "content": blocks,
        "stop_reason": message.stop_reason,
        "usage": [message.usage.input_tokens, message.usage.output_tokens],
    }


def expected(name: str) -> dict[str, Any]:
    message = MESSAGES[name]
    blocks = [
        ("text", b["text"]) if b["type"] == "text" else ("tool_use", b["id"], b["name"], b["input"])
        for b in message["content"]
    ]
    usage = message["usage"]
    return {
        "content": blocks,
        "stop_reason": message["stop_reason"],
        "usage": [usage["input_tokens"], usage["output_tokens"]],
    }


def create(client: Any, **kwargs: Any) -> Any:
    return client.messages.create(model="claude-mock", max_tokens=256, messages=USER, **kwargs)


@pytest.mark.parametrize("name", PLAIN_TARGETS)
@pytest.mark.parametrize("scenario", list(MESSAGES))
def test_create(clients: Any, mock: MockUpstream, scenario: str, name: str) -> None:
    mock.push(Reply(body=MESSAGES[scenario]))
    assert parsed(create(clients[name])) == expected(scenario)


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", list(MESSAGES))
def test_stream_helper(clients: Any, mock: MockUpstream, scenario: str, name: str) -> None:
    mock.push(sse_reply(anthropic_events(MESSAGES[scenario], piece=5)))
    with clients[name].messages.stream(
        model="claude-mock", max_tokens=256, messages=USER
    ) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    assert parsed(final) == expected(scenario)
    assert events[-1] == "message_stop"


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", list(MESSAGES))
def test_create_stream(clients: Any, mock: MockUpstream, scenario: str, name: str) -> None:
    """Raw events, folded here the way the event types say (start, deltas, stop)."""
    mock.push(sse_reply(anthropic_events(MESSAGES[scenario], piece=5)))
    events = [e for e in create(clients[name], stream=True) if e.type != "ping"]
    assert events[0].type == "message_start"
    assert events[-1].type == "message_stop"
    blocks: dict[int, list[Any]] = {}
    stop_reason, output_tokens = None, None
    for event in events:
        if event.type == "content_block_start":
            block = event.content_block
            blocks[event.index] = (
                ["text", block.text] if block.type == "text" else
                ["tool_use", block.id, block.name, ""]
            )
        elif event.type == "content_block_delta":
            if event.delta.type == "text_delta":
                blocks[event.index][1] += event.delta.text
            else:
                blocks[event.index][3] += event.delta.partial_json
        elif event.type == "message_delta":
            stop_reason, output_tokens = event.delta.stop_reason, event.usage.output_tokens
    content = [
        tuple(b) if b[0] == "text" else (*b[:3], json.loads(b[3]))
        for _, b in sorted(blocks.items())
    ]
    input_tokens = events[0].message.usage.input_tokens
    assert {"content": content, "stop_reason": stop_reason,
            "usage": [input_tokens, output_tokens]} == expected(scenario)


@pytest.mark.parametrize("name", ["window", "buffer"])
def test_output_block_mid_stream(clients: Any, mock: MockUpstream, name: str) -> None:
    said = f"Paris is the capital of France. Then {TRIGGER} arrives with more text after it."
    mock.push(sse_reply(anthropic_events(anthropic_message({"type": "text", "text": said}))))
    with clients[name].messages.stream(
        model="claude-mock", max_tokens=256, messages=USER
    ) as stream:
        text = "".join(stream.text_stream)  # does not raise
        final = stream.get_final_message()
    assert TRIGGER not in text
    assert text.endswith(BLOCK_NOTICE)
    assert final.stop_reason == "refusal"


def test_input_block_is_bad_request(clients: Any, mock: MockUpstream) -> None:
    blocked = [{"role": "user", "content": f"please {TRIGGER} now"}]
    with pytest.raises(anthropic.BadRequestError):
        clients["window"].messages.create(model="claude-mock", max_tokens=8, messages=blocked)
    assert mock.requests == []
