"""pydantic-ai's Agent on an OpenAI chat model pointed at the gateway: a tool-call
round trip and structured output whose first answer fails validation, so the
agent sends its retry prompt. Every bundled pack must let the agent's own
messages through; the results must match the direct run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests.conformance.conftest import Targets
from tests.conformance.scenarios import TRIGGER, ChatScenario, ChoiceSpec, ToolCallSpec
from tests.support.servers import MockUpstream

pydantic_ai = pytest.importorskip("pydantic_ai")
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402

PLAIN_TARGETS = ["direct", "window", "pack:default", "pack:strict", "pack:deterministic"]
STREAM_TARGETS = ["direct", "window", "buffer", "audit", "passthrough", "pack:default"]
USAGE = {"stream_options": {"include_usage": True}}  # pydantic-ai asks for usage


class City(BaseModel):
    name: str
    population: int


PARIS = City(name="Paris", population=2102650)


@pytest.fixture
async def clients(targets: Targets) -> AsyncIterator[dict[str, openai.AsyncOpenAI]]:
    """One AsyncOpenAI per target, closed after the test (a provider's own client is
    left for the garbage collector, whose unclosed-socket warning fails the test)."""
    made: dict[str, openai.AsyncOpenAI] = {}
    yield made
    for client in made.values():
        await client.close()


def model(targets: Targets, name: str, clients: dict[str, openai.AsyncOpenAI]) -> Any:
    client = clients.setdefault(
        name,
        openai.AsyncOpenAI(
            base_url=targets.named(name).base_url, api_key="sk-test", max_retries=0
        ),
    )
    return OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(openai_client=client))


def tool_turn(name: str, arguments: str, call_id: str) -> ChatScenario:
    call = ToolCallSpec(call_id, name, arguments)
    return ChatScenario(f"{name}-call", USAGE, (ChoiceSpec(None, (call,), "tool_calls"),))


def text_turn(text: str) -> ChatScenario:
    return ChatScenario("text", USAGE, (ChoiceSpec(text),))


WEATHER_TURNS = (
    tool_turn("get_weather", '{"city": "Paris"}', "call_weather_1"),
    text_turn("It is sunny and 21 degrees in Paris right now."),
)


def weather_agent(
    targets: Targets, name: str, clients: dict[str, openai.AsyncOpenAI]
) -> Any:
    agent = pydantic_ai.Agent(
        model(targets, name, clients),
        instructions="You answer weather questions. Use the get_weather tool for live data.",
    )

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny, 21 C in {city}"

    return agent


def parts(messages: list[Any]) -> list[tuple[str, Any]]:
    """The conversation, part by part, without timestamps and ids that vary per run."""
    seen = []
    for message in messages:
        for part in message.parts:
            kind = part.part_kind
            if kind == "tool-call":
                seen.append((kind, (part.tool_name, part.args_as_dict(), part.tool_call_id)))
            elif kind in ("tool-return", "retry-prompt"):
                seen.append((kind, (part.tool_name, part.model_response_str()
                                    if kind == "tool-return" else part.model_response())))
            else:
                seen.append((kind, getattr(part, "content", None)))
    return seen


@pytest.mark.parametrize("name", PLAIN_TARGETS)
async def test_tool_round_trip(
    targets: Targets, mock: MockUpstream, clients: Any, name: str
) -> None:
    mock.push(*(turn.reply(stream=False) for turn in WEATHER_TURNS))
    result = await weather_agent(targets, name, clients).run("What's the weather in Paris?")
    assert result.output == "It is sunny and 21 degrees in Paris right now."
    assert ("tool-return", ("get_weather", "sunny, 21 C in Paris")) in parts(result.all_messages())
    assert result.usage.input_tokens == 22  # both turns' usage, added up
    assert [r.body["messages"][-1]["role"] for r in mock.requests] == ["user", "tool"]


@pytest.mark.parametrize("name", STREAM_TARGETS)
async def test_tool_round_trip_streamed(
    targets: Targets, mock: MockUpstream, clients: Any, name: str
) -> None:
    mock.push(*(turn.reply(stream=True) for turn in WEATHER_TURNS))
    agent = weather_agent(targets, name, clients)
    async with agent.run_stream("What's the weather in Paris?") as run:
        output = await run.get_output()
    assert output == "It is sunny and 21 degrees in Paris right now."
    assert ("tool-return", ("get_weather", "sunny, 21 C in Paris")) in parts(run.all_messages())


def city_turns() -> tuple[ChatScenario, ...]:
    """A final_result missing a field (the agent retries), then a valid one."""
    return (
        tool_turn("final_result", '{"name": "Paris"}', "call_out_1"),
        tool_turn("final_result", '{"name": "Paris", "population": 2102650}', "call_out_2"),
    )


@pytest.mark.parametrize("name", PLAIN_TARGETS)
async def test_structured_output_with_retry(
    targets: Targets, mock: MockUpstream, clients: Any, name: str
) -> None:
    mock.push(*(turn.reply(stream=False) for turn in city_turns()))
    agent = pydantic_ai.Agent(model(targets, name, clients), output_type=City)
    result = await agent.run("What is the biggest city in France, with its population?")
    assert result.output == PARIS
    assert len(mock.requests) == 2  # the retry reached the model: no pack blocked it
    retry = mock.requests[1].body["messages"][-1]  # the validation error, as a tool result
    assert retry["role"] == "tool"
    assert "population" in retry["content"]


@pytest.mark.parametrize("name", STREAM_TARGETS)
async def test_structured_output_with_retry_streamed(
    targets: Targets, mock: MockUpstream, clients: Any, name: str
) -> None:
    """Streamed model requests (an event stream handler); run_stream() itself does
    not retry output validation."""
    mock.push(*(turn.reply(stream=True) for turn in city_turns()))
    agent = pydantic_ai.Agent(model(targets, name, clients), output_type=City)
    events = []

    async def handle(_: Any, stream: Any) -> None:
        events.extend([event async for event in stream])

    result = await agent.run("What is the biggest city in France?", event_stream_handler=handle)
    assert result.output == PARIS
    assert events
    assert [r.body["stream"] for r in mock.requests] == [True, True]


@pytest.mark.parametrize("name", PLAIN_TARGETS)
async def test_native_output_retry_prompt(
    targets: Targets, mock: MockUpstream, clients: Any, name: str
) -> None:
    """NativeOutput (response_format json_schema): a bad answer comes back as a user
    message with the validation errors, after a system note that names a "<system>
    tag" (pydantic-ai 2.6x); every pack must pass both."""
    mock.push(
        text_turn('{"name": "Paris", "population": "about two million"}').reply(stream=False),
        text_turn('{"name": "Paris", "population": 2102650}').reply(stream=False),
    )
    output = pydantic_ai.NativeOutput(City)
    agent = pydantic_ai.Agent(model(targets, name, clients), output_type=output)
    result = await agent.run("What is the biggest city in France, with its population?")
    assert result.output == PARIS
    retry = mock.requests[1].body["messages"][-1]
    assert retry["role"] == "user"
    assert "about two million" in retry["content"]  # the errors went back to the model


async def test_input_block_raises_http_error(
    targets: Targets, mock: MockUpstream, clients: Any
) -> None:
    agent = pydantic_ai.Agent(model(targets, "window", clients))
    with pytest.raises(pydantic_ai.exceptions.ModelHTTPError) as info:
        await agent.run(f"please {TRIGGER} now")
    assert info.value.status_code == 400
    assert mock.requests == []
