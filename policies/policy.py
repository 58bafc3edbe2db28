"""A loaded policy: validated spec, built guards and compiled rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache

from ..guards.base import CalibratedGuard, Guard, SyncGuard
from ..guards.mapping import UnavailableGuard
from .decisions import Action, Stage
from .expressions import CompiledCondition, Thresholds
from .schema import ErrorMode, GuardSpec, PolicySpec, PolicyTestCase

__all__ = ["CompiledRule", "GuardBinding", "Policy"]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    name: str
    stages: frozenset[Stage]
    condition: CompiledCondition
    action: Action
    message: str | None
    redact: tuple[str, ...] | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class GuardBinding:
    """A guard instance with the policy's settings for running it."""

    guard: Guard
    spec: GuardSpec
    on_error: ErrorMode
    escalation_only: bool

    @property
    def name(self) -> str:
        return self.guard.name

    @property
    def timeout_s(self) -> float:
        return self.spec.timeout_ms / 1000

    @property
    def cheap(self) -> bool:
        """Runs first under ``short_circuit``: as the policy says, else
        deterministic (SyncGuard) guards count as cheap."""
        if self.spec.cost is not None:
            return self.spec.cost == "cheap"
        return isinstance(self.innermost, SyncGuard)

    @property
    def innermost(self) -> object:
        """The guard under the cache, batching and category-map wrappers."""
        guard: object = self.guard
        while hasattr(guard, "inner"):
            guard = guard.inner
        return guard

    @property
    def calibration(self) -> Mapping[str, float]:
        """The thresholds the guard's model came with, by category (see
        :class:`~sluicegate.guards.base.CalibratedGuard`); empty for most guards."""
        guard = self.innermost
        return guard.calibration if isinstance(guard, CalibratedGuard) else {}

    @property
    def unavailable(self) -> str | None:
        """Why an ``optional`` guard could not be loaded; None when it is loaded."""
        guard = self.innermost
        return guard.reason if isinstance(guard, UnavailableGuard) else None


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    path: str
    spec: PolicySpec
    guards: dict[str, GuardBinding]
    rules: tuple[CompiledRule, ...]
    score_keys: frozenset[str]
    tests: tuple[PolicyTestCase, ...] = ()
    digest: str = ""
    #: per-category thresholds rules read (``thresholds``, ``over_threshold``)
    thresholds: Thresholds = field(default_factory=Thresholds)
    # Per-stage views, computed once: the request path only reads them.
    _guards: dict[Stage, list[GuardBinding]] = field(default_factory=dict, repr=False)
    _escalation: dict[Stage, list[GuardBinding]] = field(default_factory=dict, repr=False)
    _rules: dict[Stage, list[CompiledRule]] = field(default_factory=dict, repr=False)
    _uses: dict[Stage, frozenset[str]] = field(default_factory=dict, repr=False)
    #: memo of rule outcomes keyed on the variables the rules read (see engine)
    rule_cache: LRUCache[Any, Any] = field(
        default_factory=lambda: LRUCache(maxsize=4096), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for stage in Stage:
            bindings = [b for b in self.guards.values() if stage.value in b.spec.stages]
            self._guards[stage] = [b for b in bindings if not b.escalation_only]
            self._escalation[stage] = [b for b in bindings if b.escalation_only]
            self._rules[stage] = [rule for rule in self.rules if stage in rule.stages]
            self._uses[stage] = frozenset(
                name for rule in self._rules[stage] for name in rule.condition.uses
            )

    def unavailable_guards(self) -> dict[str, str]:
        """Optional guards that failed to load, with the reason."""
        return {
            name: reason
            for name, binding in self.guards.items()
            if (reason := binding.unavailable) is not None
        }

    def guards_for(self, stage: Stage) -> list[GuardBinding]:
        """Guards that run on every request at ``stage``."""
        return self._guards[stage]

    def escalation_guards(self, stage: Stage) -> list[GuardBinding]:
        """Guards that run only when a rule at ``stage`` escalates."""
        return self._escalation[stage]

    def rules_for(self, stage: Stage) -> list[CompiledRule]:
        return self._rules[stage]

    def variables_used(self, stage: Stage) -> frozenset[str]:
        """Which variables (scores, findings, stage, request, thresholds) and
        functions (over_threshold) the stage's rules read."""
        return self._uses[stage]
