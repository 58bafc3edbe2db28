"""Decisions: precedence, guard failures, escalation, redaction."""

from __future__ import annotations

from sluicegate.policies.decisions import Action, DecisionReason, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.policy import Policy
from sluicegate.policies.redaction import redact
from tests.support.guards import trigger_registry

GUARDS = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "ESC": unsure, "a@b.io": email, "REDACT": mark}}
"""


def policy(text: str) -> Policy:
    return PolicyLoader(trigger_registry()).load_text(text, path="p.yaml")


async def evaluate(
    p: Policy, text: str, stage: Stage = Stage.INPUT, request: RequestInfo | None = None
):  # type: ignore[no-untyped-def]
    [result] = await PolicyEvaluator().evaluate(p, stage, [text], request or RequestInfo())
    return result


RULES = (
    GUARDS
    + """\
rules:
  - {name: block, when: 'scores["t.bad"] > 0.5', action: block, message: "no way"}
  - {name: escalate, when: 'scores["t.unsure"] > 0.5', action: escalate}
  - {name: redact, when: 'scores["t.email"] > 0.5 || scores["t.mark"] > 0.5', action: redact,
     redact: [t.email, t.mark]}
"""
)


async def test_no_match_gives_default_allow() -> None:
    result = await evaluate(policy(RULES), "hello")
    assert result.decision.action is Action.ALLOW
    assert result.decision.reason is DecisionReason.DEFAULT
    assert result.decision.label == "allow"


async def test_default_block() -> None:
    result = await evaluate(policy(RULES + "default_action: block\n"), "hello")
    assert result.decision.action is Action.BLOCK
    assert result.decision.message == "Request blocked by policy."


async def test_block_beats_everything() -> None:
    result = await evaluate(policy(RULES), "BLOCKME ESC a@b.io")
    assert result.decision.action is Action.BLOCK
    assert result.decision.message == "no way"
    assert set(result.decision.rule_names) == {"block", "escalate", "redact"}


async def test_escalate_beats_redact_and_fails_closed_without_guards() -> None:
    result = await evaluate(policy(RULES), "ESC a@b.io")
    assert result.decision.action is Action.BLOCK
    assert result.decision.reason is DecisionReason.ESCALATION_FAILURE
    assert result.decision.label == "escalate->block"
    assert result.escalation is not None and not result.escalation.succeeded


async def test_escalation_failure_allow_keeps_redaction_and_is_recorded() -> None:
    p = policy(RULES + "on_escalation_failure: allow\n")
    result = await evaluate(p, "ESC a@b.io")
    assert result.decision.action is Action.REDACT
    assert "escalation" in result.decision.fail_open_guards
    assert redact("ESC a@b.io", result.redactions) == "ESC [EMAIL]"


ESCALATING = (
    GUARDS
    + """\
  judge: {type: trigger, triggers: {"really": harmful}}
escalation: [judge]
rules:
  - {name: unsure, when: 'scores["t.unsure"] > 0.5', action: escalate}
  - {name: judged, when: 'scores["judge.harmful"] > 0.5', action: block, message: judged}
"""
)


async def test_escalation_runs_judge_and_blocks() -> None:
    p = policy(ESCALATING)
    result = await evaluate(p, "ESC really")
    assert result.decision.action is Action.BLOCK
    assert result.decision.label == "escalate->block"
    assert result.decision.message == "judged"
    assert result.escalation is not None and result.escalation.succeeded
    assert "judge" in result.outcomes


async def test_escalation_judge_clears_and_cannot_escalate_again() -> None:
    p = policy(ESCALATING)
    result = await evaluate(p, "ESC fine")
    assert result.decision.action is Action.ALLOW
    assert result.decision.label == "escalate->allow"
    assert result.decision.escalated_from is Action.ESCALATE


async def test_escalation_guard_not_run_without_escalation() -> None:
    p = policy(ESCALATING)
    result = await evaluate(p, "really")
    assert "judge" not in result.outcomes
    assert result.decision.action is Action.ALLOW


async def test_escalation_guard_failure_applies_on_escalation_failure() -> None:
    p = policy(
        ESCALATING.replace(
            'triggers: {"really": harmful}', 'triggers: {"really": harmful}, fail: true'
        )
    )
    result = await evaluate(p, "ESC")
    assert result.decision.action is Action.BLOCK
    assert result.decision.reason is DecisionReason.ESCALATION_FAILURE
    assert result.escalation is not None and "exploded" in (result.escalation.error or "")


async def test_guard_error_fails_closed_by_default() -> None:
    p = policy(GUARDS.replace("mark}}", "mark}, fail: true}") + "rules: []\n")
    result = await evaluate(p, "hello")
    assert result.decision.action is Action.BLOCK
    assert result.decision.reason is DecisionReason.GUARD_ERROR_FAIL_CLOSED
    assert result.decision.failed_guards == ("t",)


async def test_guard_error_fail_open_is_never_a_plain_allow() -> None:
    p = policy(GUARDS.replace("mark}}", "mark}, fail: true, on_error: allow}") + "rules: []\n")
    result = await evaluate(p, "hello")
    assert result.decision.action is Action.ALLOW
    assert result.decision.label == "guard_error_fail_open"
    assert result.decision.fail_open_guards == ("t",)


async def test_guard_timeout_is_a_guard_error() -> None:
    p = policy(GUARDS.replace("mark}}", "mark}, delay_ms: 500, timeout_ms: 20}") + "rules: []\n")
    result = await evaluate(p, "hello")
    assert result.decision.action is Action.BLOCK
    assert "timeout" in (result.outcomes["t"].error or "")


async def test_redaction_targets_only_selected_findings() -> None:
    p = policy(
        GUARDS
        + """\
