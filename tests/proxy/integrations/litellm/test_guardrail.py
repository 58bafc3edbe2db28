"""The LiteLLM guardrail's own hooks, in process: the example config's
guardrails load; apply_guardrail reads texts, tool calls and tools and
writes redactions back or blocks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.proxy.integrations.litellm.support import (
    INJECTION,
    LITELLM_ENV,
    POLICY_YAML,
    requires_litellm,
)

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def load_guardrail_module() -> Any:
    for key, value in LITELLM_ENV.items():
        os.environ.setdefault(key, value)
    pytest.importorskip("litellm")
    import sluicegate.proxy.integrations.litellm as module

    return module


@requires_litellm
def test_example_config_guardrails_load() -> None:
    module = load_guardrail_module()
    config = yaml.safe_load((EXAMPLES / "litellm" / "config.yaml").read_text())
    names = []
    for entry in config["guardrails"]:
        params = dict(entry["litellm_params"])
        assert (
            params.pop("guardrail") == "sluicegate.proxy.integrations.litellm.SluicegateGuardrail"
        )
        guard = module.SluicegateGuardrail(
            guardrail_name=entry["guardrail_name"],
            event_hook=params.pop("mode"),
            default_on=params.pop("default_on", False),
            **params,
        )
        names.append(guard.policy.name)
    assert names == ["default", "strict"]


@pytest.mark.filterwarnings("ignore:Item.* using the `ReadOnly` qualifier:UserWarning")
@requires_litellm
async def test_apply_guardrail_reads_texts_tool_calls_and_tools(tmp_path: Path) -> None:
    module = load_guardrail_module()
    from litellm.exceptions import ModifyResponseException

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML)
    guard = module.SluicegateGuardrail(
        guardrail_name="sg", event_hook=["pre_call", "post_call"], policy=str(policy)
    )
    call = {"id": "c", "type": "function", "function": {"name": "send", "arguments": ""}}
    call["function"]["arguments"] = json.dumps({"to": "bob@example.org"})
    request: dict[str, Any] = {"model": "m"}
    out = await guard.apply_guardrail(
        inputs={"texts": ["hi", "mail jane.doe@example.com"], "tool_calls": [call]},
        request_data=request,
        input_type="request",
    )
    assert out["texts"] == ["hi", "mail [EMAIL]"]
    assert json.loads(out["tool_calls"][0]["function"]["arguments"]) == {"to": "[EMAIL]"}
    assert call["function"]["arguments"] == json.dumps({"to": "bob@example.org"})  # a copy
    logged = request["metadata"]["standard_logging_guardrail_information"]
    assert logged[-1]["guardrail_response"]["decision"] == "redact"

    with pytest.raises(module.SluicegateBlocked):
        await guard.apply_guardrail(
            inputs={"texts": [INJECTION]}, request_data={}, input_type="request"
        )
    with pytest.raises(ModifyResponseException) as caught:
        await guard.apply_guardrail(
            inputs={"texts": ["a forbidden phrase"]}, request_data={}, input_type="response"
        )
    assert caught.value.message == "Withheld: forbidden phrase."
    # A streamed answer on LiteLLM's generic path cannot be rewritten: it blocks.
    with pytest.raises(ModifyResponseException):
        await guard.apply_guardrail(
            inputs={"texts": ["mail jane.doe@example.com"]},
            request_data={"stream": True},
            input_type="response",
        )
