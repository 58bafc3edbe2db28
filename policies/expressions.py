"""CEL rule conditions, compiled once at load.

The Rust-backed ``cel`` package (common-expression-language) evaluates a
compiled program in about a microsecond on a reused context; building the
context is what costs (tens of microseconds, most of it converting findings),
so a stage builds at most one context and runs every rule on it. The two
shapes most rules have, a score compared with a number and "some finding of
guard X", are also compiled to a plain Python check with CEL's results,
errors included, so a stage whose rules all have those shapes builds no
context at all.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cel

__all__ = ["CompiledCondition", "ConditionError", "compile_condition"]

VARIABLES = frozenset({"scores", "findings", "stage", "request"})
_QUOTED = r"""(?:"([^"\\]*)"|'([^'\\]*)')"""  # a CEL string literal's content, either quote
_SCORE_KEY = re.compile(rf"scores\s*\[\s*{_QUOTED}\s*\]")
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


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    source: str
    program: Any
    score_keys: frozenset[str]  # literal keys used in scores["..."]
    uses: frozenset[str]  # which of VARIABLES the expression reads
    direct: DirectCheck | None = None  # the same condition in Python, for common shapes

    def evaluate(self, context: Any) -> bool:
        result = self.program.execute(context)
        if not isinstance(result, bool):
            raise ConditionError(f"condition must be a boolean, got {type(result).__name__}")
        return result


def compile_condition(source: str, known_scores: frozenset[str]) -> CompiledCondition:
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError) as exc:
        raise ConditionError(str(exc).strip()) from None
    keys = frozenset(a or b for a, b in _SCORE_KEY.findall(source))
    unknown = sorted(keys - known_scores)
    if unknown:
        raise ConditionError(
            f"unknown score name(s) {', '.join(map(repr, unknown))}: "
            "use a declared guard name or guard.category"
        )
    referenced = set(program.references()["variables"])
    macro_vars = set(_MACRO_VAR.findall(source))
    undeclared = sorted(referenced - VARIABLES - macro_vars)
    if undeclared:
        raise ConditionError(
            f"unknown variable(s) {', '.join(undeclared)}; "
            f"conditions may use {', '.join(sorted(VARIABLES))}"
        )
    return CompiledCondition(
        source, program, keys, frozenset(referenced & VARIABLES), _direct_check(source)
    )


def _direct_check(source: str) -> DirectCheck | None:
    """A Python equivalent of ``source`` when it has one of the common shapes.
    Keys were checked against the policy's guards, and every known key is in
    ``scores``, so the lookup cannot miss."""
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


def make_context(variables: Mapping[str, Any]) -> Any:
    context = cel.Context()
    context.update(dict(variables))
    return context
