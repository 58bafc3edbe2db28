# Non-ASCII look-alike letters are the point of the offset tests.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.guards import regex as regex_module
from sluicegate.guards.base import Finding, GuardResult, Span
from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.regex import RegexGuard
from sluicegate.guards.registry import default_registry
from tests.support.work import Work, assert_linear, instrumented, repeated


def make(**settings: Any) -> RegexGuard:
    guard = default_registry().create("rx", "regex", settings)
    assert isinstance(guard, RegexGuard)
    return guard


def found(guard: RegexGuard, text: str) -> list[tuple[str, str]]:
    """(category, matched text) per finding, in order."""
    return [(f.category, text[f.span.start : f.span.end]) for f in guard.scan_one(text) if f.span]


def test_reports_each_match_with_exact_span_and_full_score() -> None:
    guard = make(patterns={"order": r"ORD-\d{4}"})
    assert guard.scan_one("see ORD-1234 and ORD-9876.") == (
        Finding("order", 1.0, Span(4, 12)),
        Finding("order", 1.0, Span(17, 25)),
    )
    assert guard.categories == ("order",)


@pytest.mark.parametrize(
    "prefix",
    ["", "é", "日本語", "Привет, ", "😀😀", "a\u0301", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 "],
    ids=["ascii", "latin1", "cjk", "cyrillic", "emoji-4-byte", "combining", "math-alnum"],
)
def test_spans_are_character_offsets_after_non_ascii_text(prefix: str) -> None:
    text = f"{prefix}mail me: bob@example.com, ok 日本"
    findings = make(patterns={"email": r"[a-z]+@[a-z.]+", "cjk": r"\p{Han}+"}).scan_one(text)
    assert [text[f.span.start : f.span.end] for f in findings if f.span] == [
        "bob@example.com",
        *(["日本語"] if "日本語" in prefix else []),
        "日本",
    ]


def test_several_patterns_per_category_and_overlaps_across_patterns() -> None:
    guard = make(patterns={"contact": [r"\w+@\w+\.com", r"@\w+"], "domain": r"\w+\.com"})
    assert guard.categories == ("contact", "domain")
    assert found(guard, "write bob@corp.com") == [
        ("contact", "bob@corp.com"),
        ("contact", "@corp"),
        ("domain", "corp.com"),
    ]


def test_flags() -> None:
    assert found(make(patterns={"x": "secret"}), "SECRET secret") == [("x", "secret")]
    assert found(make(patterns={"x": "secret"}, ignore_case=True), "SECRET secret") == [
        ("x", "SECRET"),
        ("x", "secret"),
    ]
    text = "first\nsecond line"
    assert found(make(patterns={"x": r"^\w+"}), text) == [("x", "first")]
    assert found(make(patterns={"x": r"^\w+"}, multiline=True), text) == [
        ("x", "first"),
        ("x", "second"),
    ]
    assert found(make(patterns={"x": "t.s"}), "firs\nt\ns") == []
    assert found(make(patterns={"x": "t.s"}, dot_all=True), "firs\nt\ns") == [("x", "t\ns")]


def test_inline_flags_apply_to_their_own_pattern_only() -> None:
    guard = make(patterns={"a": "(?i)alpha", "b": "beta"})
    assert found(guard, "ALPHA BETA beta") == [("a", "ALPHA"), ("b", "beta")]


def test_patterns_may_reuse_group_names() -> None:
    guard = make(patterns={"a": r"(?P<n>\d+)px", "b": r"(?P<n>\d+)em"})
    assert found(guard, "4px 2em") == [("a", "4px"), ("b", "2em")]


def test_zero_width_matches_are_not_findings() -> None:
    guard = make(patterns={"edge": r"\b", "word": r"\bcat\b"})
    assert found(guard, "a cat sat") == [("word", "cat")]


def test_nothing_found_in_clean_or_empty_text() -> None:
    guard = make(patterns={"x": r"\d{3}-\d{4}"})
    assert guard.scan_one("") == ()
    assert guard.scan_one("no numbers here") == ()


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", r"backreferences"),
        (r"(?P<q>['\"]).*(?P=q)", r"backreferences"),
        (r"password(?=:)", r"lookaround"),
        (r"(?<!no )secret", r"lookaround"),
        (r"(?!x)y", r"lookaround"),
    ],
)
def test_patterns_re2_cannot_run_are_rejected_naming_the_category(
    pattern: str, reason: str
) -> None:
    with pytest.raises(GuardConfigError, match=reason) as info:
        make(patterns={"ok": r"\d+", "leak": ["fine", pattern]})
    message = str(info.value)
    assert "'rx'" in message
    assert "category 'leak'" in message
    assert repr(pattern) in message
    assert info.value.field == ("patterns", "leak", 1)


