"""Chat and completions streams through the guarded route, in process: the
buffer, window, audit and passthrough modes, and what an upstream stream
that cannot be guarded becomes. (Client disconnects: tests/e2e/test_disconnects.py.)"""

from __future__ import annotations

import asyncio

import openai
import pytest

from tests.support.asgi import StreamingASGITransport
from tests.support.inprocess import AppGateway, AppGatewayFactory, collect
from tests.support.servers import MockUpstream, Reply, chat_stream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Stopped."}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""
BUFFER = POLICY + "streaming: buffer\n"
WINDOW = (
    POLICY
    + "streaming: {mode: window, window_chars: 16, first_window_chars: 8, holdback_chars: 24}\n"
)


async def stream_text(client: openai.AsyncOpenAI, **kwargs: object) -> tuple[str, list[str | None]]:
    chunks = await collect(
        await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True, **kwargs
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    return text, finish


async def test_buffered_stream_allowed_is_replayed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(chat_stream(["Hello", " world"], usage=True))
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello world"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 3
    assert mock_upstream.requests[0].body["stream"] is True


async def test_buffered_stream_redacts_across_chunks(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(chat_stream(["write to ja", "ne@exam", "ple.com now"]))
    text, finish = await stream_text(gw.client)
    assert text == "write to [EMAIL] now"
    assert finish == ["stop"]


async def test_buffered_stream_blocks_with_content_filter(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(BUFFER)
    mock_upstream.push(chat_stream(["this is BLOC", "KME text"]))
    text, finish = await stream_text(gw.client)
    assert text == "Stopped."
    assert finish == ["content_filter"]
    record = gw.audit()[0]
    assert record["output"]["decision"] == "block"


async def test_stream_input_block_never_calls_upstream(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(openai.BadRequestError):
        await collect(
            await gw.client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "BLOCKME"}], stream=True
            )
        )
    assert mock_upstream.requests == []


async def test_stream_input_block_as_message(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "block_response: message\n")
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "BLOCKME"}], stream=True
        )
    )
    assert chunks[0].choices[0].delta.content == "Stopped."
    assert chunks[-1].choices[0].finish_reason == "content_filter"


async def test_passthrough_stream_is_marked_unguarded(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "streaming: passthrough\n")
    mock_upstream.push(chat_stream(["BLOCKME", " jane@example.com"]))
    response = await gw.client.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert response.headers["x-sluicegate-output"] == "unguarded"
    chunks = await collect(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "BLOCKME jane@example.com"  # passthrough does not guard output
    [record] = gw.audit()
    assert record["output"]["decision"] == "unguarded"
    assert record["stream_status"] == "complete"


async def test_passthrough_still_applies_input_guards(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "streaming: passthrough\n")
    mock_upstream.push(chat_stream(["ok"]))
    await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "mail jane@example.com"}], stream=True
        )
    )
    assert mock_upstream.requests[0].body["messages"][0]["content"] == "mail [EMAIL]"


