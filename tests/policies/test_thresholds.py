"""Thresholds are the policy's: a guard's model may ship calibration data
(category -> threshold), which rules read as ``thresholds`` and through
``over_threshold``; guards themselves only report scores."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from sluicegate.guards.base import CalibratedGuard, Finding, GuardResult
from sluicegate.guards.registry import GuardRegistry, GuardType, default_registry
from sluicegate.policies.decisions import Action, DecisionReason, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.errors import PolicyError
from sluicegate.policies.evaluator import Evaluation, PolicyEvaluator
from sluicegate.policies.expressions import Thresholds, compile_condition, make_context
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.policy import Policy


class FixedSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scores: dict[str, float] = Field(default_factory=dict)  # category -> score on every text
    calibration: dict[str, float] = Field(default_factory=dict)  # stands in for a model's


class FixedGuard:
    """Reports the same scores for every text and carries calibration data,
    as a model guard whose metadata ships thresholds does."""

    Settings = FixedSettings

    def __init__(self, name: str, settings: FixedSettings) -> None:
        self.name = name
        self.categories = tuple(settings.scores)
        self.calibration = dict(settings.calibration)
        self._scores = settings.scores

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        findings = tuple(Finding(c, s) for c, s in self._scores.items())
        return [GuardResult(self.name, findings) for _ in texts]


def registry() -> GuardRegistry:
    reg = default_registry()
    reg.register(GuardType("fixed", __name__, "FixedGuard"))
    return reg


def load(text: str) -> Policy:
    return PolicyLoader(registry()).load_text(text, path="p.yaml")


def evaluate(policy: Policy, text: str = "hello") -> Evaluation:
    [result] = asyncio.run(PolicyEvaluator().evaluate(policy, Stage.INPUT, [text], RequestInfo()))
    return result


def policy_with(when: str, scores: dict[str, float], calibration: dict[str, float]) -> str:
    return f"""\
version: 1
guards:
  m:
    type: fixed
    scores: {scores}
    calibration: {calibration}
rules:
  - {{name: over, when: '{when}', action: block}}
"""


def test_the_guard_contract_carries_calibration_as_data() -> None:
    guard = registry().create("m", "fixed", {"scores": {"a": 0.1}, "calibration": {"a": 0.3}})
    assert isinstance(guard, CalibratedGuard)
    policy = load(policy_with('over_threshold("m")', {"a": 0.1}, {"a": 0.3}))
    assert policy.thresholds.values == {"m.a": 0.3}
    assert policy.guards["m"].calibration == {"a": 0.3}


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"a": 0.29, "b": 0.69}, Action.ALLOW),  # each under its own threshold
        ({"a": 0.3, "b": 0.0}, Action.BLOCK),  # at the threshold counts as over it
        ({"a": 0.0, "b": 0.95}, Action.BLOCK),
        ({"a": 0.0, "b": 0.5, "c": 0.99}, Action.ALLOW),  # c has no threshold: never counts
    ],
)
def test_over_threshold_is_any_category_at_or_over_its_own(
    scores: dict[str, float], expected: Action
) -> None:
    policy = load(policy_with('over_threshold("m")', scores, {"a": 0.3, "b": 0.7}))
    assert evaluate(policy).decision.action is expected


def test_thresholds_map_is_keyed_like_scores() -> None:
    when = 'scores["m.b"] >= thresholds["m.b"] && scores["m.a"] < thresholds["m.a"]'
    calibration = {"a": 0.3, "b": 0.7}
    assert evaluate(load(policy_with(when, {"a": 0.1, "b": 0.8}, calibration))).decision.action is (
        Action.BLOCK
    )
    assert evaluate(load(policy_with(when, {"a": 0.4, "b": 0.8}, calibration))).decision.action is (
        Action.ALLOW
    )


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ('thresholds["m.c"] > 0.1', r"no threshold for 'm.c'"),
        ('over_threshold("n")', r"over_threshold\('n'\): guard 'n' has no thresholds"),
        ('over_threshold("nope")', r"over_threshold\('nope'\): no guard 'nope' is declared"),
        ('scores["m.flagged"] > 0.0', r'no longer report `flagged`.*over_threshold\("m"\)'),
        ('over_threshold("m", 1)', r"over_threshold"),  # wrong arity: the load-time dry run
    ],
)
def test_names_are_checked_when_the_policy_loads(when: str, message: str) -> None:
    text = policy_with(when, {"a": 0.1, "c": 0.2}, {"a": 0.3}) + (
        "  - {name: other, when: 'scores[\"n\"] > 2.0', action: block}\n"
    )
    text = text.replace("rules:", "  n: {type: fixed, scores: {x: 0.5}}\nrules:")
    with pytest.raises(PolicyError, match=message) as info:
        load(text)
    assert info.value.key == "rules.0.when"


def test_the_binding_sets_thresholds_over_the_models() -> None:
    text = policy_with('over_threshold("m")', {"a": 0.5, "b": 0.2}, {"a": 0.3}).replace(
        "    calibration:", "    thresholds: {a: 0.6, b: 0.2}\n    calibration:"
    )
    policy = load(text)
    # a: the policy's 0.6 replaces the model's 0.3; b had none and gets one.
    assert policy.thresholds.values == {"m.a": 0.6, "m.b": 0.2}
    assert evaluate(policy).decision.action is Action.BLOCK  # b is at its threshold
    quiet = load(text.replace("b: 0.2}\n    calibration", "b: 0.25}\n    calibration"))
    assert evaluate(quiet).decision.action is Action.ALLOW  # a under 0.6, b under 0.25


def test_a_guard_without_calibration_gets_thresholds_from_the_policy() -> None:
    text = policy_with('over_threshold("m")', {"a": 0.5}, {}).replace(
        "    calibration: {}", "    thresholds: {a: 0.5}"
    )
    assert evaluate(load(text)).decision.action is Action.BLOCK


@pytest.mark.parametrize(
    ("thresholds", "key", "message"),
    [
        ("{nope: 0.5}", "guards.m.thresholds.nope", r"'nope' is not a category of guard 'm'"),
        ("{a: 1.5}", "guards.m.thresholds.a", r"less than or equal to 1"),
        ("{a: -0.1}", "guards.m.thresholds.a", r"greater than or equal to 0"),
        ("0.5", "guards.m.thresholds", r"valid dictionary"),
    ],
)
def test_binding_thresholds_are_checked_at_load(thresholds: str, key: str, message: str) -> None:
    text = policy_with('scores["m"] > 2.0', {"a": 0.5}, {}).replace(
        "    calibration: {}", f"    thresholds: {thresholds}"
    )
    with pytest.raises(PolicyError, match=message) as info:
        load(text)
    assert info.value.key == key
    assert info.value.line is not None


def test_calibration_is_seen_through_the_wrappers() -> None:
    policy = load("""\