rules:
  - {name: r, when: 'scores["t"] > 0.0', action: redact, redact: [t.email]}
"""
    )
    result = await evaluate(p, "REDACT a@b.io")
    assert redact("REDACT a@b.io", result.redactions) == "REDACT [EMAIL]"


async def test_custom_placeholder() -> None:
    p = policy(
        GUARDS
        + """\
rules:
  - {name: r, when: 'scores["t"] > 0.0', action: redact}
redaction: {placeholder: "<{guard}:{category}>"}
"""
    )
    result = await evaluate(p, "x a@b.io y")
    assert redact("x a@b.io y", result.redactions) == "x <t:email> y"


async def test_stage_restricts_rules() -> None:
    p = policy(
        GUARDS
        + """\
rules:
  - {name: out-only, stage: output, when: 'scores["t.bad"] > 0.5', action: block}
"""
    )
    assert (await evaluate(p, "BLOCKME", Stage.INPUT)).decision.action is Action.ALLOW
    assert (await evaluate(p, "BLOCKME", Stage.OUTPUT)).decision.action is Action.BLOCK


async def test_rules_can_read_request_and_stage() -> None:
    p = policy(
        GUARDS
        + """\
rules:
  - {name: model, when: 'request.model == "gpt-x" && stage == "input"', action: block}
"""
    )
    blocked = await evaluate(p, "hi", request=RequestInfo(model="gpt-x"))
    allowed = await evaluate(p, "hi", request=RequestInfo(model="other"))
    assert blocked.decision.action is Action.BLOCK
    assert allowed.decision.action is Action.ALLOW


def test_redact_merges_overlaps() -> None:
    assert redact("abcdefgh", [(1, 4, "[A]"), (3, 6, "[B]")]) == "a[A]gh"
    assert redact("abc", []) == "abc"
    assert redact("abcdef", [(4, 6, "[X]"), (0, 1, "[Y]")]) == "[Y]bcd[X]"


async def test_rule_outcomes_are_memoised_on_what_rules_read() -> None:
    p = policy(
        GUARDS
        + """\
rules:
  - {name: email, when: 'findings.exists(f, f.category == "email")', action: redact}
  - {name: bad, when: 'scores["t.bad"] > 0.5', action: block}
"""
    )
    first = await evaluate(p, "hello")
    assert len(p.rule_cache) == 1
    again = await evaluate(p, "another clean text")
    assert len(p.rule_cache) == 1  # same (empty) variables: served from the memo
    assert first.decision.action is again.decision.action is Action.ALLOW
    assert (await evaluate(p, "a@b.io")).decision.action is Action.REDACT
    assert (await evaluate(p, "x a@b.io")).decision.action is Action.REDACT  # other span
    assert (await evaluate(p, "BLOCKME")).decision.action is Action.BLOCK
    assert (await evaluate(p, "hi")).decision.action is Action.ALLOW


async def test_rules_reading_request_are_not_memoised() -> None:
    p = policy(GUARDS + "rules:\n  - {name: m, when: 'request.model == \"x\"', action: block}\n")
    await evaluate(p, "hi", request=RequestInfo(model="x"))
    assert len(p.rule_cache) == 0


SHORT = """\
version: 1
guards:
  words: {type: keywords, categories: {banned: ["forbidden phrase"]}}
  model: {type: trigger, triggers: {"sensitive": topic}}
rules:
  - {name: banned, when: 'scores["words"] > 0.0', action: block}
  - {name: topic, when: 'scores["model.topic"] > 0.5', action: block}
short_circuit: true
"""


async def test_short_circuit_skips_costly_guards_once_blocked() -> None:
    p = policy(SHORT)
    model = p.guards["model"].guard
    assert p.guards["words"].cheap
    assert not p.guards["model"].cheap
    results = await PolicyEvaluator().evaluate(
        p, Stage.INPUT, ["a forbidden phrase", "a sensitive one", "fine"], RequestInfo()
    )
    assert [r.decision.action for r in results] == [Action.BLOCK, Action.BLOCK, Action.ALLOW]
    assert "model" not in results[0].outcomes  # skipped: already blocked
    assert set(results[1].outcomes) == {"words", "model"}
    assert model.calls == 1  # one batched call for the two texts still open


async def test_without_short_circuit_every_guard_runs() -> None:
    p = policy(SHORT.replace("short_circuit: true", "short_circuit: false"))
    [result] = await PolicyEvaluator().evaluate(
        p, Stage.INPUT, ["a forbidden phrase"], RequestInfo()
    )
    assert set(result.outcomes) == {"words", "model"}
