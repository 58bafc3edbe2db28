"""Turn guard outcomes into a :class:`PolicyDecision` by evaluating the rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..guards.runner import GuardOutcome
from .decisions import Action, DecisionReason, PolicyDecision, RuleMatch, Stage
from .expressions import NO_THRESHOLDS, Thresholds, make_context
from .schema import ErrorMode

if TYPE_CHECKING:
    from .policy import CompiledRule, Policy

__all__ = ["RequestInfo", "collect", "decide", "dry_run"]


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What rules may know about the request (``request`` in CEL)."""

    route: str = ""
    model: str = ""
    user: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def as_cel(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "model": self.model,
            "user": self.user,
            "metadata": dict(self.metadata),
            "headers": dict(self.headers),
        }


def collect(
    policy: Policy, outcomes: Mapping[str, GuardOutcome]
) -> tuple[dict[str, float], list[dict[str, Any]], list[str], list[str]]:
    """What rules see: the highest score per ``guard`` and ``guard.category``
    (0 for every known key nothing reported), every finding, and the guards
    that failed closed and open."""
    scores = dict.fromkeys(policy.score_keys, 0.0)
    findings: list[dict[str, Any]] = []
    failed_closed: list[str] = []
    failed_open: list[str] = []
    for name, outcome in outcomes.items():
        if outcome.result is None:
            binding = policy.guards[name]
            (failed_closed if binding.on_error is ErrorMode.BLOCK else failed_open).append(name)
            continue
        for finding in outcome.result.findings:
            key = f"{name}.{finding.category}"
            if finding.score > scores.get(key, 0.0):
                scores[key] = finding.score
            if finding.score > scores[name]:
                scores[name] = finding.score
            span = finding.span
            findings.append(
                {
                    "guard": name,
                    "category": finding.category,
                    "score": finding.score,
                    "start": span.start if span else -1,
                    "end": span.end if span else -1,
                }
            )
    return scores, findings, failed_closed, failed_open


def decide(
    policy: Policy,
    stage: Stage,
    outcomes: Mapping[str, GuardOutcome],
    request: RequestInfo,
    *,
    escalation_round: bool = False,
) -> PolicyDecision:
    """Apply ``policy``'s rules for ``stage``. In the escalation round,
    escalate rules are skipped: a second decision cannot escalate again."""
    scores, findings, failed_closed, failed_open = collect(policy, outcomes)
    matches, rule_errors = _evaluate_rules(
        policy, stage, scores, findings, request, escalation_round=escalation_round
    )
    default_message = (
        policy.spec.block_message if stage is Stage.INPUT else (policy.spec.output_block_message)
    )
    if failed_closed or rule_errors:
        return PolicyDecision(
            stage,
            Action.BLOCK,
            DecisionReason.GUARD_ERROR_FAIL_CLOSED,
            tuple(matches),
            _message(matches, Action.BLOCK) or default_message,
            failed_guards=(*failed_closed, *(f"rule:{e}" for e in rule_errors)),
            fail_open_guards=tuple(failed_open),
        )
    if matches:
        action = max((m.action for m in matches), key=lambda a: a.rank)
        reason = DecisionReason.RULE
    else:
        action = Action(policy.spec.default_action)
        reason = DecisionReason.DEFAULT
    message = _message(matches, action) or (default_message if action is Action.BLOCK else None)
    return PolicyDecision(
        stage,
        action,
        reason,
        tuple(matches),
        message,
        fail_open_guards=tuple(failed_open),
    )


def _evaluate_rules(
    policy: Policy,
    stage: Stage,
    scores: dict[str, float],
    findings: list[dict[str, Any]],
    request: RequestInfo,
    *,
    escalation_round: bool,
) -> tuple[list[RuleMatch], list[str]]:
    """Matching rules and rule errors. Rules are pure functions of their
    variables, so results are memoised on exactly what the stage's rules read
    (traffic with no scores shares one entry); rules of the common shapes run
    as plain Python, and a CEL context is built only for the others."""
    rules = policy.rules_for(stage)
    if not rules:
        return [], []
    uses = policy.variables_used(stage)
    key: tuple[Any, ...] | None = None
    if "request" not in uses:
        key = (
            stage,
            escalation_round,
            tuple((k, v) for k, v in scores.items() if v),
            tuple(tuple(f.values()) for f in findings) if "findings" in uses else None,
        )
        cached = policy.rule_cache.get(key)
        if cached is not None:
            return list(cached[0]), list(cached[1])
    context = None  # built on the first rule that needs CEL, with what the rules read
    matches: list[RuleMatch] = []
    rule_errors: list[str] = []
    for rule in rules:
        if escalation_round and rule.action is Action.ESCALATE:
            continue
        try:
            direct = rule.condition.direct
            if direct is not None:
                matched = direct(scores, findings)
            else:
                if context is None:
                    variables = _variables(policy, uses, stage, scores, findings, request)
                    context = make_context(variables, _functions(policy, uses, scores))
                matched = rule.condition.evaluate(context)
        except Exception as exc:  # a rule that cannot be evaluated must not let text through
            rule_errors.append(f"{rule.name}: {exc}")
            continue
        if matched:
            matches.append(RuleMatch(rule.name, rule.action, rule.message, rule.redact))
    if key is not None:
        policy.rule_cache[key] = (tuple(matches), tuple(rule_errors))
    return matches, rule_errors


def _variables(
    policy: Policy,
    uses: frozenset[str],
    stage: Stage,
    scores: dict[str, float],
    findings: list[dict[str, Any]],
    request: RequestInfo,
) -> dict[str, Any]:
    # Converting a variable into CEL costs whether or not a rule reads it.
    variables: dict[str, Any] = {}
    if "scores" in uses:
        variables["scores"] = scores
    if "findings" in uses:
        variables["findings"] = findings
    if "stage" in uses:
        variables["stage"] = stage.value
    if "request" in uses:
        variables["request"] = request.as_cel()
    if "thresholds" in uses:
        variables["thresholds"] = policy.thresholds.values
    return variables


def _functions(
    policy: Policy, uses: frozenset[str], scores: Mapping[str, float]
) -> dict[str, Callable[..., Any]]:
    if "over_threshold" not in uses:
        return {}
    thresholds = policy.thresholds

    def over_threshold(guard: str) -> bool:
        return thresholds.over(guard, scores)

    return {"over_threshold": over_threshold}


def _message(matches: list[RuleMatch], action: Action) -> str | None:
    for match in matches:
        if match.action is action and match.message:
            return match.message
    return None


def dry_run(
    rule: CompiledRule, score_keys: frozenset[str], thresholds: Thresholds = NO_THRESHOLDS
) -> str | None:
    """Evaluate ``rule`` once on zero scores; return the problem, if any."""
    scores = dict.fromkeys(score_keys, 0.0)

    def over_threshold(guard: str) -> bool:
        return thresholds.over(guard, scores)

    context = make_context(
        {
            "scores": scores,
            "findings": [{"guard": "", "category": "", "score": 0.0, "start": 0, "end": 0}],
            "stage": "input",
            "request": RequestInfo().as_cel(),
            "thresholds": thresholds.values,
        },
        {"over_threshold": over_threshold},
    )
    try:
        rule.condition.evaluate(context)
    except Exception as exc:
        return str(exc)
    return None
