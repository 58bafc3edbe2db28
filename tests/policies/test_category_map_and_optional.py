"""The guard keys every type accepts for model packs: a category mapping table
(native labels reported under policy names too) and optional guards."""

from __future__ import annotations

import pytest

from sluicegate.guards.base import Span
from sluicegate.policies.decisions import Action, DecisionReason, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.errors import PolicyError
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.redaction import redact
from tests.support.guards import trigger_registry

MAPPED = """\
version: 1
guards:
  clf:
    type: trigger
    triggers: {"gun": violent_crimes, "knife": non_violent_crimes, "mail": email}
    category_map:
      violent_crimes: violence
      non_violent_crimes: [crime, violence]
      email: personal_data
rules:
  - {name: block-violence, when: 'scores["clf.violence"] >= 0.5', action: block}
  - {name: redact-personal, when: 'scores["clf.personal_data"] > 0', action: redact,
     redact: [clf.personal_data]}
"""


def load(text: str):  # type: ignore[no-untyped-def]
    return PolicyLoader(trigger_registry()).load_text(text, path="p.yaml")


async def decide(policy, text: str):  # type: ignore[no-untyped-def]
    [result] = await PolicyEvaluator().evaluate(policy, Stage.INPUT, [text], RequestInfo())
    return result


async def test_findings_are_reported_under_native_and_policy_names() -> None:
    policy = load(MAPPED)
    assert {"clf.violent_crimes", "clf.violence", "clf.crime", "clf.personal_data"} <= (
        policy.score_keys
    )
    result = await decide(policy, "a knife")
    assert result.decision.action is Action.BLOCK
    outcome = result.outcomes["clf"].result
    assert outcome is not None
    assert [f.category for f in outcome.findings] == ["non_violent_crimes", "crime", "violence"]
    assert {f.span for f in outcome.findings} == {Span(2, 7)}


async def test_a_mapped_category_keeps_spans_so_it_can_be_redacted() -> None:
    result = await decide(load(MAPPED), "send mail now")
    assert result.decision.action is Action.REDACT
    assert redact("send mail now", result.redactions) == "send [PERSONAL_DATA] now"


def test_mapping_an_unknown_native_category_is_a_load_error() -> None:
    bad = MAPPED.replace("email: personal_data", "emails: personal_data")
    with pytest.raises(PolicyError, match=r"category_map names \['emails'\]"):
        load(bad)


OPTIONAL = """\
version: 1
guards:
  t: {{type: trigger, triggers: {{"bad": harm}}}}
  heavy:
    type: sequence-classifier
    model: /nonexistent/duoguard
    optional: {optional}
    on_error: {on_error}
    category_map: {{violent_crimes: violence}}
rules:
  - {{name: block-bad, when: 'scores["t.harm"] >= 0.5', action: block}}
  - {{name: block-violence, when: 'scores["heavy.violence"] >= 0.5', action: block}}
"""


def test_a_guard_that_fails_to_load_fails_start_up_unless_optional() -> None:
    pytest.importorskip("torch")
    with pytest.raises(PolicyError, match="cannot load model '/nonexistent/duoguard'"):
        load(OPTIONAL.format(optional="false", on_error="block"))


async def test_an_unavailable_optional_guard_errors_on_every_call() -> None:
    pytest.importorskip("torch")
    closed = load(OPTIONAL.format(optional="true", on_error="block"))
    assert "cannot load model" in closed.unavailable_guards()["heavy"]
    result = await decide(closed, "hello")
    assert result.decision.action is Action.BLOCK
    assert result.decision.reason is DecisionReason.GUARD_ERROR_FAIL_CLOSED
    assert result.decision.failed_guards == ("heavy",)

    # Failing open is a choice the policy writes down, and the decision says so.
    opened = load(OPTIONAL.format(optional="true", on_error="allow"))
    result = await decide(opened, "hello")
    assert result.decision.action is Action.ALLOW
    assert result.decision.fail_open_guards == ("heavy",)
    result = await decide(opened, "bad")
    assert result.decision.action is Action.BLOCK
