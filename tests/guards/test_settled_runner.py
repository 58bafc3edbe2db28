"""GuardRunner.settled: guards judge the normalised text, the answer is an
offset into the text the client will see, and normalisation itself is held
back where appended text could still change it (marks, invisibles, tags,
look-alike letters)."""

# Look-alike and fullwidth letters are the point of these tests.
# ruff: noqa: RUF001

from __future__ import annotations

import asyncio
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluicegate.guards.base import Guard
from sluicegate.guards.keywords import KeywordGuard, KeywordSettings
from sluicegate.guards.language import LanguageGuard, LanguageSettings
from sluicegate.guards.pii import PIIGuard, PIIGuardSettings
from sluicegate.guards.refusal import RefusalGuard, RefusalSettings
from sluicegate.guards.runner import GuardCall, GuardRunner
from sluicegate.guards.secrets import SecretsGuard, SecretsGuardSettings
from sluicegate.guards.unicode import _EXTENSIBLE, normalize
from tests.guards.test_settled import PHRASES, PII, PROSE, SECRETS, SEPARATORS
from tests.support.guards import TriggerGuard, TriggerSettings

RUNNER = GuardRunner()
OUTPUT = [  # the default pack's output guards
    PIIGuard("pii", PIIGuardSettings()),
    SecretsGuard("secrets", SecretsGuardSettings()),
    RefusalGuard("refusal", RefusalSettings()),
]
KEYWORDS = KeywordGuard("kw", KeywordSettings(categories={"x": ["paypal", "bomb", "café"]}))
TRIGGER = TriggerGuard("t", TriggerSettings(triggers={"é!": "acute", "ab c": "abc"}))
UNICODE = [
    "\u0301", "\u0308", "\u0338", "e\u0301", "é", "=", "\u200b", "\u200d", "\ufe0f",
    "\U000e0069\U000e0067", "\U000e0020", "\U0001f3f4\U000e0067\U000e0062", "ра", "рау",
    "раураl", "ⓑⓞⓜⓑ", "ｂｏｍｂ", "ﬁ", "\u1100", "\u1161", "\u11a8", "가", "Ⅻ", "½", "\u00ad",
]  # fmt: skip
pieces = st.one_of(
    st.sampled_from(PROSE),
    st.sampled_from(SEPARATORS),
    st.sampled_from(PII),
    st.sampled_from(SECRETS[:6]),
    st.sampled_from(PHRASES),
    st.sampled_from(UNICODE),
    st.sampled_from(["pay", "pal", "bo", "mb", "caf", "ab", " c", "é", "!"]),
)


def scan(guards: list[Guard], text: str) -> set[tuple[str, str, int, int, float]]:
    [report] = asyncio.run(RUNNER.run([GuardCall(g, 1.0) for g in guards], [text]))
    found = set()
    for name, outcome in report.items():
        assert outcome.result is not None, outcome.error
        for f in outcome.result.findings:
            assert f.span is not None
            found.add((name, f.category, f.span.start, f.span.end, f.score))
    return found


def assert_runner_settled(guards: list[Guard], text: str, cut: int) -> None:
    prefix = text[:cut]
    held = RUNNER.settled(guards, prefix)
    assert held is not None
    assert 0 <= held <= max(len(prefix) - 1, 0)  # never the last character
    now = {f for f in scan(guards, prefix) if f[2] < held}
    later = {f for f in scan(guards, text) if f[2] < held}
    assert later == now, (prefix, held)
    assert all(f[3] <= len(prefix) for f in later)


@st.composite
def cut_texts(draw: st.DrawFn) -> tuple[str, int]:
    text = "".join(draw(st.lists(pieces, max_size=12)))
    return text, draw(st.integers(0, len(text)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut_texts())
def test_settled_original_prefix_keeps_its_findings(case: tuple[str, int]) -> None:
    assert_runner_settled([*OUTPUT, KEYWORDS, TRIGGER], *case)


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("a cafe\u0301 b", 6),  # "cafe" + U+0301 is "café"
        ("x e\u0301! y", 3),  # the trigger "é!" forms only with the mark
        ("pay ра\u200bураl", 6),  # Cyrillic folds once ASCII joins the run
        ("pay раураl", 5),
        ("see \U000e0061\U000e0062 c", 5),  # a tag run that goes on
        ("ab\u200b c", 3),
        ("ab \u0301c", 3),
        ("mail bob@example.com\u200b.uk", 21),
    ],
)
def test_settled_at_known_cuts(text: str, cut: int) -> None:
    assert_runner_settled([*OUTPUT, KEYWORDS, TRIGGER], text, cut)


def test_prose_is_released_up_to_its_last_word() -> None:
    assert RUNNER.settled(OUTPUT, "Hello there, how are") == len("Hello there, how ")
    # Guards settle all of it; the last character waits for a possible mark.
    assert RUNNER.settled(OUTPUT, "Hello there, how are you? ") == len("Hello there, how are you?")
    assert RUNNER.settled(OUTPUT, "") == 0


def test_offsets_are_into_the_original_text() -> None:
    # Fullwidth letters, a ligature and dropped invisibles move offsets.
    text = "ｈｅｌｌｏ\u200b ﬁne day, mail bob@exa"
    assert RUNNER.settled(OUTPUT, text) == text.index("bob")
    tagged = "42 \U000e0061\U000e0062\U000e0063"  # decodes to " abc " in the normal form
    assert RUNNER.settled(OUTPUT, tagged) == len("42 ")


def test_normalisation_at_the_end_is_held() -> None:
    # The last character and its marks: "e" may become "é".
    assert RUNNER.settled([TRIGGER], "x e") == len("x ")
    assert RUNNER.settled([TRIGGER], "x e\u0301") == len("x ")
    # Trailing invisibles belong to the next kept character.
    assert RUNNER.settled([TRIGGER], "x y.\u200b\u200b") == len("x y.")
    # A look-alike run no ASCII letter has folded yet.
    assert RUNNER.settled([KEYWORDS], "a ра") == len("a ")


def test_a_guard_that_cannot_tell_makes_the_runner_unable_to_tell() -> None:
    language = LanguageGuard("lang", LanguageSettings(languages=["en"]))
    assert RUNNER.settled([*OUTPUT, language], "Hello there ") is None
    assert RUNNER.settled([], "Hello there ") == len("Hello there ")


def test_a_broken_guard_holds_everything() -> None:
    class Broken(TriggerGuard):
        def settled(self, text: str) -> int:
            raise RuntimeError("boom")

    broken = Broken("b", TriggerSettings())
    assert RUNNER.settled([*OUTPUT, broken], "Hello there ") == 0


def test_extensible_characters_stay_first_whatever_mark_follows() -> None:
    marks = [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c))[0] == "M" or 0x1160 <= c <= 0x11FF
    ]
    for char in _EXTENSIBLE:
        for mark in marks:
            assert unicodedata.normalize("NFKC", char + mark).startswith(char), (char, mark)
    assert normalize("a1").stable() == (2, 1)
    assert normalize("ae").stable() == (1, 1)
