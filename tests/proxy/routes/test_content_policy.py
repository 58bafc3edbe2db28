"""A blocked input is a content-policy error that SDKs raise as their
content-filter exception; blocked output is marked too."""

from __future__ import annotations

import os
from typing import Any

import openai
import pytest

from tests.support.inprocess import AppGatewayFactory, collect
from tests.support.servers import MockUpstream, Reply, chat_reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "Blocked: bad."}
"""
BLOCKED = [{"role": "user", "content": "please BLOCKME"}]
# LiteLLM: no cost-map fetch (no network here); its import-time warnings are not ours.
LITELLM_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
LITELLM_WARNINGS = "ignore:Item.* using the `ReadOnly` qualifier:UserWarning"
NOTE = "Your request was rejected as a result of the safety system (content_policy_violation)."


async def test_openai_sdk_reads_the_content_filter_code(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    with pytest.raises(openai.BadRequestError) as info:
        await gw.client.chat.completions.create(model="m", messages=BLOCKED)
    assert info.value.code == "content_filter"
    assert info.value.param == "messages"
    assert info.value.body == {
        "message": f"Blocked: bad. {NOTE}",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "content_filter",
        "innererror": {"code": "ResponsibleAIPolicyViolation"},
    }
    headers = info.value.response.headers
    assert headers["x-sluicegate-decision"] == "block"
    assert headers["x-sluicegate-blocked"] == "input"
    assert headers["x-sluicegate-request-id"]
    assert mock_upstream.requests == []


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/completions", {"model": "m", "prompt": "BLOCKME"}, "prompt"),
        ("/v1/embeddings", {"model": "m", "input": ["ok", "BLOCKME"]}, "input"),
        ("/v1/responses", {"model": "m", "input": "BLOCKME"}, "input"),
    ],
)
async def test_every_guarded_route_blocks_with_the_same_shape(
    app_gateway: AppGatewayFactory,
    mock_upstream: MockUpstream,
    path: str,
    body: dict[str, Any],
    param: str,
) -> None:
    response = await (await app_gateway(POLICY)).http().post(path, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"]) == (
        "content_filter",
        param,
        "invalid_request_error",
    )
    assert error["message"].endswith(NOTE)
    assert response.headers["x-sluicegate-blocked"] == "input"
    assert mock_upstream.requests == []


async def test_block_as_message_is_marked_as_an_input_block(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "block_response: message\n")
    raw = await gw.client.chat.completions.with_raw_response.create(model="m", messages=BLOCKED)
    assert raw.headers["x-sluicegate-blocked"] == "input"
    assert raw.parse().choices[0].finish_reason == "content_filter"


def _litellm() -> Any:
    for key, value in LITELLM_ENV.items():
        os.environ.setdefault(key, value)
    return pytest.importorskip("litellm")


@pytest.mark.filterwarnings(LITELLM_WARNINGS)
async def test_litellm_raises_content_policy_violation(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    litellm = _litellm()
    gw = await app_gateway(POLICY)
    with pytest.raises(litellm.ContentPolicyViolationError) as info:
        await litellm.acompletion(
            model="openai/m",
            messages=BLOCKED,
            client=gw.client,
            num_retries=0,
        )
    assert "Blocked: bad." in str(info.value)
    assert mock_upstream.requests == []


@pytest.mark.filterwarnings(LITELLM_WARNINGS)
async def test_litellm_still_raises_bad_request_for_other_400s(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    litellm = _litellm()
    gw = await app_gateway(POLICY)
    with pytest.raises(litellm.BadRequestError) as info:
        await litellm.acompletion(
            model="openai/m",
            messages=[{"role": "user", "content": [{"type": "text", "text": 1}]}],
            client=gw.client,
            num_retries=0,
        )
    assert not isinstance(info.value, litellm.ContentPolicyViolationError)


async def test_pydantic_ai_raises_content_filter_error_for_an_azure_client(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    """pydantic-ai maps content-filter 400s only for Azure clients (by the code
    ``content_filter``); with its plain OpenAI provider any 400 is a
    ModelRequestRejectedError."""
    pytest.importorskip("pydantic_ai")
    import httpx2
    from pydantic_ai import Agent
    from pydantic_ai.exceptions import ContentFilterError
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.azure import AzureProvider

    gw = await app_gateway(POLICY)

    async def unroute(request: httpx2.Request) -> None:
        # The Azure SDK writes /deployments/{model}/...; an Azure-style front
        # (API Management, say) maps it onto the OpenAI path the gateway serves.
        request.url = request.url.copy_with(path=request.url.path.replace("/deployments/m", ""))

    http = gw.sdk_http(event_hooks={"request": [unroute]})
    client = openai.AsyncAzureOpenAI(
        base_url=f"{gw.url}/v1", api_key="x", api_version="2024-10-21", http_client=http
    )
    agent = Agent(OpenAIChatModel("m", provider=AzureProvider(openai_client=client)))
    with pytest.raises(ContentFilterError):
        await agent.run("please BLOCKME")
    assert mock_upstream.requests == []


async def test_blocked_output_is_marked(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    http = (await app_gateway(POLICY)).http()
    mock_upstream.push(chat_reply("here is BLOCKME"))
    response = await http.post(
        "/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert response.status_code == 200
    assert response.headers["x-sluicegate-blocked"] == "output"
    assert response.json()["choices"][0]["finish_reason"] == "content_filter"
    mock_upstream.push(chat_reply("fine"))
    allowed = await http.post(
        "/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert "x-sluicegate-blocked" not in allowed.headers
    mock_upstream.push(
        Reply(
            body={
                "id": "c",
                "object": "text_completion",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "text": "BLOCKME", "finish_reason": "stop"}],
            }
        )
    )
    text = await http.post("/v1/completions", json={"model": "m", "prompt": "hi"})
    assert text.headers["x-sluicegate-blocked"] == "output"


@pytest.mark.parametrize("include_usage", [True, False])
async def test_blocked_chat_stream_ends_with_usage_when_asked(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, include_usage: bool
) -> None:
    gw = await app_gateway(POLICY + "block_response: message\n")
    chunks = await collect(
        await gw.client.chat.completions.create(
            model="m",
            messages=BLOCKED,
            stream=True,
            stream_options={"include_usage": include_usage},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Blocked: bad."
    with_usage = [c for c in chunks if c.usage is not None]
    if include_usage:
        assert chunks[-1].choices == []
        assert with_usage == [chunks[-1]]
        assert chunks[-1].usage.total_tokens == 0
    else:
        assert with_usage == []
    assert mock_upstream.requests == []


async def test_blocked_completions_stream_ends_with_usage(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "block_response: message\n")
    chunks = await collect(
        await gw.client.completions.create(
            model="m", prompt="BLOCKME", stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "Blocked: bad."
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "content_filter"