def test_syntax_errors_are_rejected_with_re2s_reason() -> None:
    with pytest.raises(GuardConfigError, match=r"category 'x'.*missing \]") as info:
        make(patterns={"x": "[abc"})
    assert "backreferences" not in str(info.value)
    assert info.value.field == ("patterns", "x")


@pytest.mark.parametrize("pattern", ["a*", "", "(?:x)?", "^", "a|"])
def test_patterns_matching_the_empty_string_are_rejected(pattern: str) -> None:
    with pytest.raises(GuardConfigError, match="matches the empty string"):
        make(patterns={"x": pattern})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "Field required"),
        ({"patterns": {}}, "at least 1"),
        ({"patterns": {"x": []}}, "has no patterns"),
        ({"patterns": {"x y": "a"}}, "names use letters"),
        ({"patterns": {"x": "a"}, "ignorecase": True}, "Extra inputs"),
        ({"patterns": {"x": 3}}, "valid string"),
    ],
)
def test_invalid_settings_are_rejected(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(GuardConfigError, match=message):
        make(**settings)


async def test_scan_keeps_batch_order() -> None:
    guard = make(patterns={"digits": r"\d+"})
    results = await guard.scan(["a", "12", "", "x9"])
    assert results == [
        GuardResult("rx", ()),
        GuardResult("rx", (Finding("digits", 1.0, Span(0, 2)),)),
        GuardResult("rx", ()),
        GuardResult("rx", (Finding("digits", 1.0, Span(1, 2)),)),
    ]


async def test_large_batch_runs_off_the_loop_with_the_same_results() -> None:
    guard = make(patterns={"digits": r"\d+"})
    texts = ["é1 " * 30_000, "none " * 10_000]
    assert sum(len(t) for t in texts) > guard.offload_threshold
    results = await guard.scan(texts)
    assert results == guard.scan_sync(texts)
    assert results[0].findings[-1] == Finding("digits", 1.0, Span(89_998, 89_999))


@pytest.mark.parametrize(
    ("pattern", "unit", "suffix", "whole"),
    [
        (r"(a+)+$", "a", "b", False),
        (r"(a|aa)+c", "a", "", False),
        (r"(x+x+)+y", "x", "", False),
        (r"(\w+\s?)+$", "word ", "!", False),
        (r"(.*a){12}", "a", "", True),  # matches the whole text
    ],
)
def test_catastrophic_backtracking_patterns_cost_linear_work(
    pattern: str, unit: str, suffix: str, whole: bool
) -> None:
    # Each of these takes exponential or high-polynomial time in a
    # backtracking engine on its input. Here no backtracking engine runs at
    # all (no stdlib pattern: zero replayed steps), and what RE2 reads grows
    # in proportion to the text.
    guard = make(patterns={"evil": pattern})
    with instrumented(guard, regex_module) as meter:

        def work_at(chars: int) -> Work:
            text = repeated(unit, chars, suffix)
            found: list[Finding] = []
            work = meter.measure(lambda: found.extend(guard.scan_one(text)))
            assert found == ([Finding("evil", 1.0, Span(0, len(text)))] if whole else [])
            assert work.backtracking == 0
            return work

        assert_linear(work_at, 4_000)


def test_evil_pattern_still_reports_real_matches_in_linear_work() -> None:
    guard = make(patterns={"evil": r"(a+)+$"})
    assert guard.scan_one("b" * 50_000 + "a" * 50_000) == (
        Finding("evil", 1.0, Span(50_000, 100_000)),
    )
    with instrumented(guard, regex_module) as meter:

        def work_at(chars: int) -> Work:
            text = "b" * chars + "a" * chars
            found: list[Finding] = []
            work = meter.measure(lambda: found.extend(guard.scan_one(text)))
            assert found == [Finding("evil", 1.0, Span(chars, 2 * chars))]
            assert work.backtracking == 0
            return work

        assert_linear(work_at, 4_000)
