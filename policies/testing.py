"""OPA-style policy tests: each case gives a text and what the policy must do."""

from __future__ import annotations

from dataclasses import dataclass, field

from .decisions import Stage
from .engine import RequestInfo
from .evaluator import Evaluation, PolicyEvaluator
from .policy import Policy
from .redaction import redact
from .schema import PolicyTestCase

__all__ = ["CaseResult", "PolicyTestReport", "run_policy_tests"]


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    passed: bool
    problem: str | None = None


@dataclass
class PolicyTestReport:
    policy: str
    cases: list[CaseResult] = field(default_factory=list)
    uncovered_rules: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(case.passed for case in self.cases)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed


async def run_policy_tests(
    policy: Policy, evaluator: PolicyEvaluator | None = None
) -> PolicyTestReport:
    evaluator = evaluator or PolicyEvaluator()
    report = PolicyTestReport(policy.name)
    matched: set[str] = set()
    for i, case in enumerate(policy.tests):
        name = case.name or f"case {i + 1} ({case.stage}: {case.text[:40]!r})"
        [evaluation] = await evaluator.evaluate(
            policy, Stage(case.stage), [case.text], RequestInfo(route="policy-test")
        )
        matched.update(evaluation.decision.rule_names)
        problem = _check(case, evaluation)
        report.cases.append(CaseResult(name, problem is None, problem))
    report.uncovered_rules = [rule.name for rule in policy.rules if rule.name not in matched]
    return report


def _check(case: PolicyTestCase, evaluation: Evaluation) -> str | None:
    decision = evaluation.decision
    if decision.action is not case.expect:
        errors = {n: o.error for n, o in evaluation.outcomes.items() if o.error}
        extra = f", guard errors {errors}" if errors else ""
        return (
            f"expected {case.expect.value}, got {decision.label} "
            f"(rules {decision.rule_names or 'none'}{extra})"
        )
    found = {
        key
        for name, outcome in evaluation.outcomes.items()
        if outcome.result is not None
        for f in outcome.result.findings
        for key in (name, f"{name}.{f.category}")
    }
    missing = [f for f in case.findings or [] if f not in found]
    if missing:
        return f"expected findings {missing} not reported (found {sorted(found) or 'none'})"
    missing_rules = [r for r in case.rules or [] if r not in decision.rule_names]
    if missing_rules:
        return f"expected rules {missing_rules} to match (matched {decision.rule_names})"
    if case.redacted is not None:
        got = redact(case.text, evaluation.redactions)
        if got != case.redacted:
            return f"expected redacted text {case.redacted!r}, got {got!r}"
    return None
