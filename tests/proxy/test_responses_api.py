"""POST /v1/responses gets the same input and output guarding as chat."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.conftest import GatewayFactory
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


def test_allowed_response(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    upstream.push(Reply(body=response_body("All good.")))
    result = gw.client.responses.create(model="m", input="hello")
    assert result.output_text == "All good."
    assert upstream.requests[0].path == "/v1/responses"


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
def test_input_block_never_calls_upstream(
    gateway: GatewayFactory, upstream: MockUpstream, kwargs: dict[str, Any]
) -> None:
    gw = gateway(POLICY)
    with pytest.raises(openai.BadRequestError) as info:
        gw.client.responses.create(model="m", **kwargs)
    assert info.value.code == "content_filter"
    assert upstream.requests == []


def test_input_redaction(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    upstream.push(Reply(body=response_body("ok")))
    gw.client.responses.create(
        model="m",
        instructions="reply to jane@example.com",
        input=[{"role": "user", "content": "mail jane@example.com"}],
    )
    sent = upstream.requests[0].body
    assert sent["instructions"] == "reply to [EMAIL]"
    assert sent["input"][0]["content"] == "mail [EMAIL]"


def test_output_redaction_and_block(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c",
        "name": "send",
        "arguments": '{"to": "jane@example.com"}',
        "status": "completed",
    }
    upstream.push(Reply(body=response_body("write to jane@example.com", extra_items=[call])))
    redacted = gw.client.responses.create(model="m", input="hi")
    assert redacted.output_text == "write to [EMAIL]"
    assert redacted.output[1].arguments == '{"to":"[EMAIL]"}'  # type: ignore[union-attr]
    upstream.push(Reply(body=response_body("here is BLOCKME")))
    blocked = gw.client.responses.create(model="m", input="hi")
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


def stream_text(gw: Any) -> tuple[str, Any]:
    text, final = "", None
    for event in gw.client.responses.create(model="m", input="hi", stream=True):
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type in ("response.completed", "response.incomplete"):
            final = event.response
    return text, final


def test_stream_allowed_redacted_blocked(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    gw = gateway(POLICY)
    upstream.push(response_events(["Hello ", "world"]))
    assert stream_text(gw)[0] == "Hello world"
    upstream.push(response_events(["write to jane@exa", "mple.com"]))
    text, final = stream_text(gw)
    assert text == "write to [EMAIL]"
    assert final.output_text == "write to [EMAIL]"
    upstream.push(response_events(["BLOC", "KME"]))
    text, final = stream_text(gw)
    assert text == "Stopped."
    assert final.status == "incomplete"


def test_stream_without_final_response_is_502(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    upstream.push(Reply(events=[{"type": "response.created", "response": response_body("")}]))
    with pytest.raises(openai.InternalServerError) as info:
        stream_text(gw)
    assert info.value.status_code == 502


def test_demo_model_answers_responses() -> None:
    from sluicegate.proxy.app import create_app
    from sluicegate.proxy.config import GatewayConfig
    from tests.support.servers import serve

    app = create_app(GatewayConfig.model_validate({"hot_reload": False, "audit": {"path": None}}))
    with (
        serve(app) as url,
        openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as client,
    ):
        result = client.responses.create(model="demo", input="mail bob@example.org")
        assert result.output_text == "This is sluicegate's demo model. You said: mail [EMAIL]"
        events = list(client.responses.create(model="demo", input="hi", stream=True))
        assert events[-1].type == "response.completed"