version: 1
guards:
  m:
    type: fixed
    scores: {a: 0.5}
    calibration: {a: 0.4}
    category_map: {a: harm}
    cache: {max_entries: 10}
    batch: {max_size: 4, max_wait_ms: 0}
rules:
  - {name: over, when: 'over_threshold("m")', action: block}
""")
    assert policy.thresholds.values == {"m.a": 0.4}  # native names; mapped ones have none
    assert evaluate(policy).decision.action is Action.BLOCK


def test_an_unavailable_guard_may_be_named_and_fails_like_its_calls() -> None:
    pytest.importorskip("torch")
    policy = load("""\
version: 1
guards:
  heavy: {type: sequence-classifier, model: /nonexistent/model, optional: true}
rules:
  - {name: over, when: 'over_threshold("heavy")', action: escalate}
""")
    result = evaluate(policy)
    assert result.decision.action is Action.BLOCK
    assert result.decision.reason is DecisionReason.GUARD_ERROR_FAIL_CLOSED


# -- over_threshold as Python (the direct check) and as a CEL function agree --

THRESHOLDS = Thresholds({"m.a": 0.3, "m.b": 0.7})
KNOWN = frozenset({"m", "m.a", "m.b"})
values = st.one_of(st.floats(allow_nan=True), st.sampled_from([0.0, 0.3, 0.7, float("nan")]))


def _cel(source: str, scores: dict[str, float]) -> Any:
    condition = compile_condition(source, KNOWN, THRESHOLDS)

    def over_threshold(guard: str) -> bool:
        return THRESHOLDS.over(guard, scores)

    context = make_context({"scores": scores}, {"over_threshold": over_threshold})
    try:
        return condition.evaluate(context)
    except Exception:
        return "error"


def _direct(source: str, scores: dict[str, float]) -> Any:
    check = compile_condition(source, KNOWN, THRESHOLDS).direct
    assert check is not None
    try:
        return check(scores, [])
    except Exception:
        return "error"


def _by_hand(scores: dict[str, float]) -> Any:
    """The same condition written out as CEL comparisons."""
    source = 'scores["m.a"] >= 0.3 || scores["m.b"] >= 0.7'
    try:
        return compile_condition(source, KNOWN).evaluate(make_context({"scores": scores}))
    except Exception:
        return "error"


@settings(max_examples=300, deadline=None)
@given(a=values, b=values)
def test_over_threshold_answers_as_the_comparisons_it_stands_for(a: float, b: float) -> None:
    scores = {"m": max(a, b) if not (math.isnan(a) or math.isnan(b)) else 0.0, "m.a": a, "m.b": b}
    expected = _by_hand(scores)
    assert _direct('over_threshold("m")', scores) == expected
    assert _cel('over_threshold("m") || false', scores) == expected  # not a direct shape
