"""CEL rule conditions, compiled once at load.

The Rust-backed ``cel`` package (common-expression-language) evaluates a
compiled program in about a microsecond on a reused context; building the
context is what costs (tens of microseconds, most of it converting findings),
so a stage builds at most one context and runs every rule on it. The two
shapes most rules have, a score compared with a number and "some finding of
guard X", are also compiled to a plain Python check with CEL's results,
errors included, so a stage whose rules all have those shapes builds no
context at all.

Thresholds a guard's model came with (its calibration) and those a policy
sets on a guard's binding are data for rules: the ``thresholds`` map, keyed
like ``scores``, and ``over_threshold("guard")``, true when any category of
that guard that has a threshold scores at or above it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cel

__all__ = ["CompiledCondition", "ConditionError", "Thresholds", "compile_condition"]

VARIABLES = frozenset({"scores", "findings", "stage", "request", "thresholds"})
#: functions rules may call besides CEL's own, each needing the evaluation's scores
FUNCTIONS = frozenset({"over_threshold"})
_QUOTED = r"""(?:"([^"\\]*)"|'([^'\\]*)')"""  # a CEL string literal's content, either quote
_SCORE_KEY = re.compile(rf"scores\s*\[\s*{_QUOTED}\s*\]")
_THRESHOLD_KEY = re.compile(rf"\bthresholds\s*\[\s*{_QUOTED}\s*\]")
_OVER_CALL = re.compile(rf"\bover_threshold\s*\(\s*{_QUOTED}\s*\)")
# over_threshold("name") alone, the shape of "the model's own thresholds" rules
_OVER_ALONE = re.compile(rf"^\s*over_threshold\s*\(\s*{_QUOTED}\s*\)\s*$")
_MACRO_VAR = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
# scores["key"] OP number, the shape of per-category thresholds
_SCORE_COMPARISON = re.compile(
    rf"^\s*scores\s*\[\s*{_QUOTED}\s*\]\s*(>=|<=|==|!=|>|<)\s*"
    r"(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$"
)
# findings.exists(f, f.guard == "name"), the shape of redaction rules
_GUARD_FOUND = re.compile(
    rf"^\s*findings\s*\.\s*exists\s*\(\s*([A-Za-z_]\w*)\s*,\s*\1\s*\.\s*guard\s*==\s*"
    rf"{_QUOTED}\s*\)\s*$"
)
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}

#: (scores, findings) -> the condition's value, without a CEL context
DirectCheck = Callable[[Mapping[str, float], list[dict[str, Any]]], bool]


class ConditionError(ValueError):
    """A condition does not compile or refers to something undeclared."""


class Thresholds:
    """Per-category thresholds rules can read: ``values`` maps
    ``"<guard>.<category>"`` to a threshold (a model's calibration, or the
    policy's own). ``guards`` are the names ``over_threshold`` may take: every
    guard with a threshold, and guards that could not say (an unavailable
    optional one, whose calls fail anyway)."""

    def __init__(
        self, values: Mapping[str, float] | None = None, guards: frozenset[str] | None = None
    ) -> None:
        self.values: dict[str, float] = dict(values or {})
        by_guard: dict[str, list[tuple[str, float]]] = {}
        for key, threshold in self.values.items():
            by_guard.setdefault(key.split(".", 1)[0], []).append((key, threshold))
        self._by_guard = {guard: tuple(pairs) for guard, pairs in by_guard.items()}
        self.guards = frozenset(by_guard) | (guards or frozenset())

    def over(self, guard: str, scores: Mapping[str, float]) -> bool:
        """Whether a category of ``guard`` scores at or above its threshold.
        As CEL's ``||`` of the comparisons: true if one holds, else an error
        if a score is NaN (it has no order), so the rule fails closed."""
        if guard not in self.guards:
            raise ConditionError(f"over_threshold: {guard!r} is not a guard with thresholds")
        unordered = None
        for key, threshold in self._by_guard.get(guard, ()):
            value = scores.get(key, 0.0)
            if value >= threshold:
                return True
            if math.isnan(value):
                unordered = key
        if unordered is not None:
            raise ConditionError(f"cannot order NaN score {unordered!r}")
        return False


NO_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    source: str
    program: Any
    score_keys: frozenset[str]  # literal keys used in scores["..."]
    uses: frozenset[str]  # which of VARIABLES and FUNCTIONS the expression reads
    direct: DirectCheck | None = None  # the same condition in Python, for common shapes

    def evaluate(self, context: Any) -> bool:
        result = self.program.execute(context)
        if not isinstance(result, bool):
            raise ConditionError(f"condition must be a boolean, got {type(result).__name__}")
        return result


