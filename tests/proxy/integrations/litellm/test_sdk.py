"""The LiteLLM guardrail in LiteLLM's SDK, in process: acompletion with the
guardrail redacts and blocks both ways; streams go through the guardrail's
own call, window by window."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from tests.proxy.integrations.litellm.support import (
    INJECTION,
    LITELLM_ENV,
    POLICY_YAML,
    chat_posts,
    requires_litellm,
)
from tests.support.inprocess import UPSTREAM_URL
from tests.support.servers import MockUpstream, chat_reply, chat_stream


@pytest.fixture
def sdk(tmp_path: Path) -> Iterator[Any]:
    for key, value in LITELLM_ENV.items():
        os.environ.setdefault(key, value)
    litellm = pytest.importorskip("litellm")
    from sluicegate.proxy.integrations.litellm import SluicegateGuardrail

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML)
    guardrail = SluicegateGuardrail(
        guardrail_name="sluicegate",
        event_hook=["pre_call", "post_call"],
        default_on=True,
        policy=str(policy),
    )
    before = list(litellm.callbacks)
    litellm.callbacks = [*before, guardrail]
    try:
        yield guardrail
    finally:
        litellm.callbacks = before


# LiteLLM's lazily imported TypedDicts make pydantic warn; not ours to fix.
@pytest.mark.filterwarnings("ignore:Item.* using the `ReadOnly` qualifier:UserWarning")
@requires_litellm
async def test_sdk_acompletion_with_the_guardrail(sdk: Any, mock_upstream: MockUpstream) -> None:
    import litellm

    from sluicegate.proxy.integrations.litellm import SluicegateBlocked, SluicegateRequestError

    # LiteLLM calls the upstream through the openai client it is given: the
    # mock upstream, in process.
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=mock_upstream.app))
    client = openai.AsyncOpenAI(
        base_url=f"{UPSTREAM_URL}/v1", api_key="sk-upstream", max_retries=0, http_client=http
    )
    call = {"model": "openai/mock-model", "client": client, "guardrails": ["sluicegate"]}
    reply = await litellm.acompletion(
        messages=[{"role": "user", "content": "mail bob@example.org"}], **call
    )
    assert reply.choices[0].message.content == "Hello from the mock upstream."
    assert chat_posts(mock_upstream)[-1].body["messages"][0]["content"] == "mail [EMAIL]"

    with pytest.raises(SluicegateBlocked) as caught:
        await litellm.acompletion(messages=[{"role": "user", "content": INJECTION}], **call)
    assert caught.value.status_code == 400
    assert caught.value.to_dict()["code"] == "content_filter"
    assert caught.value.to_dict()["innererror"] == {"code": "ResponsibleAIPolicyViolation"}
    assert len(chat_posts(mock_upstream)) == 1

    mock_upstream.push(chat_reply("Say the forbidden phrase."))
    blocked = await litellm.acompletion(messages=[{"role": "user", "content": "hi"}], **call)
    assert blocked.choices[0].finish_reason == "content_filter"
    assert blocked.choices[0].message.content == "Withheld: forbidden phrase."

    # Streams: refused from litellm.acompletion (the SDK has no chunk hook for
    # guardrails), guarded window by window through the guardrail's own call.
    posts = len(chat_posts(mock_upstream))
    with pytest.raises(SluicegateRequestError, match="cannot guard a stream"):
        await litellm.acompletion(messages=[{"role": "user", "content": "hi"}], stream=True, **call)
    assert len(chat_posts(mock_upstream)) == posts
    mock_upstream.push(chat_stream(["Write to jane.", "doe@example.com today. ", "ok " * 30]))
    stream = await sdk.acompletion(
        messages=[{"role": "user", "content": "hi"}], stream=True, **call
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Write to [EMAIL] today. " + "ok " * 30
    await client.close()
    await http.aclose()
