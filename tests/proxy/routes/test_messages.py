"""POST /v1/messages (Anthropic's Messages API) in process: the same input and
output guarding as chat, read and written through the real ``anthropic`` SDK.
(The payload family's pure halves: tests/proxy/payloads/test_messages.py.)"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.proxy.payloads.test_messages import TOOL_MESSAGE, text, tool_use
from tests.support.inprocess import NETWORK, AppGateway, AppGatewayFactory
from tests.support.servers import (
    MockUpstream,
    Reply,
    anthropic_events,
    anthropic_message,
    anthropic_reply,
    sse_reply,
)

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email, 'ZZ","': email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Stopped."}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""
USER = [{"role": "user", "content": "hi"}]


def client(gw: AppGateway, **kwargs: Any) -> anthropic.AsyncAnthropic:
    return gw.anthropic(**kwargs)


async def create(
    gw: AppGateway, messages: list[Any] = USER, **kwargs: Any
) -> anthropic.types.Message:
    return await client(gw).messages.create(
        model="claude-mock", max_tokens=64, messages=messages, **kwargs
    )


# Not streamed


async def test_allowed_message_and_upstream_auth(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(anthropic_reply(text("All good.")))
    raw = await client(gw).messages.with_raw_response.create(
        model="claude-mock", max_tokens=64, messages=USER
    )
    message = await raw.parse()
    assert message.content[0].type == "text" and message.content[0].text == "All good."
    assert message.stop_reason == "end_turn"
    assert raw.headers["x-sluicegate-decision"] == "allow"
    [received] = mock_upstream.requests
    assert received.path == "/v1/messages"
    # The SDK's credentials (as x-api-key, or a bearer token since the 2.x SDKs)
    # and API version reach the upstream.
    sent = {received.headers.get("x-api-key"), received.headers.get("authorization")}
    assert sent & {"sk-ant-client", "Bearer sk-ant-client"}
    assert received.headers["anthropic-version"]


async def test_x_api_key_reaches_upstream(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    """Older SDKs, Claude Code and curl send the key as ``x-api-key``."""
    gw = await app_gateway(POLICY)
    mock_upstream.push(anthropic_reply(text("ok")))
    headers = {"x-api-key": "sk-ant-client", "anthropic-version": "2023-06-01"}
    body = {"model": "m", "max_tokens": 8, "messages": USER}
    response = await gw.http().post("/v1/messages", json=body, headers=headers)
    assert response.status_code == 200
    assert mock_upstream.requests[0].headers["x-api-key"] == "sk-ant-client"
    assert mock_upstream.requests[0].headers["anthropic-version"] == "2023-06-01"


async def test_gateway_key_from_the_sdk(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    """A gateway key given as the SDK's ``auth_token`` arrives as a bearer
    token: the gateway takes it and does not forward it."""
    gw = await app_gateway(POLICY, auth={"keys": ["sg-key"]})
    mock_upstream.push(anthropic_reply(text("ok")))
    sdk = client(gw, api_key=None, auth_token="sg-key")
    assert (await sdk.messages.create(model="m", max_tokens=8, messages=USER)).content[
        0
    ].type == "text"
    assert "authorization" not in mock_upstream.requests[0].headers
    with pytest.raises(anthropic.AuthenticationError) as caught:
        await client(gw, api_key=None, auth_token="wrong").messages.create(
            model="m", max_tokens=8, messages=USER
        )
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid or missing gateway key"},
    }


async def test_input_block_is_an_anthropic_error(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(anthropic.BadRequestError) as caught:
        await create(gw, [{"role": "user", "content": "please BLOCKME"}])
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "Stopped."},
    }
    assert caught.value.response.headers["x-sluicegate-decision"].startswith("block")
    assert caught.value.response.headers["x-sluicegate-blocked"] == "input"
    assert mock_upstream.requests == []


@pytest.mark.parametrize(
    ("messages", "extra"),
    [
        ([{"role": "user", "content": "hi"}], {"system": "you BLOCKME"}),
        ([{"role": "user", "content": "hi"}], {"system": [text("ok"), text("BLOCKME")]}),
        ([{"role": "user", "content": [text("a"), text("BLOCKME")]}], {}),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [tool_use({"q": {"deep": ["BLOCKME"]}})]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]},
            ],
            {},
        ),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [tool_use({})]},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "BLOCKME"}
                    ],
                },
            ],
            {},
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_1",
                            "content": [text("fine"), text("BLOCKME")],
                            "is_error": True,
                        }
                    ],
                },
            ],
            {},
        ),
        (
            [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [{"type": "thinking", "thinking": "BLOCKME", "signature": "s"}],
                },
            ],
            {},
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {
                                "type": "text",
                                "media_type": "text/plain",
                                "data": "BLOCKME",
                            },
                        }
                    ],
                }
            ],
            {},
        ),
        (
            [{"role": "user", "content": "hi"}],
            {
                "tools": [
                    {"name": "t", "description": "BLOCKME", "input_schema": {"type": "object"}}
                ]
            },
        ),
    ],
    ids=[
        "system",
        "system-blocks",
        "text-block",
        "tool-use-input",
        "tool-result-string",
        "tool-result-blocks",
        "thinking",
        "text-document",
        "tool-schema",
    ],
)
async def test_input_block_wherever_text_is(
    app_gateway: AppGatewayFactory,
    mock_upstream: MockUpstream,
    messages: list[Any],
    extra: dict[str, Any],
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(anthropic.BadRequestError):
        await create(gw, messages, **extra)
    assert mock_upstream.requests == []


async def test_input_scope_applies_but_system_is_always_read(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "input_scope: all_user\n")
    mock_upstream.push(anthropic_reply(text("ok")))
    history = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "BLOCKME"},
        {"role": "user", "content": "go on"},
    ]
    assert (await create(gw, history)).content[0].type == "text"  # assistant turns out of scope
    with pytest.raises(anthropic.BadRequestError):
        await create(gw, history, system="BLOCKME")
    assert len(mock_upstream.requests) == 1


async def test_input_redaction_reaches_upstream_in_place(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(anthropic_reply(text("ok")))
    await create(
        gw,
        [
            {"role": "user", "content": [text("mail jane@example.com")]},
            {"role": "assistant", "content": [tool_use({"to": ["jane@example.com"], "n": 2})]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": "sent to jane@example.com",
                    }
                ],
            },
        ],
        system=[text("user is jane@example.com")],
    )
    body = mock_upstream.requests[0].body
    assert body["system"] == [text("user is [EMAIL]")]
    assert body["messages"][0]["content"] == [text("mail [EMAIL]")]
    assert body["messages"][1]["content"][0]["input"] == {"to": ["[EMAIL]"], "n": 2}
    assert body["messages"][2]["content"][0]["content"] == "sent to [EMAIL]"


async def test_images_count_as_unscanned(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "non_text_content: block\n")
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}
    with pytest.raises(anthropic.BadRequestError) as caught:
        await create(gw, [{"role": "user", "content": [text("look"), image]}])
    assert "cannot check" in caught.value.message
    assert mock_upstream.requests == []


@pytest.mark.parametrize(
    "body",
    [
        {"model": "m", "max_tokens": 8},
        {"model": "m", "max_tokens": 8, "messages": []},
        {"model": "m", "max_tokens": 8, "messages": [{"role": "system", "content": "x"}]},
        {"model": "m", "max_tokens": 8, "messages": [{"role": "user"}]},
        {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": 3}]},
        {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": [{"text": "x"}]}]},
        {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": [text(3)]}]},
        {
            "model": "m",
            "max_tokens": 8,
            "messages": [{"role": "assistant", "content": [tool_use("x")]}],
        },
        {"model": "m", "max_tokens": 8, "messages": USER, "system": [{"type": "image"}]},
        {"model": "m", "max_tokens": 8, "messages": USER, "system": 5},
        {"model": "m", "max_tokens": 8, "messages": USER, "tools": "x"},
    ],
)
async def test_malformed_requests_are_anthropic_400s(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, body: dict[str, Any]
) -> None:
    gw = await app_gateway(POLICY)
    response = await gw.http().post("/v1/messages", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert error["error"]["message"]
    assert mock_upstream.requests == []


async def test_gateway_errors_are_anthropic_shaped(app_gateway: AppGatewayFactory) -> None:
    gw = await app_gateway(POLICY, upstream={"url": "http://127.0.0.1:9"}, transport=NETWORK)
    http = gw.http()
    bad_json = await http.post("/v1/messages", content=b"{nope")
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.APIStatusError) as caught:
        await create(gw)
    assert caught.value.status_code == 502
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "api_error"


async def test_malformed_upstream_answer_is_a_502(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(Reply(body={"type": "message", "content": "not a list"}))
    with pytest.raises(anthropic.InternalServerError) as caught:
        await create(gw)
    assert caught.value.status_code == 502


async def test_upstream_errors_pass_through(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    mock_upstream.push(Reply(status=529, body=error))
    with pytest.raises(anthropic.APIStatusError) as caught:
        await create(gw)
    assert caught.value.status_code == 529
    assert caught.value.body == error


async def test_output_redaction_of_text_and_tool_input(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        anthropic_reply(
            text("write to jane@example.com"),
            tool_use({"to": "jane@example.com", "cc": ["x"]}),
            stop_reason="tool_use",
        )
    )
    message = await create(gw)
    first, second = message.content
    assert first.type == "text" and first.text == "write to [EMAIL]"
    assert second.type == "tool_use" and second.input == {"to": "[EMAIL]", "cc": ["x"]}
    assert message.stop_reason == "tool_use"


async def test_output_redaction_that_would_break_tool_input_blocks(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    # The span 'ZZ","' crosses a JSON string's end: redacting it would break the input.
    mock_upstream.push(anthropic_reply(tool_use({"a": "xZZ", "b": "y"}), stop_reason="tool_use"))
    message = await create(gw)
    assert [block.type for block in message.content] == ["text"]
    assert message.stop_reason == "refusal"


async def test_output_block_stops_with_refusal(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        anthropic_reply(
            {"type": "thinking", "thinking": "plan", "signature": "sig"},
            text("here: BLOCKME"),
        )
    )
    raw = await client(gw).messages.with_raw_response.create(
        model="claude-mock", max_tokens=64, messages=USER
    )
    message = await raw.parse()
    assert [(b.type, getattr(b, "text", None)) for b in message.content] == [("text", "Stopped.")]
    assert message.stop_reason == "refusal"
    assert message.stop_details is not None and message.stop_details.explanation == "Stopped."
    assert raw.headers["x-sluicegate-decision"].startswith("block")
    assert gw.audit()[0]["output"]["decision"].startswith("block")


async def test_output_thinking_is_guarded(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        anthropic_reply(
            {"type": "thinking", "thinking": "ask jane@example.com", "signature": "sig"},
            {"type": "redacted_thinking", "data": "opaque"},
            text("done"),
        )
    )
    message = await create(gw)
    thinking = message.content[0]
    assert thinking.type == "thinking" and thinking.thinking == "ask [EMAIL]"
    assert message.content[1].type == "redacted_thinking"


async def test_block_response_message(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "block_response: message\n")
    message = await create(gw, [{"role": "user", "content": "BLOCKME"}])
    assert [(b.type, getattr(b, "text", None)) for b in message.content] == [("text", "Stopped.")]
    assert message.stop_reason == "refusal"
    assert message.model == "claude-mock"
    async with client(gw).messages.stream(
        model="claude-mock", max_tokens=8, messages=[{"role": "user", "content": "BLOCKME"}]
    ) as stream:
        assert "".join([piece async for piece in stream.text_stream]) == "Stopped."
        assert (await stream.get_final_message()).stop_reason == "refusal"
    assert mock_upstream.requests == []


# Streamed: through the one relay (window mode by default)


async def test_stream_allowed(app_gateway: AppGatewayFactory, mock_upstream: MockUpstream) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(sse_reply(anthropic_events(anthropic_message(text("Hello there, world.")))))
    async with client(gw).messages.stream(
        model="claude-mock", max_tokens=64, messages=USER
    ) as stream:
        assert "".join([piece async for piece in stream.text_stream]) == "Hello there, world."
        final = await stream.get_final_message()
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens == 7 and final.usage.output_tokens == 11
    assert mock_upstream.requests[0].body["stream"] is True


async def test_stream_redacts_text_thinking_and_tool_input(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(sse_reply(anthropic_events(TOOL_MESSAGE, piece=3)))
    async with client(gw).messages.stream(
        model="claude-mock", max_tokens=64, messages=USER
    ) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_message()
    thinking, said, call = final.content
    assert thinking.type == "thinking" and thinking.thinking == "I should mail [EMAIL]"
    assert thinking.signature == "sig=="
    assert said.type == "text" and said.text == "Sending to [EMAIL] now."
    assert call.type == "tool_use" and call.input == {"to": "[EMAIL]", "body": "hello\nthere"}
    assert final.stop_reason == "tool_use"
    assert [e.type for e in events][-1] == "message_stop"


async def test_stream_block_ends_well_formed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(sse_reply(anthropic_events(anthropic_message(text("one BLOCKME two")))))
    response = await client(gw).messages.with_raw_response.create(
        model="claude-mock", max_tokens=64, messages=USER, stream=True
    )
    assert response.headers["x-sluicegate-output"] == "window"
    events = [e async for e in await response.parse() if e.type != "ping"]
    # "one " left before the guards saw the rest; the notice goes into the
    # open text block, which is then closed, and the message ends.
    assert [e.type for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert [e.delta.text for e in events[2:4]] == ["one ", "Stopped."]
    assert events[5].delta.stop_reason == "refusal"
    assert "BLOCKME" not in str(events)


async def test_stream_input_block(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(anthropic.BadRequestError):
        async with client(gw).messages.stream(
            model="m", max_tokens=8, messages=[{"role": "user", "content": "BLOCKME"}]
        ) as stream:
            await stream.until_done()
    assert mock_upstream.requests == []


@pytest.mark.parametrize(
    "events",
    [
        anthropic_events(anthropic_message(text("cut short")))[:-1],  # no message_stop
        [
            *anthropic_events(anthropic_message(text("x")))[:3],
            {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        ],
        [{"type": "content_block_start", "index": 0, "content_block": text("")}],
    ],
    ids=["truncated", "error-event", "no-message-start"],
)
async def test_stream_that_cannot_be_guarded_is_a_502(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, events: list[dict[str, Any]]
) -> None:
    """buffer mode: nothing leaves before the whole check, so the broken
    stream is still an HTTP 502."""
    gw = await app_gateway(POLICY + "streaming: buffer\n")
    mock_upstream.push(sse_reply(events))
    sdk = client(gw)
    with pytest.raises(anthropic.InternalServerError) as caught:
        async with sdk.messages.stream(model="m", max_tokens=8, messages=USER) as stream:
            await stream.until_done()
    assert caught.value.status_code == 502
    assert caught.value.body["error"]["type"] == "api_error"


@pytest.mark.parametrize(
    "events",
    [
        anthropic_events(anthropic_message(text("cut short")))[:-2],  # no message_delta
        [
            *anthropic_events(anthropic_message(text("x")))[:3],
            {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        ],
    ],
    ids=["truncated", "error-event"],
)
async def test_stream_broken_after_it_began_ends_with_an_error_event(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, events: list[dict[str, Any]]
) -> None:
    """window mode: the message began before the upstream broke, so the
    stream ends with Anthropic's error event, which the SDK raises."""
    gw = await app_gateway(POLICY)
    mock_upstream.push(sse_reply(events))
    sdk = client(gw)
    with pytest.raises(anthropic.APIStatusError, match="upstream") as caught:
        async with sdk.messages.stream(model="m", max_tokens=8, messages=USER) as stream:
            await stream.until_done()
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "api_error"
    assert "cut short" not in str(caught.value.body)
