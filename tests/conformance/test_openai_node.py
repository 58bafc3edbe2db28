"""openai-node (tests/conformance/node/run.mjs, a subprocess) against the mock upstream
directly and through the gateway: raw chunks, chat.completions.stream() with
finalChatCompletion(), and non-streamed create(), parsed the same everywhere.

Needs node and ``npm ci`` in tests/conformance/node; skipped without them, except
where SLUICEGATE_CONFORMANCE_NODE=required (CI sets it), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.canonical import StreamShapeError, accumulate, from_completion
from tests.conformance.conftest import Targets
from tests.conformance.scenarios import (
    BLOCK_NOTICE,
    BLOCKED_OUTPUT,
    CHAT_SCENARIOS,
    TRIGGER,
    ChatScenario,
)
from tests.support.servers import MockUpstream

NODE_DIR = Path(__file__).parent / "node"
STREAM_TARGETS = ["direct", "window", "buffer", "audit", "passthrough", "pack:default"]
PLAIN_TARGETS = ["direct", "window", "pack:default"]
pytestmark = pytest.mark.slow  # starts node processes


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_DIR / "node_modules" / "openai").is_dir():
        return f"openai-node is not installed: run `npm ci` in {NODE_DIR}"
    return None


@pytest.fixture(scope="module", autouse=True)
def _node_present() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("SLUICEGATE_CONFORMANCE_NODE") == "required":
        pytest.fail(f"SLUICEGATE_CONFORMANCE_NODE=required but {reason}")
    pytest.skip(reason)


def run_node(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", str(NODE_DIR / "run.mjs")],
        input=json.dumps({"calls": calls}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


Key = tuple[str, str, str]  # scenario, target, method


@pytest.fixture(scope="module")
def node_results() -> dict[str, dict[Key, dict[str, Any]]]:
    return {}


def results_for(
    scenario: ChatScenario,
    targets: Targets,
    mock: MockUpstream,
    cache: dict[str, dict[Key, dict[str, Any]]],
) -> dict[Key, dict[str, Any]]:
    """Every call of one scenario in one node process, cached for its tests."""
    if scenario.name in cache:
        return cache[scenario.name]
    keys: list[Key] = []
    calls = []
    for name in STREAM_TARGETS:
        for method in ("create_stream", "stream_helper"):
            keys.append((scenario.name, name, method))
            calls.append(
                {"base_url": targets.named(name).base_url, "method": method,
                 "request": scenario.request}
            )
            mock.push(scenario.reply(stream=True))
    plain = {k: v for k, v in scenario.request.items() if k != "stream_options"}
    for name in PLAIN_TARGETS:
        keys.append((scenario.name, name, "create"))
        calls.append({"base_url": targets.named(name).base_url, "method": "create",
                      "request": plain})
        mock.push(scenario.reply(stream=False))
    cache[scenario.name] = dict(zip(keys, run_node(calls), strict=True))
    return cache[scenario.name]


def parsed(result: dict[str, Any], scenario: ChatScenario) -> dict[str, Any]:
    if "error" in result:
        raise AssertionError(f"openai-node raised: {result['error']}")
    if "chunks" in result:
        return accumulate(result["chunks"], include_usage=scenario.include_usage)
    return from_completion(result["completion"])


CASES = [
    pytest.param(scenario, name, method, id=f"{scenario.name}-{name}-{method}")
    for scenario in CHAT_SCENARIOS
    for name, method in [
        *((n, m) for n in STREAM_TARGETS for m in ("create_stream", "stream_helper")),
        *((n, "create") for n in PLAIN_TARGETS),
    ]
]


@pytest.mark.parametrize(("scenario", "name", "method"), CASES)
def test_chat(
    targets: Targets,
    mock: MockUpstream,
    node_results: dict[str, dict[Key, dict[str, Any]]],
    scenario: ChatScenario,
    name: str,
    method: str,
) -> None:
    result = results_for(scenario, targets, mock, node_results)[(scenario.name, name, method)]
    assert parsed(result, scenario) == scenario.expected(stream=method != "create")


@pytest.mark.parametrize("name", ["window", "buffer", "audit", "passthrough"])
def test_output_block_mid_stream(targets: Targets, mock: MockUpstream, name: str) -> None:
    base_url = targets.named(name).base_url
    mock.push(BLOCKED_OUTPUT.reply(stream=True), BLOCKED_OUTPUT.reply(stream=True))
    raw, helper = run_node(
        [
            {"base_url": base_url, "method": m, "request": BLOCKED_OUTPUT.request}
            for m in ("create_stream", "stream_helper")
        ]
    )
    [choice] = parsed(raw, BLOCKED_OUTPUT)["choices"]
    assert parsed(helper, BLOCKED_OUTPUT)["choices"] == [choice]  # the helper does not raise
    if name in ("window", "buffer"):
        assert choice["finish_reason"] == "content_filter"
        assert TRIGGER not in (choice["content"] or "")
        assert (choice["content"] or "").endswith(BLOCK_NOTICE)
    else:  # audit and passthrough do not protect: the text went out
        assert choice["content"] == BLOCKED_OUTPUT.choices[0].content
        assert choice["finish_reason"] == "stop"


def test_input_block_is_bad_request(targets: Targets, mock: MockUpstream) -> None:
    request = {"messages": [{"role": "user", "content": f"please {TRIGGER} now"}]}
    results = run_node(
        [
            {"base_url": targets.named(name).base_url, "method": method, "request": request}
            for name in ("window", "buffer", "audit", "passthrough")
            for method in ("create", "create_stream", "stream_helper")
        ]
    )
    for result in results:
        assert result["error"]["name"] == "BadRequestError", result
        assert result["error"]["status"] == 400
    assert mock.requests == []


def test_stream_shape_errors_are_reported() -> None:
    """The accumulator the node results go through catches a stream without role."""
    chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}
    with pytest.raises(StreamShapeError, match="missing role"):
        accumulate([chunk], include_usage=False)
