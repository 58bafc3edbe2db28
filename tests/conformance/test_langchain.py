"""langchain-openai's ChatOpenAI (invoke, stream, bind_tools, with_structured_output)
and OpenAIEmbeddings, directly and through the gateway: the same parsed result."""

from __future__ import annotations

import functools
import importlib.util
import json
import operator
from pathlib import Path
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests.conformance.conftest import Targets
from tests.conformance.scenarios import (
    BLOCK_NOTICE,
    BLOCKED_OUTPUT,
    CHAT_SCENARIOS,
    EMBEDDINGS,
    TRIGGER,
    ChatScenario,
)
from tests.support.servers import MockUpstream

langchain_openai = pytest.importorskip("langchain_openai")

STREAM_TARGETS = ["direct", "window", "buffer", "audit", "passthrough", "pack:default"]
PLAIN_TARGETS = ["direct", "window", "pack:default"]
SCENARIOS = [
    s
    for s in CHAT_SCENARIOS
    if s.name in ("plain-text", "unicode", "parallel-tools", "content-then-tool", "include-usage")
]


class City(BaseModel):
    name: str
    population: int


def chat_model(targets: Targets, name: str, **kwargs: Any) -> Any:
    return langchain_openai.ChatOpenAI(
        model="gpt-4o-mini",
        base_url=targets.named(name).base_url,
        api_key="sk-test",
        max_retries=0,
        timeout=10,
        **kwargs,
    )


def bound(model: Any, scenario: ChatScenario) -> Any:
    tools = scenario.request.get("tools")
    return model.bind_tools(tools) if tools else model


def prompt(scenario: ChatScenario) -> str:
    content: str = scenario.request["messages"][-1]["content"]
    return content


def result(message: Any) -> dict[str, Any]:
    usage = message.usage_metadata
    return {
        "content": message.content,
        "tool_calls": [(c["id"], c["name"], c["args"]) for c in message.tool_calls],
        "finish_reason": message.response_metadata.get("finish_reason"),
        "usage": (
            [usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]]
            if usage
            else None
        ),
    }


def expected(scenario: ChatScenario, *, stream: bool) -> dict[str, Any]:
    [choice] = scenario.expected(stream=stream)["choices"]
    usage = scenario.expected(stream=stream)["usage"]
    return {
        "content": choice["content"] or "",
        "tool_calls": [
            (c["id"], c["name"], json.loads(c["arguments"])) for c in choice["tool_calls"]
        ],
        "finish_reason": choice["finish_reason"],
        "usage": list(usage.values()) if usage else None,
    }


@pytest.mark.parametrize("name", PLAIN_TARGETS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_invoke(targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str) -> None:
    mock.push(scenario.reply(stream=False))
    message = bound(chat_model(targets, name), scenario).invoke(prompt(scenario))
    assert result(message) == expected(scenario, stream=False)


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_stream(targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str) -> None:
    mock.push(scenario.reply(stream=True))
    model = chat_model(targets, name, stream_usage=scenario.include_usage)
    chunks = list(bound(model, scenario).stream(prompt(scenario)))
    assert result(functools.reduce(operator.add, chunks)) == expected(scenario, stream=True)


@pytest.mark.parametrize("name", PLAIN_TARGETS)
def test_with_structured_output(targets: Targets, mock: MockUpstream, name: str) -> None:
    [scenario] = [s for s in CHAT_SCENARIOS if s.structured]
    mock.push(scenario.reply(stream=False))
    structured = chat_model(targets, name).with_structured_output(City, method="json_schema")
    assert structured.invoke(prompt(scenario)) == City(name="Paris", population=2102650)
    assert mock.requests[-1].body["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize("name", ["window", "buffer"])
def test_output_block_mid_stream(targets: Targets, mock: MockUpstream, name: str) -> None:
    mock.push(BLOCKED_OUTPUT.reply(stream=True))
    chunks = list(chat_model(targets, name).stream(prompt(BLOCKED_OUTPUT)))  # does not raise
    message = functools.reduce(operator.add, chunks)
    assert TRIGGER not in message.content
    assert message.content.endswith(BLOCK_NOTICE)
    assert message.response_metadata["finish_reason"] == "content_filter"


def test_input_block_is_bad_request(targets: Targets, mock: MockUpstream) -> None:
    with pytest.raises(openai.BadRequestError):
        chat_model(targets, "window").invoke(f"please {TRIGGER} now")
    assert mock.requests == []


def embeddings(targets: Targets, name: str, **kwargs: Any) -> Any:
    return langchain_openai.OpenAIEmbeddings(
        model="text-embedding-3-small",
        base_url=targets.named(name).base_url,
        api_key="sk-test",
        max_retries=0,
        **kwargs,
    )


@pytest.mark.parametrize("name", PLAIN_TARGETS)
def test_embeddings_strings(targets: Targets, mock: MockUpstream, name: str) -> None:
    """check_embedding_ctx_length=False: the texts are sent as strings."""
    mock.push(EMBEDDINGS.reply())
    vectors = embeddings(targets, name, check_embedding_ctx_length=False).embed_documents(
        EMBEDDINGS.input
    )
    assert vectors == EMBEDDINGS.expected()
    assert mock.requests[-1].body["input"] == EMBEDDINGS.input


def _litellm_tiktoken_dir() -> Path | None:
    """LiteLLM ships tiktoken's cl100k_base file (named as tiktoken caches it),
    so tiktoken can load it offline from there."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
    return folder if (folder / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4").exists() else None


def _tiktoken_ready(monkeypatch: pytest.MonkeyPatch) -> str | None:
    import tiktoken

    try:
        tiktoken.get_encoding("cl100k_base")
        return None
    except Exception as exc:  # offline: the encoding is a download
        reason = f"tiktoken's cl100k_base encoding cannot be loaded here: {type(exc).__name__}"
    folder = _litellm_tiktoken_dir()
    if folder is None:
        return reason
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(folder))
    tiktoken.get_encoding("cl100k_base")
    return None


@pytest.mark.parametrize("name", PLAIN_TARGETS)
def test_embeddings_default_token_ids(
    targets: Targets, mock: MockUpstream, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default: texts tokenized with tiktoken and sent as lists of token ids."""
    missing = _tiktoken_ready(monkeypatch)
    if missing:
        pytest.skip(missing)
    mock.push(EMBEDDINGS.reply())
    vectors = embeddings(targets, name).embed_documents(EMBEDDINGS.input)
    assert vectors == EMBEDDINGS.expected()
    assert all(isinstance(item, list) for item in mock.requests[-1].body["input"])


@pytest.mark.parametrize("name", ["window", "pack:default"])
def test_embeddings_token_ids_as_langchain_sends_them(
    targets: Targets, mock: MockUpstream, name: str
) -> None:
    """What OpenAIEmbeddings sends by default (token ids, float format), sent as is,
    so the gateway's answer is checked even where tiktoken cannot load."""
    mock.push(EMBEDDINGS.reply())
    with openai.OpenAI(
        base_url=targets.named(name).base_url, api_key="sk-test", max_retries=0
    ) as client:
        result = client.embeddings.create(
            model="text-embedding-3-small",
            input=[[47, 12366, 374, 304, 9822, 13], [49, 638, 374, 304, 15704, 13]],
            encoding_format="float",
        )
    assert [d.embedding for d in result.data] == EMBEDDINGS.expected()
