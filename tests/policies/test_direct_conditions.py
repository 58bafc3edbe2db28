"""Rules of the common shapes run as Python, without a CEL context: they must
give exactly CEL's answer, errors included, for every value."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.guards.runner import GuardCall, GuardRunner
from sluicegate.policies import engine
from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.engine import RequestInfo, decide
from sluicegate.policies.expressions import ConditionError, compile_condition, make_context
from sluicegate.policies.loader import PolicyLoader

KNOWN = frozenset({"a", "a.x", "pii", "secrets"})
SCORE_SHAPES = [
    f'scores["a"] {op} {number}'
    for op in (">=", ">", "<=", "<", "==", "!=")
    for number in ("0.5", "1", "0", "-0.25", ".75", "1e-1", "0.8454")
] + ["scores['a.x'] >= 0.5", '  scores [ "a.x" ]>=0.5  ']
FINDING_SHAPES = [
    'findings.exists(f, f.guard == "pii")',
    "findings.exists(x, x.guard == 'secrets')",
    ' findings.exists( f ,f.guard=="pii" ) ',
]
NOT_DIRECT = [
    'scores["a"] >= 0.5 && scores["a.x"] >= 0.5',
    'findings.exists(f, f.guard == "pii" && f.category == "email")',
    'findings.exists(f, "pii" == f.guard)',
    'scores["a"] >= 0.5 || stage == "input"',
    '0.5 <= scores["a"]',
    'findings.all(f, f.guard == "pii")',
]

scores_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.5, 1.0, 0.75, 0.1, -0.25, 0.8454, float("nan")]),
)
findings_lists = st.lists(
    st.fixed_dictionaries(
        {
            "guard": st.sampled_from(["pii", "secrets", "classifier", "a"]),
            "category": st.sampled_from(["email", "aws", "unsafe"]),
            "score": st.floats(0, 1),
            "start": st.integers(-1, 10),
            "end": st.integers(-1, 10),
        }
    ),
    max_size=4,
)


def _cel(source: str, scores: dict[str, float], findings: list[dict[str, Any]]) -> Any:
    condition = compile_condition(source, KNOWN)
    context = make_context({"scores": scores, "findings": findings})
    try:
        return condition.evaluate(context)
    except Exception as exc:
        return type(exc)


def _direct(source: str, scores: dict[str, float], findings: list[dict[str, Any]]) -> Any:
    check = compile_condition(source, KNOWN).direct
    assert check is not None, source
    try:
        return check(scores, findings)
    except Exception:
        return "error"


@pytest.mark.parametrize("source", SCORE_SHAPES + FINDING_SHAPES)
def test_common_shapes_compile_to_a_direct_check(source: str) -> None:
    assert compile_condition(source, KNOWN).direct is not None


@pytest.mark.parametrize("source", NOT_DIRECT)
def test_other_shapes_stay_with_cel(source: str) -> None:
    assert compile_condition(source, KNOWN).direct is None


@settings(max_examples=300, deadline=None)
@given(
    source=st.sampled_from(SCORE_SHAPES + FINDING_SHAPES),
    a=scores_values,
    ax=scores_values,
    findings=findings_lists,
)
def test_direct_checks_give_cels_answer(
    source: str, a: float, ax: float, findings: list[dict[str, Any]]
) -> None:
    scores = {"a": a, "a.x": ax, "pii": 0.0, "secrets": 0.0}
    expected = _cel(source, scores, findings)
    got = _direct(source, scores, findings)
    if isinstance(expected, bool):
        assert got is expected, (source, scores, findings)
    else:  # CEL raised (NaN has no order): the direct check must raise too
        assert got == "error", (source, scores, expected)


def test_nan_scores_still_fail_closed() -> None:
    scores = {"a": math.nan, "a.x": 0.0, "pii": 0.0, "secrets": 0.0}
    check = compile_condition('scores["a"] >= 0.5', KNOWN).direct
    assert check is not None
    with pytest.raises(ConditionError, match="NaN"):
        check(scores, [])


POLICY = """
version: 1
guards:
  secrets: {type: secrets}
  pii: {type: pii, entities: [email]}
rules:
  - name: block-secrets
    when: scores["secrets"] >= 0.7
    action: block
  - name: redact-pii
    when: findings.exists(f, f.guard == "pii")
    action: redact
    redact: [pii]
default_action: allow
"""


def test_a_stage_of_common_shapes_builds_no_cel_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = PolicyLoader().load_text(POLICY)
    calls = [GuardCall(b.guard, b.timeout_s) for b in policy.guards.values()]
    outcomes = asyncio.run(GuardRunner().run(calls, ["mail me at jane@example.com"]))[0]

    def refuse(variables: Any) -> Any:
        raise AssertionError("a CEL context was built")

    monkeypatch.setattr(engine, "make_context", refuse)
    decision = decide(policy, Stage.INPUT, outcomes, RequestInfo())
    assert decision.action is Action.REDACT
    assert [m.name for m in decision.matches] == ["redact-pii"]


def test_other_shapes_still_get_a_context_with_what_they_read() -> None:
    policy = PolicyLoader().load_text(
        POLICY.replace(
            'when: scores["secrets"] >= 0.7',
            'when: scores["secrets"] >= 0.7 && stage == "input"',
        )
    )
    calls = [GuardCall(b.guard, b.timeout_s) for b in policy.guards.values()]
    text = "key AKIAIOSFODNN7EXAMPLE"
    outcomes = asyncio.run(GuardRunner().run(calls, [text]))[0]
    decision = decide(policy, Stage.INPUT, outcomes, RequestInfo())
    assert decision.action is Action.BLOCK
    assert [m.name for m in decision.matches] == ["block-secrets"]
