"""What a policy concludes about one stage of one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Action", "DecisionReason", "PolicyDecision", "RuleMatch", "Stage"]


class Stage(StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class Action(StrEnum):
    """Rule actions, weakest first. When several rules match the strongest wins:
    block > escalate > redact > allow."""

    ALLOW = "allow"
    REDACT = "redact"
    ESCALATE = "escalate"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Action.ALLOW: 0, Action.REDACT: 1, Action.ESCALATE: 2, Action.BLOCK: 3}


class DecisionReason(StrEnum):
    """Why the final action is what it is, for audit lines and headers."""

    RULE = "rule"  # one or more rules matched
    DEFAULT = "default"  # no rule matched: the policy's default_action
    GUARD_ERROR_FAIL_CLOSED = "guard_error_fail_closed"
    GUARD_ERROR_FAIL_OPEN = "guard_error_fail_open"
    ESCALATION_FAILURE = "escalation_failure"
    UNSCANNED_CONTENT = "unscanned_content"  # parts guards cannot read, policy says block
    REDACTION_CONFLICT = "redaction_conflict"  # redacting would corrupt structured text


@dataclass(frozen=True, slots=True)
class RuleMatch:
    name: str
    action: Action
    message: str | None = None
    redact: tuple[str, ...] | None = None  # "guard" or "guard.category" selectors; None = all


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """The outcome for one stage. ``escalated_from`` is set when this decision
    replaced an ESCALATE after the escalation guards ran (or failed)."""

    stage: Stage
    action: Action
    reason: DecisionReason
    matches: tuple[RuleMatch, ...] = ()
    message: str | None = None
    failed_guards: tuple[str, ...] = ()
    escalated_from: Action | None = None
    fail_open_guards: tuple[str, ...] = field(default=())

    @property
    def rule_names(self) -> list[str]:
        return [match.name for match in self.matches]

    @property
    def label(self) -> str:
        """Short form for the ``x-sluicegate-decision`` header: ``allow``,
        ``redact``, ``block``, ``escalate->block``, ``guard_error_fail_open``."""
        base = self.action.value
        if self.action is Action.ALLOW and self.fail_open_guards:
            base = DecisionReason.GUARD_ERROR_FAIL_OPEN.value
        if self.escalated_from is not None:
            return f"escalate->{base}"
        return base
