"""llama-index's OpenAI LLM (chat, stream_chat, chat_with_tools with two parallel calls
read back by get_tool_calls_from_response), directly and through the gateway.

llama-index-llms-openai is not in the test extras (its releases pin openai<3,
which the other clients' releases do not accept; see pyproject.toml): .ci/run
runs this module in a venv of its own with SLUICEGATE_CONFORMANCE_LLAMA=required,
and elsewhere it skips unless llama-index-llms-openai is installed.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.conformance.conftest import Targets
from tests.conformance.scenarios import (
    BLOCK_NOTICE,
    BLOCKED_OUTPUT,
    CHAT_SCENARIOS,
    TRIGGER,
    ChatScenario,
)
from tests.support.servers import MockUpstream

if os.environ.get("SLUICEGATE_CONFORMANCE_LLAMA") == "required":
    import llama_index.llms.openai as llms_openai  # CI: a missing install fails
else:
    llms_openai = pytest.importorskip(
        "llama_index.llms.openai",
        reason="llama-index-llms-openai is not installed (it pins openai<3: not in the test "
        "extras; .ci/run gives it a venv of its own)",
    )
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

STREAM_TARGETS = ["direct", "window", "buffer", "audit", "passthrough", "pack:default"]
PLAIN_TARGETS = ["direct", "window", "pack:default"]
TEXT = [s for s in CHAT_SCENARIOS if s.name in ("plain-text", "unicode", "include-usage")]
TOOLS = [s for s in CHAT_SCENARIOS if s.name in ("parallel-tools", "content-then-tool")]


def llm(targets: Targets, name: str) -> Any:
    return llms_openai.OpenAI(
        model="gpt-4o-mini",
        api_base=targets.named(name).base_url,
        api_key="sk-test",
        max_retries=0,
        timeout=10,
    )


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny in {city}"


def get_time(tz: str) -> str:
    """Current local time in a time zone."""
    return f"noon in {tz}"


TOOL_OBJECTS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


def question(scenario: ChatScenario) -> list[Any]:
    return [ChatMessage(role="user", content=scenario.request["messages"][-1]["content"])]


def content(scenario: ChatScenario) -> str | None:
    [choice] = scenario.expected(stream=False)["choices"]
    text: str | None = choice["content"]
    return text


def calls(scenario: ChatScenario) -> list[tuple[str, str, dict[str, Any]]]:
    [choice] = scenario.expected(stream=False)["choices"]
    return [(c["id"], c["name"], json.loads(c["arguments"])) for c in choice["tool_calls"]]


@pytest.mark.parametrize("name", PLAIN_TARGETS)
@pytest.mark.parametrize("scenario", TEXT, ids=[s.name for s in TEXT])
def test_chat(targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str) -> None:
    mock.push(scenario.reply(stream=False))
    response = llm(targets, name).chat(question(scenario))
    assert response.message.content == content(scenario)


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", TEXT, ids=[s.name for s in TEXT])
def test_stream_chat(
    targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=True))
    responses = list(llm(targets, name).stream_chat(question(scenario)))
    assert responses[-1].message.content == content(scenario)
    assert "".join(r.delta or "" for r in responses) == content(scenario)


def selections(model: Any, response: Any) -> list[tuple[str, str, dict[str, Any]]]:
    found = model.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    return [(s.tool_id, s.tool_name, s.tool_kwargs) for s in found]


@pytest.mark.parametrize("name", PLAIN_TARGETS)
@pytest.mark.parametrize("scenario", TOOLS, ids=[s.name for s in TOOLS])
def test_chat_with_tools(
    targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=False))
    model = llm(targets, name)
    response = model.chat_with_tools(
        TOOL_OBJECTS, chat_history=question(scenario), allow_parallel_tool_calls=True
    )
    assert selections(model, response) == calls(scenario)


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", TOOLS, ids=[s.name for s in TOOLS])
def test_stream_chat_with_tools(
    targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str
) -> None:
    """llama-index reads one tool call per delta: both parallel calls must survive."""
    mock.push(scenario.reply(stream=True))
    model = llm(targets, name)
    responses = list(
        model.stream_chat_with_tools(
            TOOL_OBJECTS, chat_history=question(scenario), allow_parallel_tool_calls=True
        )
    )
    assert selections(model, responses[-1]) == calls(scenario)


@pytest.mark.parametrize("name", ["window", "buffer"])
def test_output_block_mid_stream(targets: Targets, mock: MockUpstream, name: str) -> None:
    mock.push(BLOCKED_OUTPUT.reply(stream=True))
    responses = list(llm(targets, name).stream_chat(question(BLOCKED_OUTPUT)))  # no raise
    text = responses[-1].message.content or ""
    assert TRIGGER not in text
    assert text.endswith(BLOCK_NOTICE)


def test_input_block_is_bad_request(targets: Targets, mock: MockUpstream) -> None:
    import openai

    with pytest.raises(openai.BadRequestError):
        llm(targets, "window").chat([ChatMessage(role="user", content=f"please {TRIGGER}")])
    assert mock.requests == []
