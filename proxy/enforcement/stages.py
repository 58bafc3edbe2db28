"""Guard stages: run the policy over the text bundles of a request or response.

No Starlette here: the HTTP routes and the LiteLLM guardrail both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ...policies.decisions import Action, DecisionReason, PolicyDecision, Stage
from ...policies.engine import RequestInfo
from ...policies.evaluator import Evaluation, PolicyEvaluator
from ...policies.policy import Policy
from ...policies.redaction import redact
from ...policies.schema import ErrorMode
from ..payloads.bundles import TextBundle

__all__ = [
    "GuardStage",
    "InputGuardStage",
    "OutputGuardStage",
    "StageOutcome",
    "decision_record",
    "strongest",
]


def decision_record(decision: PolicyDecision, rules: Iterable[str] | None = None) -> dict[str, Any]:
    """How a decision appears in audit lines; ``rules`` defaults to its own."""
    return {
        "decision": decision.label,
        "action": decision.action.value,
        "reason": decision.reason.value,
        "rules": sorted(set(decision.rule_names if rules is None else rules)),
    }


def strongest(decisions: Iterable[PolicyDecision]) -> PolicyDecision:
    """Highest-ranked action; among equals the first fail-open one."""
    return max(decisions, key=lambda d: (d.action.rank, bool(d.fail_open_guards)))


@dataclass(frozen=True, slots=True)
class StageOutcome:
    stage: Stage
    policy: Policy
    bundles: tuple[TextBundle, ...]
    evaluations: tuple[Evaluation, ...]  # one per bundle, same order

    @property
    def unscanned(self) -> int:
        """Parts of the text-carrying fields the guards could not read."""
        return sum(bundle.unscanned for bundle in self.bundles)

    @property
    def decision(self) -> PolicyDecision:
        """The strongest decision over all bundles; among equals a fail-open
        one, so it is never reported as a plain allow. Content the guards could
        not read blocks the whole stage when the policy says so."""
        if self.unscanned and self.policy.spec.non_text_content is ErrorMode.BLOCK:
            return PolicyDecision(
                self.stage,
                Action.BLOCK,
                DecisionReason.UNSCANNED_CONTENT,
                message=self.policy.spec.non_text_message,
            )
        return strongest(e.decision for e in self.evaluations)

    def apply_redactions(self, body: Any) -> None:
        """Rewrite ``body`` in place for every bundle whose action is REDACT."""
        for bundle, evaluation in zip(self.bundles, self.evaluations, strict=True):
            if evaluation.decision.action is Action.REDACT and evaluation.redactions:
                bundle.apply(body, evaluation.redactions)

    def audit(self, *, log_text: bool) -> dict[str, Any]:
        """This stage's part of the audit line. Texts appear only when asked,
        and then with every finding that has a span redacted."""
        decision = self.decision
        scores: dict[str, float] = {}
        latency: dict[str, float] = {}
        errors: dict[str, str] = {}
        for evaluation in self.evaluations:
            for name, outcome in evaluation.outcomes.items():
                latency[name] = round(max(latency.get(name, 0.0), outcome.latency_ms), 3)
                if outcome.error is not None:
                    errors[name] = outcome.error
                    continue
                assert outcome.result is not None
                for finding in outcome.result.findings:
                    for key in (name, f"{name}.{finding.category}"):
                        scores[key] = round(max(scores.get(key, 0.0), finding.score), 4)
        record: dict[str, Any] = {
            **decision_record(
                decision, (r for e in self.evaluations for r in e.decision.rule_names)
            ),
            **({"unscanned_parts": self.unscanned} if self.unscanned else {}),
            "scores": scores,
            "guard_latency_ms": latency,
        }
        if errors:
            record["guard_errors"] = errors
        if decision.fail_open_guards:
            record["fail_open"] = list(decision.fail_open_guards)
        escalations = [e.escalation for e in self.evaluations if e.escalation is not None]
        if escalations:
            record["escalations"] = [
                {"guards": list(x.guards), "succeeded": x.succeeded, "error": x.error}
                for x in escalations
            ]
        if log_text:
            record["texts"] = [
                _scrubbed(b, e) for b, e in zip(self.bundles, self.evaluations, strict=True)
            ]
        return record


def _scrubbed(bundle: TextBundle, evaluation: Evaluation) -> str:
    spans = [
        (f.span.start, f.span.end, f"[{f.category.upper()}]")
        for outcome in evaluation.outcomes.values()
        if outcome.result is not None
        for f in outcome.result.findings
        if f.span is not None
    ]
    return redact(bundle.text, spans)


class GuardStage:
    stage: Stage

    def __init__(self, evaluator: PolicyEvaluator) -> None:
        self.evaluator = evaluator

    async def check(
        self, policy: Policy, bundles: Sequence[TextBundle], request: RequestInfo
    ) -> StageOutcome:
        # With nothing to read, rules still run (on zero scores), so a policy
        # whose default is block keeps blocking text-free requests.
        bundles = tuple(bundles) or (TextBundle(()),)
        evaluations = await self.evaluator.evaluate(
            policy, self.stage, [b.text for b in bundles], request
        )
        return StageOutcome(self.stage, policy, bundles, tuple(evaluations))

    def settled(self, policy: Policy, text: str) -> int | None:
        """How much of ``text`` this stage's guards have settled; see
        :meth:`PolicyEvaluator.settled`. For streaming: release up to it."""
        return self.evaluator.settled(policy, self.stage, text)


class InputGuardStage(GuardStage):
    """Checks what the client sends, before anything goes upstream."""

    stage = Stage.INPUT


class OutputGuardStage(GuardStage):
    """Checks what the upstream answered, before the client sees it."""

    stage = Stage.OUTPUT