def compile_condition(
    source: str, known_scores: frozenset[str], thresholds: Thresholds = NO_THRESHOLDS
) -> CompiledCondition:
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError) as exc:
        raise ConditionError(str(exc).strip()) from None
    keys = frozenset(a or b for a, b in _SCORE_KEY.findall(source))
    unknown = sorted(keys - known_scores)
    if unknown:
        raise ConditionError(
            f"unknown score name(s) {', '.join(map(repr, unknown))}: "
            "use a declared guard name or guard.category" + _flagged_hint(unknown, known_scores)
        )
    _check_thresholds(source, known_scores, thresholds)
    references = program.references()
    referenced = set(references["variables"])
    macro_vars = set(_MACRO_VAR.findall(source))
    undeclared = sorted(referenced - VARIABLES - macro_vars)
    if undeclared:
        raise ConditionError(
            f"unknown variable(s) {', '.join(undeclared)}; "
            f"conditions may use {', '.join(sorted(VARIABLES))}"
        )
    uses = (referenced & VARIABLES) | (set(references["functions"]) & FUNCTIONS)
    return CompiledCondition(
        source, program, keys, frozenset(uses), _direct_check(source, thresholds)
    )


def _check_thresholds(source: str, known_scores: frozenset[str], thresholds: Thresholds) -> None:
    """Literal threshold names and over_threshold guards must exist, as score names must."""
    keys = sorted({a or b for a, b in _THRESHOLD_KEY.findall(source)} - set(thresholds.values))
    if keys:
        raise ConditionError(
            f"no threshold for {', '.join(map(repr, keys))}: thresholds are those a guard's "
            "model ships (its calibration) and those the guard's `thresholds:` sets"
        )
    for a, b in _OVER_CALL.findall(source):
        guard = a or b
        if guard in thresholds.guards:
            continue
        if guard in known_scores:
            raise ConditionError(
                f"over_threshold({guard!r}): guard {guard!r} has no thresholds (its model "
                "ships none); set `thresholds:` on it, per category"
            )
        raise ConditionError(f"over_threshold({guard!r}): no guard {guard!r} is declared")


def _flagged_hint(unknown: list[str], known_scores: frozenset[str]) -> str:
    """Guards used to report a ``flagged`` category; say where it went."""
    guards = [k.split(".", 1)[0] for k in unknown if k.endswith(".flagged")]
    guards = [g for g in guards if g in known_scores]
    if not guards:
        return ""
    return (
        f"; guards no longer report `flagged` (thresholds are the policy's now): "
        f'over_threshold("{guards[0]}") is true when a category of {guards[0]!r} is at or '
        "over its threshold"
    )


def _direct_check(source: str, thresholds: Thresholds) -> DirectCheck | None:
    """A Python equivalent of ``source`` when it has one of the common shapes.
    Keys were checked against the policy's guards, and every known key is in
    ``scores``, so the lookup cannot miss."""
    if match := _OVER_ALONE.match(source):
        guard = match.group(1) if match.group(1) is not None else match.group(2)

        def over_check(scores: Mapping[str, float], findings: list[dict[str, Any]]) -> bool:
            return thresholds.over(guard, scores)

        return over_check
    if match := _SCORE_COMPARISON.match(source):
        key = match.group(1) if match.group(1) is not None else match.group(2)
        compare = _OPERATORS[match.group(3)]
        literal = match.group(4)
        bound: float = int(literal) if literal.lstrip("-").isdigit() else float(literal)
        ordering = match.group(3) not in ("==", "!=")

        def score_check(scores: Mapping[str, float], findings: list[dict[str, Any]]) -> bool:
            value = scores[key]
            if ordering and math.isnan(value):
                # CEL has no ordering for NaN: an error, so the rule fails closed
                raise ConditionError(f"cannot order NaN score {key!r}")
            return bool(compare(value, bound))

        return score_check
    if match := _GUARD_FOUND.match(source):
        guard = match.group(2) if match.group(2) is not None else match.group(3)

        def guard_check(scores: Mapping[str, float], findings: list[dict[str, Any]]) -> bool:
            return any(f["guard"] == guard for f in findings)

        return guard_check
    return None


def make_context(
    variables: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None
) -> Any:
    context = cel.Context()
    context.update(dict(variables))
    for name, function in (functions or {}).items():
        context.add_function(name, function)
    return context
