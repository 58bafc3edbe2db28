"""Refusal phrasing in model output, so the gateway can count (false) refusals.

Categories:

* ``refusal`` - the model declines: "I'm sorry, but I can't help with that",
  "I must decline", "Je ne peux pas vous aider", "我无法提供".
* ``disclaimer`` - the model hedges: "As an AI language model", "I don't have
  access to real-time data", "I'm sorry, but", "please consult a doctor". Often
  part of a refusal, also common in answers that go on to help.

Scoring: each match scores ``strength * position``. ``strength`` comes from the
phrase table (:mod:`.refusal_phrases`: 1.0 explicit decline down to 0.5 for an
apology). ``position`` is 1.0 when the match starts within the first
``lead_chars`` characters (a refusal is said up front) and
``sqrt(lead_chars / start)`` after that, so with the default 200 an "I can't"
800 characters into a long helpful answer counts half, 3,200 in a quarter.
A policy reads the strongest, e.g. ``scores["refusal.refusal"] >= 0.8``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .base import Finding, Span, SyncGuard
from .partial import PrefixClosure
from .refusal_phrases import NOT_AFTER, PHRASES, UNSPACED

__all__ = ["RefusalGuard"]

CATEGORIES = ("refusal", "disclaimer")

# RE2 has no lookbehind and its \b is ASCII-only, so a phrase in a spaced script
# is preceded by a consumed separator (or the start of the text), which is then
# dropped from the span; the far edge is checked in Python after the match. The
# class lists separators (ASCII, Latin-1, general and CJK punctuation) rather than
# negating \pL, which would bloat the case-folded program past RE2's DFA budget.
_EDGE = (
    r"(?:^|[\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\x{80}-\x{bf}\x{2000}-\x{206f}"
    r"\x{3000}-\x{303f}\x{ff01}-\x{ff0f}])"
)


class RefusalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: phrase tables to use, by ISO 639-1 code
    languages: list[str] = Field(default_factory=lambda: list(PHRASES), min_length=1)
    #: a match starting within this many characters scores its full strength
    lead_chars: int = Field(default=200, ge=1)

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PHRASES))
        if unknown:
            raise ValueError(
                f"no refusal phrases for {', '.join(unknown)}; available: {', '.join(PHRASES)}"
            )
        return list(dict.fromkeys(value))


class RefusalGuard(SyncGuard):
    """Scores refusal and disclaimer phrases, each finding with its span."""

    Settings = RefusalSettings

    def __init__(self, name: str, settings: RefusalSettings) -> None:
        self.name = name
        self.categories = CATEGORIES
        self._lead = settings.lead_chars
        # One RE2 pattern per (category, strength), all languages together: a
        # linear pass each, however many phrases. Patterns have no capturing
        # groups, because extracting groups from a match of a large alternation
        # costs RE2 far more than finding it; the tier tells the strength instead.
        tiers: dict[tuple[str, float], list[str]] = {}
        for code in settings.languages:
            edge = "" if code in UNSPACED else _EDGE
            for category, strength, pattern in PHRASES[code]:
                tiers.setdefault((category, strength), []).append(f"{edge}(?:{pattern})")
        self._not_after = re.compile(NOT_AFTER, re.IGNORECASE)
        # One twin for every phrase of every tier: ``settled`` only needs the
        # first place any of them could still match.
        every = "|".join(f"(?:{p})" for patterns in tiers.values() for p in patterns)
        self._closure = PrefixClosure.of_re2(f"(?:{every})(?:\\s+but)?", ignore_case=True)
        options = re2.Options()
        options.case_sensitive = False
        options.never_capture = True
        self._tiers: tuple[tuple[str, float, Any], ...] = tuple(  # re2 ships no type hints
            (category, strength, re2.compile("|".join(patterns), options))
            for (category, strength), patterns in sorted(tiers.items(), key=lambda t: -t[0][1])
        )

    def scan_one(self, text: str) -> tuple[Finding, ...]:
        findings: list[Finding] = []
        # Tiers run strongest first; a phrase two tiers both match is kept once.
        seen: set[tuple[str, int]] = set()
        for category, strength, pattern in self._tiers:
            for match in pattern.finditer(text):
                start, end = match.span()
                if not _is_word(text[start]):
                    start += 1  # the consumed edge: every phrase starts with a letter
                if (category, start) in seen:
                    continue
                if end < len(text) and (
                    _inside_word(text[end - 1], text[end]) or self._not_after.match(text, end)
                ):
                    continue  # ends inside a longer word, or in an idiom
                seen.add((category, start))
                position = 1.0 if start < self._lead else math.sqrt(self._lead / start)
                findings.append(Finding(category, strength * position, Span(start, end)))
        return tuple(findings)


    def settled(self, text: str) -> int:
        """Up to the first place a phrase could still match, or a phrase whose
        end is not judged yet: its next character (a longer word) or a " but"
        after it (an idiom, ``NOT_AFTER``) may still come. Both are prefixes of
        a phrase followed by " but", which one end-anchored RE2 pattern finds."""
        if self._closure is None:
            return 0
        held = self._closure.held_from(text)
        # A match there may begin with the separator before a phrase, which
        # scan_one drops from the span: the finding would start after it.
        if held < len(text) and not _is_word(text[held]):
            held += 1
        return held


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _inside_word(last: str, following: str) -> bool:
    # From U+2E80 on (CJK, Kana, Hangul) words are not separated by spaces, so a
    # phrase may end right before another letter.
    return _is_word(last) and _is_word(following) and ord(last) < 0x2E80