async def test_malformed_upstream_sse_is_502(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(BUFFER)
    mock_upstream.push(Reply(events=["{broken json", "[DONE]"]))
    with pytest.raises(openai.InternalServerError) as info:
        await stream_text(gw.client)
    assert info.value.status_code == 502


async def test_stream_upstream_error_status(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        Reply(
            status=400,
            body={
                "error": {
                    "message": "bad model",
                    "type": "x",
                    "param": None,
                    "code": "model_not_found",
                }
            },
        )
    )
    with pytest.raises(openai.BadRequestError) as info:
        await stream_text(gw.client)
    assert info.value.code == "model_not_found"


async def test_tool_call_deltas_are_assembled_and_guarded(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def call(args: str, first: bool = False) -> dict[str, object]:
        fn: dict[str, str] = {"arguments": args}
        tc: dict[str, object] = {"index": 0, "function": fn}
        if first:
            tc.update(id="c1", type="function")
            fn["name"] = "send"
        return {
            **head,
            "choices": [{"index": 0, "delta": {"tool_calls": [tc]}, "finish_reason": None}],
        }

    mock_upstream.push(
        Reply(
            events=[
                call('{"to": "jane@exa', first=True),
                call('mple.com"}'),
                {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
                "[DONE]",
            ]
        )
    )
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    args = "".join(
        tc.function.arguments or ""
        for c in chunks
        if c.choices
        for tc in (c.choices[0].delta.tool_calls or [])
        if tc.function
    )
    assert args == '{"to":"[EMAIL]"}'
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


async def test_stream_kind_comes_from_the_endpoint_not_the_chunks(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    """Azure's first chunk is {"choices": [], "object": ""}: text deltas must still be read."""
    gw = await app_gateway(POLICY)
    head = {"id": "x", "created": 1, "model": "m"}
    mock_upstream.push(
        Reply(
            events=[
                {**head, "object": "", "choices": []},
                {
                    **head,
                    "choices": [
                        {"index": 0, "text": "mail jane@example.com", "finish_reason": None}
                    ],
                },
                {**head, "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]},
                "[DONE]",
            ]
        )
    )
    chunks = await collect(await gw.client.completions.create(model="m", prompt="hi", stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "mail [EMAIL]"


async def test_json_answer_to_a_stream_request_is_502(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(BUFFER)
    mock_upstream.push(Reply(body={"choices": [{"index": 0, "message": {"content": "BLOCKME"}}]}))
    with pytest.raises(openai.InternalServerError) as info:
        await stream_text(gw.client)
    assert info.value.status_code == 502


@pytest.mark.parametrize(
    "delta",
    [
        {"tool_calls": [{"index": None, "function": {"arguments": "x"}}]},
        {"tool_calls": ["not an object"]},
        {"content": 42},
    ],
    ids=["null-index", "string-call", "number-content"],
)
async def test_malformed_deltas_are_502_not_500(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, delta: dict[str, object]
) -> None:
    gw = await app_gateway(BUFFER)
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    mock_upstream.push(
        Reply(
            events=[
                {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
                "[DONE]",
            ]
        )
    )
    with pytest.raises(openai.InternalServerError) as info:
        await stream_text(gw.client)
    assert info.value.status_code == 502


async def test_streamed_reasoning_is_guarded(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m", "error": None}
    mock_upstream.push(
        Reply(
            events=[
                {**head, "choices": [{"index": 0, "delta": {"reasoning_content": "BLOC"}}]},
                {**head, "choices": [{"index": 0, "delta": {"reasoning_content": "KME"}}]},
                {
                    **head,
                    "choices": [
                        {"index": 0, "delta": {"content": "fine"}, "finish_reason": "stop"}
                    ],
                },
                "[DONE]",
            ]
        )
    )
    text, finish = await stream_text(gw.client)
    assert text == "Stopped."
    assert finish == ["content_filter"]


async def test_oversized_upstream_stream_is_502(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(BUFFER, upstream={"max_response_bytes": 2000})
    mock_upstream.push(chat_stream(["x" * 100] * 50))
    with pytest.raises(openai.InternalServerError) as info:
        await stream_text(gw.client)
    assert info.value.status_code == 502


# -- window mode -------------------------------------------------------------


async def test_window_releases_incrementally_and_whole(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(WINDOW)
    words = [f"word{i} " for i in range(40)]
    mock_upstream.push(chat_stream(words, usage=True))
    response = await gw.client.chat.completions.with_raw_response.create(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    assert response.headers["x-sluicegate-output"] == "window"
    chunks = await collect(response.parse())
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert "".join(pieces) == "".join(words)
    assert len(pieces) > 3  # released window by window, not all at the end
    assert chunks[-1].usage is not None
    [record] = gw.audit()
    assert record["output"]["decision"] == "allow"
    # holdback + one window + at most a chunk and a word of overshoot
    assert 0 < record["output"]["max_held_chars"] <= 24 + 16 + 7 + 7
    assert record["stream_status"] == "complete"


async def test_window_redacts_across_chunk_boundaries(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(WINDOW)
    mock_upstream.push(
        chat_stream(["please write to ja", "ne@exam", "ple.com today, and then ", "stop here."])
    )
    text, finish = await stream_text(gw.client)
    assert text == "please write to [EMAIL] today, and then stop here."
    assert finish == ["stop"]


async def test_window_block_mid_stream_ends_cleanly(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(WINDOW)
    mock_upstream.push(chat_stream(["a harmless start, then ", "BLOCK", "ME and more text after"]))
    text, finish = await stream_text(gw.client)
    assert "BLOCKME" not in text
    assert text.endswith("Stopped.")
    assert finish == ["content_filter"]
    assert gw.audit()[0]["output"]["decision"] == "block"


async def test_window_guards_choices_independently(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(WINDOW)
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def delta(i: int, text: str, finish: str | None = None) -> dict[str, object]:
        return {
            **head,
            "choices": [{"index": i, "delta": {"content": text}, "finish_reason": finish}],
        }

    mock_upstream.push(
        Reply(
            events=[
                delta(0, "first answer is fine "),
                delta(1, "second has BLOCKME in it "),
                delta(0, "and ends well", "stop"),
                delta(1, "and more", "stop"),
                "[DONE]",
            ]
        )
    )
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True, n=2
        )
    )
    texts = {0: "", 1: ""}
    finish = {}
    for c in chunks:
        for choice in c.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finish[choice.index] = choice.finish_reason
    assert texts[0] == "first answer is fine and ends well"
    assert "BLOCKME" not in texts[1]
    assert finish == {0: "stop", 1: "content_filter"}


async def test_window_tool_calls_are_held_and_redacted(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(WINDOW)
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    call = {
        "index": 0,
        "id": "c1",
        "type": "function",
        "function": {"name": "send", "arguments": '{"to": "jane@exa'},
    }
    mock_upstream.push(
        Reply(
            events=[
                {**head, "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]},
                {
                    **head,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [
                                    {"index": 0, "function": {"arguments": 'mple.com"}'}}
                                ]
                            },
                        }
                    ],
                },
                {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
                "[DONE]",
            ]
        )
    )
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.function.arguments for tc in calls if tc.function] == ['{"to":"[EMAIL]"}']
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_window_upstream_garbage_mid_stream_is_an_error_event(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(WINDOW)
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    mock_upstream.push(
        Reply(
            events=[
                {
                    **head,
                    "choices": [
                        {"index": 0, "delta": {"content": "some text that is long enough"}}
                    ],
                },
                "{broken",
                "[DONE]",
            ]
        )
    )
    with pytest.raises(openai.APIError, match="non-JSON"):
        await stream_text(gw.client)
    assert "invalid" in gw.audit()[0]["stream_status"]


# -- audit mode --------------------------------------------------------------


async def wait_for_audit(gw: AppGateway) -> list[dict[str, object]]:
    """The audit line once audit mode's check, which runs after the response,
    has written it: the check runs on this loop, so yield to it."""
    for _ in range(1000):
        lines = gw.audit()
        if lines and "output" in lines[0]:
            return lines
        await asyncio.sleep(0.005)
    raise AssertionError("no audit line with an output decision")


async def test_audit_mode_releases_at_once_and_records_the_decision(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "streaming: audit\n")
    mock_upstream.push(chat_stream(["this is BLOC", "KME text"]))
    response = await gw.client.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert response.headers["x-sluicegate-output"] == "audit"
    chunks = await collect(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "this is BLOCKME text"  # audit mode is not protective
    [record] = await wait_for_audit(gw)
    assert record["output"]["decision"] == "block"
    assert "not protective" in record["output"]["mode"]


async def test_audit_mode_can_cut_the_stream_on_block(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    # The upstream's events arrive one by one, as over a socket, so the
    # check can end while it is still sending.
    gw = await app_gateway(
        POLICY + "streaming: {mode: audit, cut_on_block: true, window_chars: 16}\n",
        transport=StreamingASGITransport(mock_upstream.app),
    )
    slow = chat_stream(["BLOCKME and a long tail "] + ["tick "] * 100)
    slow.event_delay_s = 0.02
    mock_upstream.push(slow)
    text, finish = await stream_text(gw.client)
    assert finish == ["content_filter"]
    assert text.count("tick") < 100
    [record] = await wait_for_audit(gw)
    assert record["stream_status"] == "cut on block"


async def test_window_passes_role_only_and_empty_deltas(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(WINDOW)
    head = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    mock_upstream.push(
        Reply(
            events=[
                {**head, "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
                {**head, "choices": [{"index": 0, "delta": {}}]},
                {
                    **head,
                    "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}],
                },
                "[DONE]",
            ]
        )
    )
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[1].choices[0].delta.content is None
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "hi"
    assert chunks[-1].choices[0].finish_reason == "stop"
