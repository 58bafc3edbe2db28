"""The work meter the guards' scaling tests rely on (tests/support/work.py):
its replay must find what ``re`` finds, and each of its counts must catch the
super-linear cost it stands for."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.work import Work, WorkMeter, assert_linear, instrumented, repeated

# Every kind of node the replay compiles, in the shapes the guards use.
PATTERNS = [
    r"a+b",
    r"(?<![\w-])ab{2,4}+c?",
    r"(?<=a)b|(?<!a)c",
    r"a(?=b)|a(?!b)c",
    r"(?>a|ab)c|x",
    r"a*?b|a{1,3}?c",
    r"(?:ab|a)*+b",
    r"(a|b)\1",
    r"(a)?(?(1)b|c)",
    r"\bab\b|\Bb",
    r"^a|b$",
    r"(?m)^a|b$",
    r"(?i)AB[c-e]",
    r"(?a)\w+\s?\d",
    r"\w+",
    r"[^\W\d_]{2}",
    r"x*",
    r"(?:a|b|)*c",
    r"(?s).b|.c",
    r"(?i:ab)C",
    r"(?:([ab])c\1){1,2}",
]
TEXTS = ["", "ab", "abbbc-ab", "aab ac\nab", "cba b", "ABd AbE", "x1 a 2", "abab abc", "ABC abc"]


class Holder:
    """An object whose attributes hold patterns, as a guard's do."""

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern


def calls(pattern: Any, text: str) -> list[Any]:
    """What a guard might ask of a pattern, as comparable values."""
    return [
        [m.span() for m in pattern.finditer(text)],
        [m.span() for m in pattern.finditer(text, 1, max(len(text) - 1, 0))],
        (m := pattern.search(text)) and m.span(),
        (m := pattern.match(text, 1)) and m.span(),
        (m := pattern.fullmatch(text)) and m.span(),
        pattern.sub("-", text),
        pattern.findall(text),
    ]


@pytest.mark.parametrize("source", PATTERNS)
def test_replay_finds_what_re_finds(source: str) -> None:
    # The proxy asserts that its replay found each span re found; the
    # results it hands back are re's own.
    holder = Holder(re.compile(source))
    with instrumented(holder) as meter:
        assert type(holder.pattern) is not re.Pattern  # swapped for a proxy
        for text in TEXTS:
            got: list[Any] = []
            work = meter.measure(lambda: got.extend(calls(holder.pattern, text)))  # noqa: B023
            assert got == calls(re.compile(source), text)
            assert work.backtracking > 0


@settings(max_examples=200, deadline=None)
@given(source=st.sampled_from(PATTERNS), text=st.text(alphabet="abcx -\n1A", max_size=12))
def test_replay_agrees_with_re_on_any_text(source: str, text: str) -> None:
    holder = Holder(re.compile(source))
    with instrumented(holder) as meter:
        got: list[Any] = []
        meter.measure(lambda: got.extend(calls(holder.pattern, text)))
    assert got == calls(re.compile(source), text)


def grows_linearly(pattern: str, text_at: Callable[[int], str], size: int, **options: Any) -> bool:
    """Whether ``finditer`` over ``text_at(n)`` passes :func:`assert_linear`."""
    holder = Holder(re.compile(pattern))
    with instrumented(holder) as meter:

        def work_at(n: int) -> Work:
            text = text_at(n)
            return meter.measure(lambda: list(holder.pattern.finditer(text)))

        try:
            assert_linear(work_at, size, **options)
        except AssertionError:  # SuperLinear included
            return False
    return True


def test_exponential_backtracking_is_caught() -> None:
    # Every split of the run between the two loops is tried: 2 ** n paths.
    assert not grows_linearly(r"(a+)+$", lambda n: "a" * n + "b", 8, factor=2, warm_up=False)
    assert grows_linearly(r"(?<!a)a+$", lambda n: "a" * n + "b", 8, factor=2, warm_up=False)


def test_a_rescan_from_every_start_is_caught() -> None:
    # Each start reads the rest of the run before failing: quadratic.
    assert not grows_linearly(r"[a-z]+X", lambda n: "a" * n, 250)
    # A run can only start after a non-letter, and never gives letters back.
    assert grows_linearly(r"(?<![a-z])[a-z]++X", lambda n: "a" * n, 250)


def test_a_quadratic_python_loop_is_caught() -> None:
    meter = WorkMeter()

    def pairs(text: str) -> int:
        return sum(1 for i in range(len(text)) for j in range(i) if text[i] == text[j])

    def once(text: str) -> int:
        return sum(1 for char in text if char == "a")

    def work_of(function: Callable[[str], int]) -> Callable[[int], Work]:
        return lambda n: meter.measure(lambda: function("ab" * n))

    with pytest.raises(AssertionError, match="lines grew"):
        assert_linear(work_of(pairs), 50)
    assert_linear(work_of(once), 50)


def test_repeated_re2_passes_are_caught() -> None:
    holder = Holder(re2.compile("b"))

    def from_every_start(text: str) -> None:
        for pos in range(0, len(text), 8):
            holder.pattern.search(text, pos)

    with instrumented(holder) as meter:

        def work_of(scan: Callable[[str], object]) -> Callable[[int], Work]:
            return lambda n: meter.measure(lambda: scan(repeated("a", n)))

        with pytest.raises(AssertionError, match="scanned grew"):
            assert_linear(work_of(from_every_start), 1_000)
        small, _ = assert_linear(work_of(lambda text: list(holder.pattern.finditer(text))), 1_000)
        assert small.scanned == 2 * 1_000  # read once, encoded once


def make_finder() -> Callable[[str], list[str]]:
    compiled = re.compile("a+")

    def find(text: str) -> list[str]:
        return compiled.findall(text)

    return find


MODULE_PATTERN = re.compile("b+")


def test_instrumented_swaps_and_restores_what_a_guard_reaches() -> None:
    module = sys.modules[__name__]
    finder = make_finder()
    finder.__module__ = "sluicegate.fake"  # closures are followed in the package only
    inner = re.compile("c")
    holder = Holder([("x", inner), {"k": inner}, finder])
    originals = (holder.pattern[0], holder.pattern[1]["k"], finder.__closure__[0].cell_contents)
    with instrumented(holder, module) as meter:
        assert type(module.MODULE_PATTERN) is not re.Pattern
        listed = holder.pattern
        assert type(listed[0][1]) is not re.Pattern
        assert listed[0][1] is listed[1]["k"]  # one proxy per pattern
        assert type(finder.__closure__[0].cell_contents) is not re.Pattern
        assert meter.measure(lambda: finder("aab")).backtracking > 0
    assert module.MODULE_PATTERN.__class__ is re.Pattern
    restored = (holder.pattern[0], holder.pattern[1]["k"], finder.__closure__[0].cell_contents)
    assert all(now is before for now, before in zip(restored, originals, strict=True))
    assert isinstance(holder.pattern[2], types.FunctionType)
