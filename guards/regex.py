"""User-supplied regular expressions per category, run with RE2.

RE2 runs in time linear in the text whatever the pattern, so a policy author's
``(a+)+$`` cannot stall the gateway on hostile input. The price is RE2's
syntax: no backreferences and no lookaround, which are rejected when the guard
is built rather than discovered on the first request. Note that in RE2 ``\\w``,
``\\d`` and ``\\b`` are ASCII-only; use ``\\pL``, ``\\pN`` or ``\\p{Han}`` for
other scripts.
"""

from __future__ import annotations

import re
from typing import Any

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .base import Finding, Span, SyncGuard
from .errors import GuardConfigError
from .partial import Twin, re2_twin

__all__ = ["RegexGuard"]

_Regexp = Any  # re2 ships no type hints

_CATEGORY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")

# What RE2 leaves out on purpose, to add to its terse parser messages.
_UNSUPPORTED_ERROR = re.compile(r"escape sequence|perl operator|named capture")
_UNSUPPORTED_HINT = (
    " (RE2 has no backreferences such as \\1 or (?P=name), and no lookaround such as"
    " (?=, (?!, (?<= or (?<!)"
)


class RegexSettings(BaseModel):
    """``patterns`` maps a category name to one RE2 pattern or a list of them."""

    model_config = ConfigDict(extra="forbid")

    patterns: dict[str, str | list[str]] = Field(min_length=1)
    ignore_case: bool = False
    #: ``^`` and ``$`` also match at line breaks
    multiline: bool = False
    #: ``.`` also matches a line break
    dot_all: bool = False

    @field_validator("patterns")
    @classmethod
    def _check_patterns(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for category, patterns in value.items():
            if not _CATEGORY_NAME.fullmatch(category):
                raise ValueError(
                    f"category {category!r}: names use letters, digits, '_' and '-' only"
                )
            if isinstance(patterns, list) and not patterns:
                raise ValueError(f"category {category!r} has no patterns")
        return value


class RegexGuard(SyncGuard):
    """Reports every non-empty match with score 1.0 and its character span.

    Matches of one pattern do not overlap; different patterns, in the same
    category or not, are matched independently and may overlap. Spans are
    character offsets into the ``str``, not UTF-8 byte offsets.
    """

    Settings = RegexSettings

    def __init__(self, name: str, settings: RegexSettings) -> None:
        self.name = name
        self.categories = tuple(settings.patterns)
        options = re2.Options()
        options.log_errors = False  # the error is raised to the caller instead
        inline = "".join(
            flag
            for flag, on in (
                ("i", settings.ignore_case),
                ("m", settings.multiline),
                ("s", settings.dot_all),
            )
            if on
        )
        prefix = f"(?{inline})" if inline else ""
        compiled: list[tuple[str, _Regexp]] = []
        for category, patterns in settings.patterns.items():
            for index, pattern in enumerate([patterns] if isinstance(patterns, str) else patterns):
                field: tuple[str | int, ...] = ("patterns", category)
                if not isinstance(patterns, str):
                    field += (index,)
                regexp = _compile(name, category, prefix + pattern, pattern, options, field)
                compiled.append((category, regexp))
        self._patterns = tuple(compiled)
        # Twins for ``settled``; None where the regex package cannot read the
        # RE2 pattern, which then holds the whole text back.
        self._twins: tuple[Twin | None, ...] = tuple(
            re2_twin(regexp.pattern) for _, regexp in compiled
        )
        # Most texts match nothing: one pass of the union answers that, where
        # one pass per pattern would be needed otherwise. The union only filters;
        # spans come from the separate patterns, which may overlap.
        union = "|".join(f"(?:{regexp.pattern})" for _, regexp in compiled)
        options.never_capture = True  # groups only cost time here, and names may clash
        try:
            self._any: _Regexp | None = re2.compile(union, options)
        except re2.error:  # the union outgrew RE2's memory budget: scan without it
            self._any = None

    def scan_one(self, text: str) -> tuple[Finding, ...]:
        # The re2 wrapper maps UTF-8 offsets back to characters at some cost per
        # match; for ASCII text byte and character offsets agree, so skip that.
        subject: str | bytes = text.encode("ascii") if text.isascii() else text
        if self._any is not None and self._any.search(subject) is None:
            return ()
        findings = []
        for category, regexp in self._patterns:
            for match in regexp.finditer(subject):
                start, end = match.span()
                if end > start:  # zero-width matches (``\b``) mark no text
                    findings.append(Finding(category, 1.0, Span(start, end)))
        return tuple(findings)


    def settled(self, text: str) -> int:
        """Up to the first place one of the patterns could still match or change.
        A pattern with no twin holds everything: nothing is known about it."""
        if None in self._twins:
            return 0
        return min((t.held_from(text) for t in self._twins if t is not None), default=len(text))


def _compile(
    guard: str,
    category: str,
    pattern: str,
    original: str,
    options: Any,
    field: tuple[str | int, ...],
) -> _Regexp:
    where = f"regex guard {guard!r}, category {category!r}, pattern {original!r}"
    try:
        regexp = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        hint = _UNSUPPORTED_HINT if _UNSUPPORTED_ERROR.search(str(reason)) else ""
        raise GuardConfigError(
            f"{where}: RE2 cannot compile it: {reason}{hint}", field=field
        ) from None
    if regexp.fullmatch("") is not None:
        raise GuardConfigError(
            f"{where}: it matches the empty string, so it would report nothing useful "
            "everywhere; require at least one character (e.g. '+' instead of '*')",
            field=field,
        )
    return regexp
