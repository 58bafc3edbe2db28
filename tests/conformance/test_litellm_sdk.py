"""The LiteLLM SDK (``litellm.completion(model="openai/...", api_base=...)``), streamed
and not, directly and through the gateway: the same parsed result."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.conformance.canonical import from_completion
from tests.conformance.conftest import Targets
from tests.conformance.scenarios import (
    BLOCK_NOTICE,
    BLOCKED_OUTPUT,
    CHAT_SCENARIOS,
    TRIGGER,
    ChatScenario,
)
from tests.support.servers import MockUpstream

# No network: LiteLLM reads its bundled model cost map instead of fetching it.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOG", "ERROR")
litellm = pytest.importorskip("litellm")
# LiteLLM's own TypedDicts, seen by pydantic on its first call: not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Item.* using the `ReadOnly` qualifier:UserWarning"
)

STREAM_TARGETS = ["direct", "window", "buffer", "audit", "passthrough", "pack:default"]
PLAIN_TARGETS = ["direct", "window", "pack:default"]
# LiteLLM's stream_chunk_builder rebuilds one message; logprobs it does not keep.
SCENARIOS = [s for s in CHAT_SCENARIOS if s.name != "logprobs"]
# It also folds the chunks of every choice into one (directly as through the gateway),
# so n > 1 is only compared unstreamed.
STREAM_SCENARIOS = [s for s in SCENARIOS if s.name != "n2"]


def complete(targets: Targets, name: str, request: dict[str, Any], **kwargs: Any) -> Any:
    return litellm.completion(
        model="openai/gpt-4o-mini",
        api_base=targets.named(name).base_url,
        api_key="sk-test",
        num_retries=0,
        timeout=10,
        **request,
        **kwargs,
    )


def without_logprobs(result: dict[str, Any]) -> dict[str, Any]:
    for choice in result["choices"]:
        choice.pop("logprobs")
    return result


@pytest.mark.parametrize("name", PLAIN_TARGETS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_completion(
    targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str
) -> None:
    mock.push(scenario.reply(stream=False))
    request = {k: v for k, v in scenario.request.items() if k != "stream_options"}
    response = complete(targets, name, request)
    assert without_logprobs(from_completion(response)) == without_logprobs(
        scenario.expected(stream=False)
    )


@pytest.mark.parametrize("name", STREAM_TARGETS)
@pytest.mark.parametrize("scenario", STREAM_SCENARIOS, ids=[s.name for s in STREAM_SCENARIOS])
def test_stream(targets: Targets, mock: MockUpstream, scenario: ChatScenario, name: str) -> None:
    mock.push(scenario.reply(stream=True))
    chunks = list(complete(targets, name, scenario.request, stream=True))
    rebuilt = litellm.stream_chunk_builder(chunks)
    result = without_logprobs(from_completion(rebuilt))
    want = without_logprobs(scenario.expected(stream=True))
    if not scenario.include_usage:
        # stream_chunk_builder estimates usage when the stream carried none.
        result["usage"] = want["usage"]
    assert result == want


@pytest.mark.parametrize("name", ["window", "buffer"])
def test_output_block_mid_stream(targets: Targets, mock: MockUpstream, name: str) -> None:
    mock.push(BLOCKED_OUTPUT.reply(stream=True))
    chunks = list(complete(targets, name, BLOCKED_OUTPUT.request, stream=True))  # no raise
    [choice] = from_completion(litellm.stream_chunk_builder(chunks))["choices"]
    assert TRIGGER not in choice["content"]
    assert choice["content"].endswith(BLOCK_NOTICE)
    assert choice["finish_reason"] == "content_filter"


@pytest.mark.parametrize("stream", [False, True])
def test_input_block_is_bad_request(targets: Targets, mock: MockUpstream, stream: bool) -> None:
    request = {"messages": [{"role": "user", "content": f"please {TRIGGER} now"}]}

    def send() -> None:
        response = complete(targets, "window", request, stream=stream)
        if stream:
            list(response)

    # LiteLLM maps a 400 whose code is content_filter to its content-policy error,
    # a BadRequestError subclass.
    with pytest.raises(litellm.BadRequestError) as info:
        send()
    assert info.value.status_code == 400
    assert mock.requests == []
