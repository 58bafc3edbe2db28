"""Run a policy on texts: guards, decision, escalation, redaction.

This is the engine every front end shares: the HTTP proxy, the LiteLLM
guardrail, ``sluicegate check`` and ``sluicegate policy test``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..guards.runner import GuardCall, GuardOutcome, GuardRunner
from .decisions import Action, DecisionReason, PolicyDecision, Stage
from .engine import RequestInfo, decide
from .policy import GuardBinding, Policy
from .redaction import RedactionSpan, redaction_spans
from .schema import ErrorMode

__all__ = ["Escalation", "Evaluation", "PolicyEvaluator"]


@dataclass(frozen=True, slots=True)
class Escalation:
    """What happened when a rule escalated."""

    guards: tuple[str, ...]
    succeeded: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: PolicyDecision
    outcomes: dict[str, GuardOutcome]  # every guard that ran, escalation guards included
    escalation: Escalation | None = None
    redactions: tuple[RedactionSpan, ...] = ()  # set when the action is REDACT


class PolicyEvaluator:
    def __init__(self, runner: GuardRunner | None = None) -> None:
        self.runner = runner or GuardRunner()

    async def evaluate(
        self, policy: Policy, stage: Stage, texts: Sequence[str], request: RequestInfo
    ) -> list[Evaluation]:
        """One evaluation per text; the texts are scanned as one batch."""
        if not texts:
            return []
        reports = await self._scan(policy, stage, texts, request)
        evaluations = []
        for text, outcomes in zip(texts, reports, strict=True):
            decision = decide(policy, stage, outcomes, request)
            escalation = None
            if decision.action is Action.ESCALATE:
                decision, outcomes, escalation = await self._escalate(
                    policy, stage, text, outcomes, decision, request
                )
            spans: tuple[RedactionSpan, ...] = ()
            if decision.action is Action.REDACT:
                spans = tuple(
                    redaction_spans(decision, outcomes, policy.spec.redaction.placeholder)
                )
            evaluations.append(Evaluation(decision, outcomes, escalation, spans))
        return evaluations

    def settled(self, policy: Policy, stage: Stage, text: str) -> int | None:
        """How much of ``text`` (a streamed answer so far) the guards of ``stage``
        have settled, as :meth:`GuardRunner.settled`: findings, and so the
        decision's spans, cannot change inside it. None when a guard that could
        run cannot tell (a model guard, an unavailable optional one): then only
        window checks are safe. Escalation guards count when a rule of the
        stage can escalate; costly guards count even where ``short_circuit``
        might skip them."""
        bindings = list(policy.guards_for(stage))
        if any(rule.action is Action.ESCALATE for rule in policy.rules_for(stage)):
            bindings.extend(policy.escalation_guards(stage))
        return self.runner.settled([b.guard for b in bindings], text)

    async def _scan(
        self, policy: Policy, stage: Stage, texts: Sequence[str], request: RequestInfo
    ) -> list[dict[str, GuardOutcome]]:
        """Every regular guard's outcome per text. With ``short_circuit``, cheap
        guards run first and texts they already block skip the costly ones
        (which then have no outcome: a block cannot be undone by more scores
        as long as no rule blocks on a score being low)."""
        bindings = policy.guards_for(stage)
        if not policy.spec.short_circuit:
            return await self.runner.run(_calls(bindings), texts)
        cheap = [b for b in bindings if b.cheap]
        costly = [b for b in bindings if not b.cheap]
        if not cheap or not costly:
            return await self.runner.run(_calls(bindings), texts)
        reports = await self.runner.run(_calls(cheap), texts)
        open_ = [
            i
            for i, outcomes in enumerate(reports)
            if decide(policy, stage, outcomes, request).action is not Action.BLOCK
        ]
        if open_:
            more = await self.runner.run(_calls(costly), [texts[i] for i in open_])
            for i, extra in zip(open_, more, strict=True):
                reports[i] = {**reports[i], **extra}
        return reports

    async def _escalate(
        self,
        policy: Policy,
        stage: Stage,
        text: str,
        outcomes: dict[str, GuardOutcome],
        first: PolicyDecision,
        request: RequestInfo,
    ) -> tuple[PolicyDecision, dict[str, GuardOutcome], Escalation]:
        bindings = policy.escalation_guards(stage)
        names = tuple(b.name for b in bindings)
        if not bindings:
            return (
                _escalation_failed(policy, first),
                outcomes,
                Escalation(names, False, "no escalation guards for this stage"),
            )
        [extra] = await self.runner.run(_calls(bindings), [text])
        merged = {**outcomes, **extra}
        errors = [f"{o.guard}: {o.error}" for o in extra.values() if o.error is not None]
        if errors:
            return (
                _escalation_failed(policy, first),
                merged,
                Escalation(names, False, "; ".join(errors)),
            )
        second = decide(policy, stage, merged, request, escalation_round=True)
        final = PolicyDecision(
            second.stage,
            second.action,
            second.reason,
            second.matches,
            second.message,
            second.failed_guards,
            Action.ESCALATE,
            second.fail_open_guards,
        )
        return final, merged, Escalation(names, True)


def _calls(bindings: Sequence[GuardBinding]) -> list[GuardCall]:
    return [GuardCall(b.guard, b.timeout_s) for b in bindings]


def _escalation_failed(policy: Policy, first: PolicyDecision) -> PolicyDecision:
    """``on_escalation_failure``: block, or fall back to the strongest
    non-escalate action that matched (recorded as failing open)."""
    if policy.spec.on_escalation_failure is ErrorMode.BLOCK:
        message = first.message or (
            policy.spec.block_message
            if first.stage is Stage.INPUT
            else policy.spec.output_block_message
        )
        return PolicyDecision(
            first.stage,
            Action.BLOCK,
            DecisionReason.ESCALATION_FAILURE,
            first.matches,
            message,
            first.failed_guards,
            Action.ESCALATE,
            first.fail_open_guards,
        )
    others = [m.action for m in first.matches if m.action is not Action.ESCALATE]
    action = max(others, key=lambda a: a.rank, default=Action.ALLOW)
    return PolicyDecision(
        first.stage,
        action,
        DecisionReason.ESCALATION_FAILURE,
        first.matches,
        first.message,
        first.failed_guards,
        Action.ESCALATE,
        (*first.fail_open_guards, "escalation"),
    )
