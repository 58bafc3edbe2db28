"""Token-id input to embeddings and completions, in process: decoded with the
model's tiktoken encoding and guarded as text, redactions re-encoded;
unscanned (and audited so) without one. (The tokenizer registry:
tests/proxy/payloads/test_tokens.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import openai
import pytest

from tests.proxy.payloads.test_tokens import byte_encoding
from tests.support.inprocess import AppGateway, AppGatewayFactory
from tests.support.servers import MockUpstream, Reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""
EMBEDDING = Reply(
    body={
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
        "model": "m",
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
)
COMPLETION = Reply(
    body={
        "id": "c",
        "object": "text_completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "text": "ok", "finish_reason": "stop", "logprobs": None}],
    }
)


def ids(text: str) -> list[int]:
    return list(text.encode())


@pytest.fixture
def start(app_gateway: AppGatewayFactory) -> Callable[..., Awaitable[AppGateway]]:
    """Gateways whose tokenizers are the one-byte-per-token encoding."""

    async def run(policy: str = POLICY, **settings: Any) -> AppGateway:
        tokenizers = {"text-embedding-3-small": "tiny", "tok-*": "tiny"}
        return await app_gateway(policy, encodings=byte_encoding, tokenizers=tokenizers, **settings)

    return run


async def test_embedding_token_ids_are_forwarded_unchanged_when_allowed(
    start: Any, mock_upstream: MockUpstream
) -> None:
    gw = await start()
    mock_upstream.push(EMBEDDING)
    await gw.client.embeddings.create(input=[ids("hello there")], model="text-embedding-3-small")
    assert mock_upstream.requests[0].body["input"] == [ids("hello there")]
    assert "unscanned_parts" not in gw.audit()[-1]["input"]


async def test_embedding_token_ids_are_guarded_as_text(
    start: Any, mock_upstream: MockUpstream
) -> None:
    gw = await start()
    with pytest.raises(openai.BadRequestError) as info:
        await gw.client.embeddings.create(
            input=[ids("fine"), ids("please BLOCKME")], model="text-embedding-3-small"
        )
    assert info.value.code == "content_filter"
    assert mock_upstream.requests == []


async def test_redacted_token_ids_are_re_encoded(start: Any, mock_upstream: MockUpstream) -> None:
    gw = await start()
    mock_upstream.push(EMBEDDING, COMPLETION)
    await gw.client.embeddings.create(input=ids("mail jane@example.com"), model="tok-1")
    assert mock_upstream.requests[0].body["input"] == ids("mail [EMAIL]")
    await gw.client.completions.create(model="tok-2", prompt=[ids("x"), ids("to jane@example.com")])
    assert mock_upstream.requests[1].body["prompt"] == [ids("x"), ids("to [EMAIL]")]


async def test_completion_token_prompt_is_guarded(start: Any, mock_upstream: MockUpstream) -> None:
    gw = await start()
    with pytest.raises(openai.BadRequestError):
        await gw.client.completions.create(model="tok-x", prompt=ids("BLOCKME"))
    assert mock_upstream.requests == []


async def test_ids_outside_the_encoding_are_a_400(start: Any, mock_upstream: MockUpstream) -> None:
    gw = await start()
    for bad in ([[1, 10**12]], [[-1]], [[1, 2], "ok", [True]]):
        with pytest.raises(openai.BadRequestError) as info:
            await gw.client.embeddings.create(input=bad, model="tok-1")  # type: ignore[arg-type]
        assert info.value.param == "input"
    assert mock_upstream.requests == []


async def test_without_a_tokenizer_token_ids_go_unscanned_and_are_audited(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(EMBEDDING)
    await gw.client.embeddings.create(input=[[1, 2, 3], [4]], model="m")
    assert mock_upstream.requests[0].body["input"] == [[1, 2, 3], [4]]
    assert gw.audit()[-1]["input"]["unscanned_parts"] == 2
    mock_upstream.push(COMPLETION)
    await gw.client.completions.create(model="m", prompt=[1, 2, 3])
    assert mock_upstream.requests[1].body["prompt"] == [1, 2, 3]
    assert gw.audit()[-1]["input"]["unscanned_parts"] == 1


async def test_without_a_tokenizer_a_blocking_policy_refuses_token_ids(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY + "non_text_content: block\n")
    with pytest.raises(openai.BadRequestError) as info:
        await gw.client.embeddings.create(input=[[1, 2, 3]], model="m")
    assert "cannot check" in info.value.message
    assert gw.audit()[-1]["input"]["reason"] == "unscanned_content"
    with pytest.raises(openai.BadRequestError):
        await gw.client.completions.create(model="m", prompt=[[1, 2, 3]])
    assert mock_upstream.requests == []
