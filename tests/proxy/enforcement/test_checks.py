"""InputCheck and OutputCheck as pure units: real guards, a real policy, the
real payload families; no HTTP."""

from __future__ import annotations

import copy
from typing import Any

import orjson

from sluicegate.policies.decisions import Action, DecisionReason
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.enforcement import InputGuardStage, OutputGuardStage
from sluicegate.proxy.enforcement.checks import InputCheck, OutputCheck
from sluicegate.proxy.payloads import family_for
from sluicegate.proxy.payloads.kinds import EndpointKind

POLICY = PolicyLoader().load_text(
    """\
version: 1
guards:
  pii: {type: pii, entities: [email]}
  words: {type: keywords, categories: {plan: ["secret plan"]}}
rules:
  - name: block-plan
    when: scores["words.plan"] > 0.0
    action: block
    message: "no plans"
  - name: redact-pii
    when: findings.exists(f, f.guard == "pii")
    action: redact
    redact: [pii]
default_action: allow
""",
    path="checks.yaml",
)
INFO = RequestInfo()


def input_check() -> InputCheck:
    return InputCheck(InputGuardStage(PolicyEvaluator()))


def output_check() -> OutputCheck:
    return OutputCheck(OutputGuardStage(PolicyEvaluator()))


def chat_request(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text, **extra}]}


async def check_request(body: dict[str, Any], *, rewrite: bool = True) -> Any:
    family = family_for(EndpointKind.CHAT)
    bundles = family.input_bundles(body, POLICY.spec, None)
    return await input_check().run(POLICY, bundles, INFO, body if rewrite else None)


async def test_input_redaction_is_written_into_the_body() -> None:
    body = chat_request("mail jane.doe@example.com please")
    checked = await check_request(body)
    assert checked.decision.action is Action.REDACT
    assert checked.passed
    assert body["messages"][0]["content"] == "mail [EMAIL] please"


async def test_input_redaction_without_a_body_is_returned_unapplied() -> None:
    body = chat_request("mail jane.doe@example.com please")
    checked = await check_request(body, rewrite=False)
    assert checked.decision.action is Action.REDACT
    assert body["messages"][0]["content"] == "mail jane.doe@example.com please"


async def test_input_redaction_that_breaks_tool_json_blocks_and_leaves_the_body() -> None:
    # A pattern that takes a closing brace with it: the arguments would no
    # longer parse, so the request is blocked rather than sent broken.
    policy = PolicyLoader().load_text(
        """\
version: 1
guards:
  code: {type: regex, patterns: {code: "7\\\\d+\\\\}"}}
rules:
  - name: redact-code
    when: scores["code"] > 0.0
    action: redact
    redact: [code]
""",
        path="conflict.yaml",
    )
    body = {
        "model": "m",
        "messages": [
            {
                "role": "user",
                "content": "call it",
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "f", "arguments": '{"n": 712}'},
                    }
                ],
            }
        ],
    }
    before = copy.deepcopy(body)
    bundles = family_for(EndpointKind.CHAT).input_bundles(body, policy.spec, None)
    checked = await input_check().run(policy, bundles, INFO, body)
    assert checked.outcome.decision.action is Action.REDACT
    assert checked.decision.action is Action.BLOCK
    assert checked.decision.reason is DecisionReason.REDACTION_CONFLICT
    assert body == before


async def test_a_redaction_that_cannot_parse_becomes_a_block() -> None:
    arguments = '{"to": "jane.doe@example.com"}'
    body = {
        "model": "m",
        "messages": [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "f", "arguments": arguments},
                    }
                ],
            },
            {"role": "user", "content": "ok"},
        ],
    }
    checked = await check_request(body)
    # [EMAIL] inside a JSON string keeps it JSON: redacted, and still parses.
    assert checked.decision.action is Action.REDACT
    written = body["messages"][0]["tool_calls"][0]["function"]["arguments"]
    assert orjson.loads(written) == {"to": "[EMAIL]"}


async def test_input_block_is_one_decision_for_the_whole_request() -> None:
    body = chat_request("the secret plan, from jane.doe@example.com")
    checked = await check_request(body)
    assert checked.decision.action is Action.BLOCK
    assert checked.decision.message == "no plans"
    assert not checked.passed


def chat_answer(*texts: str) -> dict[str, Any]:
    return {
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": text},
                "logprobs": {"content": [{"token": text}]},
                "finish_reason": "stop",
            }
            for i, text in enumerate(texts)
        ]
    }


async def test_output_decides_per_choice() -> None:
    answer = chat_answer("all fine", "the secret plan is here", "write to jane.doe@example.com")
    checked = await output_check().run(POLICY, family_for(EndpointKind.CHAT), answer, INFO)
    assert checked.blocked == (1,)
    assert [d.action for d in checked.decisions] == [Action.ALLOW, Action.BLOCK, Action.REDACT]
    assert checked.decision.action is Action.BLOCK
    first, second, third = answer["choices"]
    assert first["message"]["content"] == "all fine"
    assert first["logprobs"] is not None  # untouched choices keep their logprobs
    assert second["message"]["content"] == "no plans"
    assert second["finish_reason"] == "content_filter"
    assert second["logprobs"] is None
    assert third["message"]["content"] == "write to [EMAIL]"
    assert third["logprobs"] is None  # they would spell out the original


async def test_output_that_cannot_be_rewritten_blocks_instead_of_redacting() -> None:
    answer = chat_answer("write to jane.doe@example.com")
    family = family_for(EndpointKind.CHAT)
    checked = await output_check().run(POLICY, family, answer, INFO, rewrite=False)
    assert checked.blocked == (0,)
    assert checked.decisions[0].reason is DecisionReason.REDACTION_CONFLICT
    assert answer["choices"][0]["message"]["content"] == POLICY.spec.output_block_message


async def test_messages_tool_input_stays_an_object_after_redaction() -> None:
    answer = {
        "type": "message",
        "content": [
            {"type": "tool_use", "id": "t", "name": "send", "input": {"to": "jane.doe@example.com"}}
        ],
    }
    family = family_for(EndpointKind.MESSAGES)
    checked = await output_check().run(POLICY, family, answer, INFO)
    assert checked.blocked == ()
    assert answer["content"][0]["input"] == {"to": "[EMAIL]"}


async def test_responses_block_marks_the_response_incomplete() -> None:
    answer = {
        "id": "resp_1",
        "output": [
            {
                "type": "message",
                "id": "m",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "the secret plan"}],
            }
        ],
        "output_text": "the secret plan",
    }
    family = family_for(EndpointKind.RESPONSES)
    checked = await output_check().run(POLICY, family, answer, INFO)
    assert checked.blocked == (0,)
    assert answer["status"] == "incomplete"
    assert answer["incomplete_details"] == {"reason": "content_filter"}
    assert answer["output_text"] == "no plans"
    assert answer["output"][0]["content"][0]["text"] == "no plans"


async def test_an_answer_without_parts_still_runs_the_rules() -> None:
    answer: dict[str, Any] = {"choices": []}
    checked = await output_check().run(POLICY, family_for(EndpointKind.CHAT), answer, INFO)
    assert checked.blocked == ()
    assert answer == {"choices": []}
    assert len(checked.outcome.evaluations) == 1  # the empty part the rules saw
