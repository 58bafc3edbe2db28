"""CEL rule conditions, compiled once at load.

The Rust-backed ``cel`` package (common-expression-language) evaluates a
compiled program in about a microsecond on a reused context; building the
context is what costs, so a stage builds one context and runs every rule on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cel

__all__ = ["CompiledCondition", "ConditionError", "compile_condition"]

VARIABLES = frozenset({"scores", "findings", "stage", "request"})
_SCORE_KEY = re.compile(r"""scores\s*\[\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\]""")
_MACRO_VAR = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


class ConditionError(ValueError):
    """A condition does not compile or refers to something undeclared."""


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    source: str
    program: Any
    score_keys: frozenset[str]  # literal keys used in scores["..."]
    uses: frozenset[str]  # which of VARIABLES the expression reads

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
    return CompiledCondition(source, program, keys, frozenset(referenced & VARIABLES))


def make_context(variables: Mapping[str, Any]) -> Any:
    context = cel.Context()
    context.update(dict(variables))
    return context
