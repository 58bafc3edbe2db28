"""The chat completions route in process: what reaches the upstream, blocks
and redactions both ways, the audit line, guard failures, keys and upstream
errors, through the openai SDK."""

from __future__ import annotations

import openai
import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream, Reply, chat_reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email, "SECRET42": key}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Blocked: bad."}
  - {name: redact-pii, when: 'scores["t.email"] > 0.5 || scores["t.key"] > 0.5', action: redact,
     redact: [t.email, t.key]}
"""


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def test_allowed_request_reaches_upstream_unchanged(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    raw = await gw.client.chat.completions.with_raw_response.create(
        model="m", messages=user("hello there")
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the mock upstream."
    assert raw.headers["x-sluicegate-decision"] == "allow"
    assert len(raw.headers["x-sluicegate-request-id"]) == 32
    [seen] = mock_upstream.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.body["messages"] == user("hello there")
    assert seen.headers["authorization"] == "Bearer sk-client"  # forwarded when no upstream key


async def test_input_block_never_calls_upstream(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(openai.BadRequestError) as info:
        await gw.client.chat.completions.create(model="m", messages=user("please BLOCKME now"))
    assert info.value.status_code == 400
    body = info.value.body
    assert isinstance(body, dict)
    assert body["message"].startswith("Blocked: bad. ")  # + the content-policy note
    assert body["code"] == "content_filter"
    assert body["type"] == "invalid_request_error"
    assert info.value.response.headers["x-sluicegate-decision"] == "block"
    assert mock_upstream.requests == []


async def test_input_block_as_message(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "block_response: message\n")
    completion = await gw.client.chat.completions.create(model="m", messages=user("BLOCKME"))
    assert completion.choices[0].message.content == "Blocked: bad."
    assert completion.choices[0].finish_reason == "content_filter"
    assert mock_upstream.requests == []


async def test_input_redaction_reaches_upstream_with_placeholders(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    raw = await gw.client.chat.completions.with_raw_response.create(
        model="m",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "mail jane@example.com"},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                    {"type": "text", "text": "key SECRET42 ok"},
                ],
            },
        ],
    )
    assert raw.headers["x-sluicegate-decision"] == "redact"
    [seen] = mock_upstream.requests
    parts = seen.body["messages"][1]["content"]
    assert parts[0]["text"] == "mail [EMAIL]"
    assert parts[1] == {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
    assert parts[2]["text"] == "key [KEY] ok"
    assert seen.body["messages"][0]["content"] == "You are helpful."


async def test_tool_results_and_system_messages_are_checked(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(openai.BadRequestError):
        await gw.client.chat.completions.create(
            model="m",
            messages=[
                {"role": "user", "content": "look this up"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "search", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "result: BLOCKME"},
            ],
        )
    assert mock_upstream.requests == []


async def test_harm_split_over_turns_is_seen_whole(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY.replace('"BLOCKME": bad', '"step one\\n\\nstep two": bad'))
    with pytest.raises(openai.BadRequestError):
        await gw.client.chat.completions.create(
            model="m",
            messages=[
                {"role": "user", "content": "step one"},
                {"role": "user", "content": "step two"},
            ],
        )
    assert mock_upstream.requests == []


async def test_last_user_scope_ignores_earlier_turns(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "input_scope: last_user\n")
    await gw.client.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "content": "BLOCKME"},
            {"role": "assistant", "content": "no"},
            {"role": "user", "content": "fine now"},
        ],
    )
    assert len(mock_upstream.requests) == 1


async def test_output_block_replaces_content(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(chat_reply("here is BLOCKME content", n=2))
    raw = await gw.client.chat.completions.with_raw_response.create(model="m", messages=user("hi"))
    completion = raw.parse()
    for choice in completion.choices:
        assert choice.message.content == "Blocked: bad."
        assert choice.finish_reason == "content_filter"
    assert raw.headers["x-sluicegate-decision"] == "block"


async def test_output_redaction_and_tool_call_arguments(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        chat_reply(
            "write to jane@example.com",
            tool_calls=[
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "send", "arguments": '{"to": "jane@example.com"}'},
                }
            ],
        )
    )
    completion = await gw.client.chat.completions.create(model="m", messages=user("hi"))
    message = completion.choices[0].message
    assert message.content == "write to [EMAIL]"
    assert message.tool_calls is not None
    assert message.tool_calls[0].function.arguments == '{"to":"[EMAIL]"}'


async def test_blocked_tool_call_arguments_block_the_choice(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        chat_reply(
            None,
            tool_calls=[
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "run", "arguments": '"BLOCKME"'},
                }
            ],
        )
    )
    completion = await gw.client.chat.completions.create(model="m", messages=user("hi"))
    assert completion.choices[0].finish_reason == "content_filter"
    assert completion.choices[0].message.tool_calls is None


async def test_audit_line_per_request_without_text(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    await gw.client.chat.completions.create(model="m", messages=user("mail jane@example.com"))
    [line] = gw.audit()
    assert line["input"]["decision"] == "redact"
    assert line["input"]["rules"] == ["redact-pii"]
    assert line["input"]["scores"]["t.email"] == 1.0
    assert "t" in line["input"]["guard_latency_ms"]
    assert line["output"]["decision"] == "allow"
    assert line["upstream_latency_ms"] > 0
    assert line["policy"] == "default" and len(line["policy_digest"]) == 12
    assert "jane@example.com" not in str(line)
    assert "texts" not in line["input"]


async def test_audit_logs_text_only_when_asked_and_redacted(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY, audit={"log_text": True})
    await gw.client.chat.completions.create(model="m", messages=user("mail jane@example.com"))
    [line] = gw.audit()
    assert line["input"]["texts"] == ["mail [EMAIL]"]


async def test_guard_failure_fails_closed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY.replace("key}}", "key}, fail: true}"))
    with pytest.raises(openai.BadRequestError):
        await gw.client.chat.completions.create(model="m", messages=user("hi"))
    assert mock_upstream.requests == []
    assert gw.audit()[0]["input"]["reason"] == "guard_error_fail_closed"


async def test_guard_failure_fail_open_is_labelled(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY.replace("key}}", "key}, fail: true}") + "on_guard_error: allow\n")
    raw = await gw.client.chat.completions.with_raw_response.create(model="m", messages=user("hi"))
    assert raw.headers["x-sluicegate-decision"] == "guard_error_fail_open"
    assert gw.audit()[0]["input"]["fail_open"] == ["t"]
    assert len(mock_upstream.requests) == 1


async def test_upstream_key_injected_from_env(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_UPSTREAM_KEY", "sk-upstream-secret")
    gw = await app_gateway(POLICY, upstream={"api_key_env": "TEST_UPSTREAM_KEY"})
    await gw.client.chat.completions.create(model="m", messages=user("hi"))
    assert mock_upstream.requests[0].headers["authorization"] == "Bearer sk-upstream-secret"


async def test_gateway_keys(app_gateway: AppGatewayFactory, mock_upstream: MockUpstream) -> None:
    gw = await app_gateway(POLICY, auth={"keys": ["gw-key-1"]})
    with pytest.raises(openai.AuthenticationError) as info:
        await gw.client.chat.completions.create(model="m", messages=user("hi"))
    assert info.value.status_code == 401
    ok = gw.openai(api_key="gw-key-1")
    await ok.chat.completions.create(model="m", messages=user("hi"))
    [seen] = mock_upstream.requests
    assert "authorization" not in seen.headers  # the gateway key is not sent upstream


async def test_upstream_error_status_passes_through(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        Reply(
            status=429,
            body={
                "error": {
                    "message": "slow down",
                    "type": "rate",
                    "param": None,
                    "code": "rate_limited",
                }
            },
        )
    )
    with pytest.raises(openai.RateLimitError) as info:
        await gw.client.chat.completions.create(model="m", messages=user("hi"))
    assert info.value.code == "rate_limited"


async def test_upstream_non_json_error_is_wrapped(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(Reply(status=503, raw=b"<html>down</html>"))
    with pytest.raises(openai.InternalServerError) as info:
        await gw.client.chat.completions.create(model="m", messages=user("hi"))
    assert info.value.status_code == 503
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "upstream_error"
