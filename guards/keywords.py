"""Phrase lists per category, matched in one pass by a single compiled pattern.

Hundreds of phrases in a flat ``a|b|c`` alternation cost the regex engine one
try per phrase at every position (about 1 ms per kB for 500 phrases). The
phrases are therefore merged into a trie-shaped pattern, where each position
tries one branch per distinct next character (about 85 µs per kB for 500
phrases), and the pattern has no nested repetition, so its time stays linear in
the text length. A pattern per category then tells which categories a match
belongs to; only guards with several categories pay for that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .base import Finding, Span, SyncGuard
from .partial import python_twin

__all__ = ["KeywordGuard"]

#: longest phrase accepted: each character can add a nesting level to the
#: pattern, and the stdlib regex compiler recurses once per level
MAX_PHRASE_CHARS = 200

# Scripts written without spaces between words. A phrase edge in one of them
# is matched as a substring: "炸弹" must match inside "制造炸弹的方法". Hangul
# is included because Korean attaches particles to nouns ("폭탄을").
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u0f00-\u0fff"  # Tibetan
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul Jamo
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003ffff"  # CJK extensions B and later
)
# A word character of a script that separates words with spaces; only these
# make a phrase edge a word edge. A Latin word abutting Han text ("用bomb做")
# still counts as a whole word.
_SPACED_WORD = f"[^\\W{_UNSPACED}]"
_NEEDS_EDGE = re.compile(_SPACED_WORD)
_BEFORE = f"(?<!{_SPACED_WORD})"
_AFTER = f"(?!{_SPACED_WORD})"
# Possessive: a phrase word never starts with whitespace, so giving back
# whitespace can never help, and refusing to keeps long runs of it linear.
_GAP = r"\s++"

_CATEGORY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


_Trie: TypeAlias = dict[str, "_Trie"]  # next character -> subtrie; "" marks a phrase end


def _collapse(phrase: str) -> str:
    return " ".join(phrase.split())


def _lower(phrase: str) -> str:
    # Per character, keeping lengths: "İ".lower() is two characters, and the
    # pattern must stay one atom per character for IGNORECASE to match "İ".
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in phrase)


class KeywordSettings(BaseModel):
    """``categories`` maps a category name to the phrases that report it."""

    model_config = ConfigDict(extra="forbid")

    categories: dict[str, list[str]] = Field(min_length=1)
    case_sensitive: bool = False
    #: a phrase edge that is a letter or digit of a spaced script must not touch
    #: another one; edges in unspaced scripts (Han, Kana, Hangul, Thai...) never need to
    whole_words: bool = True

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for category, phrases in value.items():
            if not _CATEGORY_NAME.fullmatch(category):
                raise ValueError(
                    f"category {category!r}: names use letters, digits, '_' and '-' only"
                )
            if not phrases:
                raise ValueError(f"category {category!r} has no phrases")
            for phrase in phrases:
                collapsed = _collapse(phrase)
                if not collapsed:
                    raise ValueError(f"category {category!r}: empty phrase {phrase!r}")
                if len(collapsed) > MAX_PHRASE_CHARS:
                    raise ValueError(
                        f"category {category!r}: phrase longer than {MAX_PHRASE_CHARS} "
                        f"characters: {collapsed[:40]!r}..."
                    )
        return value


class KeywordGuard(SyncGuard):
    """Reports each phrase occurrence with score 1.0 and its exact span.

    Runs of whitespace in a phrase match any run of whitespace in the text
    ("nerve agent" finds "nerve \\n agent"). Matches are leftmost-longest and do
    not overlap: "nerve agent" hides the "agent" inside it. A phrase listed under
    several categories yields one finding per category for the same span.
    """

    Settings = KeywordSettings

    def __init__(self, name: str, settings: KeywordSettings) -> None:
        self.name = name
        self.categories = tuple(settings.categories)
        flags = 0 if settings.case_sensitive else re.IGNORECASE
        fold = str if settings.case_sensitive else _lower
        by_category = {
            category: {fold(_collapse(p)) for p in phrases}
            for category, phrases in settings.categories.items()
        }
        every_phrase = set().union(*by_category.values())
        self._pattern = re.compile(_trie_pattern(every_phrase, settings.whole_words), flags)
        # Its twin holds the longest tail that could still become a phrase,
        # and a phrase at the end until the word edge after it is known.
        self._twin = python_twin(self._pattern.pattern, flags)
        # With one category every match is in it; otherwise a match is tested
        # against each category's own pattern, which is exact whatever case
        # folding did to the matched text.
        self._members: tuple[tuple[str, re.Pattern[str]], ...] = ()
        if len(by_category) > 1:
            self._members = tuple(
                (category, re.compile(_trie_pattern(phrases, settings.whole_words), flags))
                for category, phrases in by_category.items()
            )

    def scan_one(self, text: str) -> tuple[Finding, ...]:
        findings: list[Finding] = []
        for match in self._pattern.finditer(text):
            span = Span(match.start(), match.end())
            if not self._members:
                findings.append(Finding(self.categories[0], 1.0, span))
                continue
            found = match.group()
            for category, pattern in self._members:
                if pattern.fullmatch(found):
                    findings.append(Finding(category, 1.0, span))
        return tuple(findings)


    def settled(self, text: str) -> int:
        """Up to the longest tail that is the start of some phrase, or a phrase
        whose word edge is not known yet. Matches never overlap, so a match the
        held point falls inside cannot be cut short by what comes after it."""
        return self._twin.held_from(text)


def _trie_pattern(phrases: Iterable[str], whole_words: bool) -> str:
    """One regex matching every phrase, longest first, prefixes shared.

    Phrases are grouped by whether each of their edges needs a word edge, and a
    group's edge checks wrap its whole trie, once: the stdlib compiler takes
    milliseconds per copy of the large edge character class, so one copy per
    phrase would make a few thousand phrases take seconds to compile. A failed
    check after a long phrase still backtracks into the trie to a shorter one.
    Across groups the earlier group wins at a given start, so a phrase that
    ends in Han text can lose to a shorter one ending in a Latin letter.
    """
    groups: dict[tuple[bool, bool], list[str]] = {}
    for phrase in phrases:
        before = whole_words and bool(_NEEDS_EDGE.match(phrase[0]))
        after = whole_words and bool(_NEEDS_EDGE.match(phrase[-1]))
        groups.setdefault((before, after), []).append(phrase)
    alternatives = []
    for (before, after), members in sorted(groups.items(), reverse=True):
        root: _Trie = {}
        for phrase in members:
            node = root
            for char in phrase:
                node = node.setdefault(char, {})
            node[""] = {}
        trie = _subtrie(root)
        alternatives.append(f"{_BEFORE if before else ''}{trie}{_AFTER if after else ''}")
    return "(?:" + "|".join(alternatives) + ")"


def _subtrie(node: _Trie) -> str:
    """Pattern for the phrase endings below ``node``."""
    alternatives = [_atom(c) + _subtrie(child) for c, child in sorted(node.items()) if c]
    if "" in node:
        # Last, so the greedy engine tries the longer phrases first and falls
        # back to this one only when they fail (including at a word edge).
        alternatives.append("")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _atom(char: str) -> str:
    return _GAP if char == " " else re.escape(char)
