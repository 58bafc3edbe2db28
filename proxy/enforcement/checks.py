"""The one guard-run sequence: guards → decision → redact or block. Every
route, the stream relay's held answers and the LiteLLM guardrail go through
these two checks; nothing else applies a decision to a body.

:class:`InputCheck` decides once for a whole request (any part blocked blocks
it). :class:`OutputCheck` decides per part of an answer (a choice), so one
bad choice does not withhold the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ...policies.decisions import Action, DecisionReason, PolicyDecision
from ...policies.engine import RequestInfo
from ...policies.policy import Policy
from ..payloads.bundles import RedactionConflict, TextBundle
from ..payloads.family import AnswerShape
from .stages import InputGuardStage, OutputGuardStage, StageOutcome, strongest

__all__ = [
    "CheckedInput",
    "CheckedOutput",
    "InputCheck",
    "OutputCheck",
    "apply_output",
    "passes",
    "unappliable",
]


def passes(decision: PolicyDecision) -> bool:
    """Whether the content goes on (as it is, or redacted)."""
    return decision.action is Action.ALLOW or decision.action is Action.REDACT


def unappliable(decision: PolicyDecision, message: str | None = None) -> PolicyDecision:
    """A redaction that cannot be written (the text is already sent, or the
    rewrite would break tool-call JSON) becomes a block: never sent unredacted."""
    return replace(
        decision,
        action=Action.BLOCK,
        reason=DecisionReason.REDACTION_CONFLICT,
        message=message if message is not None else decision.message,
    )


@dataclass(frozen=True, slots=True)
class CheckedInput:
    outcome: StageOutcome
    decision: PolicyDecision  # as applied: a redaction that could not be written is a block

    @property
    def passed(self) -> bool:
        return passes(self.decision)


class InputCheck:
    """Checks what the client sends, before anything goes upstream."""

    def __init__(self, stage: InputGuardStage | OutputGuardStage) -> None:
        # The output stage too, for hosts that hand over answers as plain
        # texts to decide on as a whole (LiteLLM's apply_guardrail).
        self.stage = stage

    async def run(
        self,
        policy: Policy,
        bundles: Sequence[TextBundle],
        info: RequestInfo,
        body: Any | None,
    ) -> CheckedInput:
        """Guard ``bundles`` and, on a redact decision, rewrite ``body`` in
        place. ``body`` None means it can no longer be rewritten: the redact
        decision is returned as it is, for the caller to refuse or record."""
        outcome = await self.stage.check(policy, bundles, info)
        decision = outcome.decision
        if decision.action is Action.REDACT and body is not None:
            try:
                outcome.apply_redactions(body)
            except RedactionConflict:
                decision = unappliable(decision)
        return CheckedInput(outcome, decision)


@dataclass(frozen=True, slots=True)
class CheckedOutput:
    outcome: StageOutcome
    decisions: tuple[PolicyDecision, ...]  # per part, as applied
    blocked: tuple[int, ...]  # parts replaced by the policy's message

    @property
    def decision(self) -> PolicyDecision:
        return strongest(self.decisions) if self.decisions else self.outcome.decision


class OutputCheck:
    """Checks what the upstream answered, before the client sees it."""

    def __init__(self, stage: OutputGuardStage) -> None:
        self.stage = stage

    async def run(
        self,
        policy: Policy,
        shape: AnswerShape,
        answer: Any,
        info: RequestInfo,
        *,
        rewrite: bool = True,
    ) -> CheckedOutput:
        """Guard every part of ``answer`` and apply each part's decision in
        place (``rewrite`` False: the answer can no longer be rewritten, so a
        redaction blocks). Raises PayloadShapeError for an answer ``shape``
        cannot read."""
        bundles = shape.output_bundles(answer)
        outcome = await self.stage.check(policy, bundles, info)
        return apply_output(outcome, shape, answer, parts=len(bundles), rewrite=rewrite)


def apply_output(
    outcome: StageOutcome,
    shape: AnswerShape,
    answer: dict[str, Any],
    *,
    parts: int | None = None,
    rewrite: bool = True,
) -> CheckedOutput:
    """Write ``outcome``'s per-part decisions into ``answer``: redactions in
    place (a redaction that would break tool-call JSON, or any redaction
    with ``rewrite`` False, blocks instead), and every action other than allow
    or redact replaces the part with the policy's message. ``parts`` is how
    many parts the answer really has (the stage adds an empty one to an
    answer with none, so rules still run)."""
    count = len(outcome.bundles) if parts is None else parts
    decisions: list[PolicyDecision] = []
    blocked: list[int] = []
    for part, (bundle, evaluation) in enumerate(
        zip(outcome.bundles, outcome.evaluations, strict=True)
    ):
        decision = evaluation.decision
        if decision.action is Action.REDACT:
            if not rewrite:
                decision = unappliable(decision)
            else:
                try:
                    bundle.apply(answer, evaluation.redactions)
                except RedactionConflict:
                    decision = unappliable(decision)
                else:
                    if part < count:
                        shape.redacted_output(answer, part)
        decisions.append(decision)
        if not passes(decision) and part < count:
            message = decision.message or outcome.policy.spec.output_block_message
            shape.block_output(answer, part, message)
            blocked.append(part)
    return CheckedOutput(outcome, tuple(decisions), tuple(blocked))
