"""POST /v1/responses in process: the same input and output guarding as chat,
through the openai SDK."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream, Reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Stopped."}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""


def response_body(text: str, *, extra_items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "m",
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            },
            *(extra_items or []),
        ],
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
    }


async def test_allowed_response(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(Reply(body=response_body("All good.")))
    result = await gw.client.responses.create(model="m", input="hello")
    assert result.output_text == "All good."
    assert mock_upstream.requests[0].path == "/v1/responses"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input": "please BLOCKME"},
        {"input": "hi", "instructions": "BLOCKME"},
        {"input": [{"role": "user", "content": [{"type": "input_text", "text": "BLOCKME"}]}]},
        {"input": [{"type": "function_call_output", "call_id": "c", "output": "BLOCKME"}]},
        {
            "input": [
                {
                    "type": "function_call",
                    "call_id": "c",
                    "name": "f",
                    "arguments": '{"q": "BLOCKME"}',
                }
            ]
        },
    ],
    ids=["string", "instructions", "message-part", "tool-output", "function-call"],
)
async def test_input_block_never_calls_upstream(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, kwargs: dict[str, Any]
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(openai.BadRequestError) as info:
        await gw.client.responses.create(model="m", **kwargs)
    assert info.value.code == "content_filter"
    assert mock_upstream.requests == []


async def test_input_redaction(app_gateway: AppGatewayFactory, mock_upstream: MockUpstream) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(Reply(body=response_body("ok")))
    await gw.client.responses.create(
        model="m",
        instructions="reply to jane@example.com",
        input=[{"role": "user", "content": "mail jane@example.com"}],
    )
    sent = mock_upstream.requests[0].body
    assert sent["instructions"] == "reply to [EMAIL]"
    assert sent["input"][0]["content"] == "mail [EMAIL]"


async def test_output_redaction_and_block(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c",
        "name": "send",
        "arguments": '{"to": "jane@example.com"}',
        "status": "completed",
    }
    mock_upstream.push(Reply(body=response_body("write to jane@example.com", extra_items=[call])))
    redacted = await gw.client.responses.create(model="m", input="hi")
    assert redacted.output_text == "write to [EMAIL]"
    assert redacted.output[1].arguments == '{"to":"[EMAIL]"}'  # type: ignore[union-attr]
    mock_upstream.push(Reply(body=response_body("here is BLOCKME")))
    blocked = await gw.client.responses.create(model="m", input="hi")
    assert blocked.output_text == "Stopped."
    assert blocked.status == "incomplete"
    assert blocked.incomplete_details is not None
    assert blocked.incomplete_details.reason == "content_filter"


def response_events(pieces: list[str]) -> Reply:
    text = "".join(pieces)
    final = response_body(text)
    item = final["output"][0]
    events: list[Any] = [
        {
            "type": "response.created",
            "sequence_number": 0,
            "response": {**final, "status": "in_progress", "output": []},
        },
        {
            "type": "response.output_item.added",
            "sequence_number": 1,
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        },
    ]
    events += [
        {
            "type": "response.output_text.delta",
            "sequence_number": 2 + i,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": p,
            "logprobs": [],
        }
        for i, p in enumerate(pieces)
    ]
    events.append({"type": "response.completed", "sequence_number": 99, "response": final})
    return Reply(events=events)


async def stream_text(gw: Any) -> tuple[str, Any]:
    text, final = "", None
    async for event in await gw.client.responses.create(model="m", input="hi", stream=True):
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type in ("response.completed", "response.incomplete"):
            final = event.response
    return text, final


@pytest.mark.parametrize("mode", ["window", "buffer"])
async def test_stream_allowed_redacted_blocked(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, mode: str
) -> None:
    gw = await app_gateway(
        POLICY + f"streaming: {{mode: {mode}, first_window_chars: 4, holdback_chars: 8,"
        " window_chars: 16}\n"
    )
    mock_upstream.push(response_events(["Hello ", "world"]))
    text, final = await stream_text(gw)
    assert text == "Hello world"
    assert final.output_text == "Hello world"
    mock_upstream.push(
        response_events(
            ["please write to jane@exa", "mple.com if you like, ", "and say hello from us."]
        )
    )
    text, final = await stream_text(gw)
    assert text == "please write to [EMAIL] if you like, and say hello from us."
    assert final.output_text == text
    mock_upstream.push(response_events(["a long and harmless start of an answer ", "BLOC", "KME"]))
    text, final = await stream_text(gw)
    assert "BLOCKME" not in text
    assert final.status == "incomplete"
    # The notice goes into the open message as a text delta: the final
    # response lists the items as the client has them.
    assert text.endswith("Stopped.")
    assert final.output_text == text
    record = gw.audit()[-1]
    assert record["output"]["action"] == "block"


@pytest.mark.parametrize("mode", ["window", "buffer"])
async def test_stream_without_final_response_fails(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, mode: str
) -> None:
    gw = await app_gateway(POLICY + f"streaming: {mode}\n")
    mock_upstream.push(Reply(events=[{"type": "response.created", "response": response_body("")}]))
    with pytest.raises(openai.APIError):
        await stream_text(gw)


async def test_window_releases_response_text_before_the_end(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(
        POLICY + "streaming: {mode: window, first_window_chars: 8, holdback_chars: 8,"
        " window_chars: 16}\n"
    )
    mock_upstream.push(response_events([f"word{i} " for i in range(30)]))
    deltas = [
        e
        async for e in await gw.client.responses.create(model="m", input="hi", stream=True)
        if e.type == "response.output_text.delta"
    ]
    assert len(deltas) > 3
