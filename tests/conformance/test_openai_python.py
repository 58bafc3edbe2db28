"""openai-python (sync and async, stream helpers included) against the mock upstream
directly and through the gateway in every stream mode: the same parsed result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests.conformance.canonical import accumulate, from_completion, response_result
from tests.conformance.conftest import Targets
from tests.conformance.scenarios import (
    BLOCK_NOTICE,
    BLOCKED_OUTPUT,
    BLOCKED_RESPONSE,
    CHAT_SCENARIOS,
    EMBEDDINGS,
    RESPONSES_SCENARIOS,
    TRIGGER,
    ChatScenario,
    ResponsesScenario,
)
from tests.support.servers import MockUpstream

MODEL = "gpt-4o-mini"
STREAM_TARGETS = ["direct", "window", "buffer", "audit", "passthrough", "pack:default"]
PLAIN_TARGETS = ["direct", "window", "pack:default"]


class City(BaseModel):
    name: str
    population: int


CITY = City(name="Paris", population=2102650)


@pytest.fixture(scope="module")
def clients(targets: Targets) -> Iterator[dict[str, openai.OpenAI]]:
    made: dict[str, openai.OpenAI] = {}
    for name in {*STREAM_TARGETS, *PLAIN_TARGETS, *targets.modes}:
        made[name] = openai.OpenAI(
            base_url=targets.named(name).base_url, api_key="sk-test", max_retries=0, timeout=10
        )
    yield made
    for client in made.values():
        client.close()


@pytest.fixture
async def async_client(targets: Targets, request: pytest.FixtureRequest) -> Any:
    client = openai.AsyncOpenAI(
        base_url=targets.named(request.param).base_url,
        api_key="sk-test",
        max_retries=0,
        timeout=10,
    )
    async with client:
        yield client


def helper_kwargs(scenario: ChatScenario) -> dict[str, Any]:
    """The stream helper and parse() take the pydantic model as response_format."""
    kwargs = dict(scenario.request)
    if scenario.structured:
        kwargs["response_format"] = City
    return kwargs


def chat_ids(scenarios: tuple[ChatScenario, ...]) -> list[str]:
    return [s.name for s in scenarios]


# Chat completions ---------------------------------------------------------------


@pytest.mark.parametrize("name", PLAIN_TARGETS)
@pytest.mark.parametrize("scenario", CHAT_SCENARIOS, ids=chat_ids(CHAT_SCENARIOS))
def test_create(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, scenario: ChatScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=False))
    request = {k: v for k, v in scenario.request.items() if k != "stream_options"}
    completion = clients[name].chat.completions.create(model=MODEL, **request)
    assert from_completion(completion) == scenario.expected(stream=False)


@pytest.mark.parametrize("name", PLAIN_TARGETS)
def test_parse_structured(clients: dict[str, openai.OpenAI], mock: MockUpstream, name: str) -> None:
    [scenario] = [s for s in CHAT_SCENARIOS if s.structured]
    mock.push(scenario.reply(stream=False))
    completion = clients[name].chat.completions.parse(model=MODEL, **helper_kwargs(scenario))
    assert completion.choices[0].message.parsed == CITY
    assert from_completion(completion) == scenario.expected(stream=False)


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", CHAT_SCENARIOS, ids=chat_ids(CHAT_SCENARIOS))
def test_create_stream(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, scenario: ChatScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=True))
    chunks = list(
        clients[name].chat.completions.create(model=MODEL, stream=True, **scenario.request)
    )
    result = accumulate(chunks, include_usage=scenario.include_usage)
    assert result == scenario.expected(stream=True)


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", CHAT_SCENARIOS, ids=chat_ids(CHAT_SCENARIOS))
def test_stream_helper(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, scenario: ChatScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=True))
    with clients[name].chat.completions.stream(model=MODEL, **helper_kwargs(scenario)) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_completion()
    assert from_completion(final) == scenario.expected(stream=True)
    if scenario.structured:
        assert final.choices[0].message.parsed == CITY
    if any(choice.tool_calls for choice in scenario.choices):
        assert "tool_calls.function.arguments.done" in events


@pytest.mark.parametrize("async_client", STREAM_TARGETS, indirect=True)
@pytest.mark.parametrize("scenario", CHAT_SCENARIOS, ids=chat_ids(CHAT_SCENARIOS))
async def test_async_stream(
    async_client: openai.AsyncOpenAI, mock: MockUpstream, scenario: ChatScenario
) -> None:
    mock.push(scenario.reply(stream=True), scenario.reply(stream=True))
    stream = await async_client.chat.completions.create(
        model=MODEL, stream=True, **scenario.request
    )
    chunks = [chunk async for chunk in stream]
    assert accumulate(chunks, include_usage=scenario.include_usage) == scenario.expected(
        stream=True
    )
    async with async_client.chat.completions.stream(
        model=MODEL, **helper_kwargs(scenario)
    ) as helper:
        async for _ in helper:
            pass
        final = await helper.get_final_completion()
    assert from_completion(final) == scenario.expected(stream=True)


# Blocks ---------------------------------------------------------------------------


def _blocked_result(name: str) -> dict[str, Any]:
    """What a client reads when the trigger shows up mid-answer: the documented
    result per mode (docs/streaming.md)."""
    [choice] = BLOCKED_OUTPUT.choices
    if name in ("audit", "passthrough"):  # not protective: the text went out
        return {"content": choice.content, "finish_reason": "stop"}
    return {"finish_reason": "content_filter"}


@pytest.mark.parametrize("name", ["window", "buffer", "audit", "passthrough"])
def test_output_block_mid_stream(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, name: str
) -> None:
    mock.push(BLOCKED_OUTPUT.reply(stream=True), BLOCKED_OUTPUT.reply(stream=True))
    chunks = list(
        clients[name].chat.completions.create(model=MODEL, stream=True, **BLOCKED_OUTPUT.request)
    )
    [choice] = accumulate(chunks, include_usage=False)["choices"]
    expected = _blocked_result(name)
    assert {k: choice[k] for k in expected} == expected
    if name in ("window", "buffer"):
        assert TRIGGER not in (choice["content"] or "")
        assert (choice["content"] or "").endswith(BLOCK_NOTICE)
    with clients[name].chat.completions.stream(model=MODEL, **BLOCKED_OUTPUT.request) as stream:
        for _ in stream:  # reading a blocked stream does not raise
            pass
        if name in ("window", "buffer"):
            # openai-python's documented answer to a content_filter finish.
            with pytest.raises(openai.ContentFilterFinishReasonError) as info:
                stream.get_final_completion()
            final: Any = info.value.completion
        else:
            final = stream.get_final_completion()
    [helper_choice] = from_completion(final)["choices"]
    assert helper_choice == choice


def test_output_block_non_stream(clients: dict[str, openai.OpenAI], mock: MockUpstream) -> None:
    mock.push(BLOCKED_OUTPUT.reply(stream=False))
    completion = clients["window"].chat.completions.create(
        model=MODEL, **BLOCKED_OUTPUT.request
    )
    [choice] = from_completion(completion)["choices"]
    assert choice["content"] == BLOCK_NOTICE
    assert choice["finish_reason"] == "content_filter"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("name", ["window", "buffer", "audit", "passthrough"])
def test_input_block_is_bad_request(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, name: str, stream: bool
) -> None:
    messages = [{"role": "user", "content": f"please {TRIGGER} now"}]

    def send() -> None:
        response = clients[name].chat.completions.create(
            model=MODEL, messages=messages, stream=stream
        )
        if stream:
            list(response)

    with pytest.raises(openai.BadRequestError) as info:
        send()
    assert info.value.code == "content_filter"
    assert mock.requests == []


# Responses API ----------------------------------------------------------------------


def resp_ids(scenarios: tuple[ResponsesScenario, ...]) -> list[str]:
    return [s.name for s in scenarios]


@pytest.mark.parametrize("name", PLAIN_TARGETS)
@pytest.mark.parametrize("scenario", RESPONSES_SCENARIOS, ids=resp_ids(RESPONSES_SCENARIOS))
def test_responses_create(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, scenario: ResponsesScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=False))
    response = clients[name].responses.create(model=MODEL, **scenario.request)
    assert response_result(response) == scenario.expected()


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", RESPONSES_SCENARIOS, ids=resp_ids(RESPONSES_SCENARIOS))
def test_responses_stream(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, scenario: ResponsesScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=True), scenario.reply(stream=True))
    events = list(clients[name].responses.create(model=MODEL, stream=True, **scenario.request))
    assert events[-1].type == "response.completed"
    assert response_result(events[-1].response) == scenario.expected()
    with clients[name].responses.stream(model=MODEL, **scenario.request) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert response_result(final) == scenario.expected()


@pytest.mark.parametrize("name", ["window", "buffer"])
def test_responses_block_mid_stream(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, name: str
) -> None:
    mock.push(BLOCKED_RESPONSE.reply(stream=True))
    with clients[name].responses.stream(model=MODEL, **BLOCKED_RESPONSE.request) as stream:
        events = list(stream)  # must not raise
    assert events[-1].type == "response.incomplete"
    response = events[-1].response  # type: ignore[union-attr]
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "content_filter"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert TRIGGER not in text


# Embeddings -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding_format", [None, "float"])
@pytest.mark.parametrize("name", PLAIN_TARGETS)
def test_embeddings(
    clients: dict[str, openai.OpenAI], mock: MockUpstream, name: str, encoding_format: str | None
) -> None:
    mock.push(EMBEDDINGS.reply())
    extra = {"encoding_format": encoding_format} if encoding_format else {}
    result = clients[name].embeddings.create(
        model="text-embedding-3-small", input=EMBEDDINGS.input, **extra
    )
    assert [d.embedding for d in result.data] == EMBEDDINGS.expected()
