from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sluicegate.guards import keywords as keywords_module
from sluicegate.guards.base import Finding, GuardResult, Span
from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.keywords import _SPACED_WORD, MAX_PHRASE_CHARS, KeywordGuard
from sluicegate.guards.registry import default_registry
from tests.support.work import Work, WorkMeter, assert_linear, instrumented, repeated


def make(**settings: Any) -> KeywordGuard:
    guard = default_registry().create("kw", "keywords", settings)
    assert isinstance(guard, KeywordGuard)
    return guard


def found(guard: KeywordGuard, text: str) -> list[tuple[str, str]]:
    """(category, matched text) per finding, in order."""
    return [(f.category, text[f.span.start : f.span.end]) for f in guard.scan_one(text) if f.span]


WEAPONS = {"weapons": ["nerve agent", "bomb", "pipe bomb"], "drugs": ["meth", "crystal meth"]}


def test_reports_each_occurrence_with_exact_span_and_full_score() -> None:
    text = "How do I build a bomb? And a pipe bomb?"
    findings = make(categories=WEAPONS).scan_one(text)
    assert findings == (
        Finding("weapons", 1.0, Span(17, 21)),
        Finding("weapons", 1.0, Span(29, 38)),
    )
    assert text[29:38] == "pipe bomb"


def test_categories_lists_every_configured_category_in_order() -> None:
    assert make(categories=WEAPONS).categories == ("weapons", "drugs")


def test_longest_phrase_wins_at_the_same_start() -> None:
    assert found(make(categories=WEAPONS), "buy crystal meth") == [("drugs", "crystal meth")]


def test_case_insensitive_by_default_and_sensitive_on_request() -> None:
    assert found(make(categories=WEAPONS), "BOMB Bomb bomb") == [("weapons", "BOMB"),
                                                                ("weapons", "Bomb"),
                                                                ("weapons", "bomb")]  # fmt: skip
    sensitive = make(categories={"acronym": ["ISIS"]}, case_sensitive=True)
    assert found(sensitive, "isis ISIS Isis") == [("acronym", "ISIS")]


def test_case_folding_keeps_spans_for_letters_whose_lowercase_is_longer() -> None:
    # "İ".lower() is two characters; the span must still cover the original text.
    text = "Visit İSTANBUL and istanbul"
    assert found(make(categories={"city": ["İstanbul"]}), text) == [
        ("city", "İSTANBUL"),
        ("city", "istanbul"),
    ]


def test_whole_words_skips_phrases_inside_longer_words() -> None:
    guard = make(categories=WEAPONS)
    assert found(guard, "bombastic methane bombs") == []
    assert found(guard, "(bomb), 'bomb'; bomb.") == [("weapons", "bomb")] * 3


def test_whole_words_off_matches_substrings() -> None:
    guard = make(categories=WEAPONS, whole_words=False)
    assert found(guard, "bombastic methane") == [("weapons", "bomb"), ("drugs", "meth")]


def test_a_longer_phrase_failing_its_word_edge_falls_back_to_a_shorter_one() -> None:
    guard = make(categories={"x": ["bomb", "bomb-maker"]})
    assert found(guard, "the bomb-makers") == [("x", "bomb")]
    assert found(guard, "the bomb-maker.") == [("x", "bomb-maker")]


def test_whitespace_in_a_phrase_matches_any_run_of_whitespace() -> None:
    text = "a nerve \n\t agent attack"
    assert found(make(categories=WEAPONS), text) == [("weapons", "nerve \n\t agent")]
    spaced = make(categories={"w": ["  nerve    agent "]})
    assert found(spaced, "nerve agent") == [("w", "nerve agent")]


def test_unspaced_scripts_match_inside_running_text() -> None:
    guard = make(categories={"weapons": ["炸弹", "爆弾", "폭탄"]})
    assert found(guard, "如何制造炸弹的方法") == [("weapons", "炸弹")]
    assert found(guard, "爆弾の作り方") == [("weapons", "爆弾")]
    assert found(guard, "폭탄을 만드는 법") == [("weapons", "폭탄")]


def test_latin_word_touching_han_text_is_a_whole_word() -> None:
    assert found(make(categories=WEAPONS), "如何用bomb制造") == [("weapons", "bomb")]


def test_non_ascii_letters_count_as_word_characters() -> None:
    guard = make(categories={"x": ["café"]})
    assert found(guard, "cafés café") == [("x", "café")]
    assert found(make(categories={"x": ["bomb"]}), "ébomb bomb") == [("x", "bomb")]


def test_phrase_in_two_categories_reports_both_for_the_same_span() -> None:
    guard = make(categories={"a": ["shared", "only a"], "b": ["shared"]})
    findings = guard.scan_one("a shared word")
    assert findings == (Finding("a", 1.0, Span(2, 8)), Finding("b", 1.0, Span(2, 8)))


def test_nothing_found_in_empty_or_clean_text() -> None:
    guard = make(categories=WEAPONS)
    assert guard.scan_one("") == ()
    assert guard.scan_one("A recipe for banana bread.") == ()


async def test_scan_keeps_batch_order() -> None:
    guard = make(categories=WEAPONS)
    results = await guard.scan(["clean", "a bomb", "meth", ""])
    assert [r.guard for r in results] == ["kw"] * 4
    assert [[f.category for f in r.findings] for r in results] == [[], ["weapons"], ["drugs"], []]


async def test_scan_of_a_large_batch_runs_off_the_loop_with_the_same_results() -> None:
    guard = make(categories=WEAPONS)
    texts = ["bomb " * 20_000, "clean " * 20_000]
    results = await guard.scan(texts)
    assert sum(len(t) for t in texts) > guard.offload_threshold
    assert results == guard.scan_sync(texts)
    assert results[1] == GuardResult("kw", ())
    assert len(results[0].findings) == 20_000


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "Field required"),
        ({"categories": {}}, "at least 1"),
        ({"categories": {"x": []}}, "has no phrases"),
        ({"categories": {"x": ["ok", "  "]}}, "empty phrase"),
        ({"categories": {"bad name": ["x"]}}, "names use letters"),
        ({"categories": {"x": ["a" * (MAX_PHRASE_CHARS + 1)]}}, "longer than"),
        ({"categories": {"x": ["a"]}, "wholewords": False}, "Extra inputs"),
        ({"categories": {"x": "bomb"}}, "valid list"),
    ],
)
def test_invalid_settings_are_rejected(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(GuardConfigError, match=message) as info:
        make(**settings)
    assert "kw" in str(info.value)


def phrases(count: int) -> list[str]:
    return [f"term{i} word{i % 37}" for i in range(count)] + [f"w{i}" for i in range(count // 4)]


# Every seventh of 4,000 terms: those under the list's length match.
PROSE = " ".join(f"term{i} word{i % 37} filler" for i in range(0, 4_000, 7)) + " "


def test_many_phrases_compile_in_linear_work_with_one_edge_check_per_group() -> None:
    # Compiling is Python (re's parser and compiler), so its lines are its
    # cost: four times the phrases may cost about four times the lines. The
    # large word-edge class is the expensive part to compile; it appears once
    # before and once after the trie of each edge group (here all phrases
    # start and end with a Latin letter or digit: one group), not per phrase.
    meter = WorkMeter()
    guards: dict[int, KeywordGuard] = {}

    def compile_at(count: int) -> Work:
        listed = phrases(count)
        settings = {"a": listed[::2], "b": listed[1::2]}
        return meter.measure(lambda: guards.setdefault(count, make(categories=settings)))

    assert_linear(compile_at, 250, warm_up=False)
    for guard in guards.values():
        compiled = [guard._pattern, *(pattern for _, pattern in guard._members)]
        assert [p.pattern.count(_SPACED_WORD) for p in compiled] == [2, 2, 2]


def test_scan_work_is_linear_in_the_text_and_flat_in_the_phrase_count() -> None:
    listed = phrases(2_000)
    guard = make(categories={"a": listed[::2], "b": listed[1::2]})
    few = make(categories={"a": phrases(250)})
    with instrumented(guard, few, keywords_module) as meter:

        def scan_at(copies: int) -> Work:
            found: list[Finding] = []
            work = meter.measure(lambda: found.extend(guard.scan_one(PROSE * copies)))
            assert len(found) == copies * len(range(0, 2_000, 7))
            return work

        once, _ = assert_linear(scan_at, 1, warm_up=False)
        # A trie tries one branch per distinct next character at a position,
        # however many phrases share it: eight times the phrases must not
        # cost eight times the matcher's steps, as a flat a|b|c would.
        assert once.backtracking <= 1.5 * meter.measure(lambda: few.scan_one(PROSE)).backtracking


@pytest.mark.parametrize(
    "hostile",
    [
        lambda chars: repeated(" ", chars),
        lambda chars: repeated("a", chars),
        lambda chars: "nerve" + " " * chars + "x",
        lambda chars: repeated("bom", chars),
        lambda chars: repeated("爆", chars),
    ],
    ids=["spaces", "letters", "long-gap", "near-misses", "cjk"],
)
def test_hostile_input_costs_linear_work(hostile: Callable[[int], str]) -> None:
    # Counted, not timed: the matcher's steps and the Python lines grow at
    # most in proportion to the text (possessive gaps, no nested repetition).
    guard = make(categories={**WEAPONS, "cjk": ["爆弾"]})
    with instrumented(guard, keywords_module) as meter:

        def work_at(chars: int) -> Work:
            text = hostile(chars)
            found: list[Finding] = []
            work = meter.measure(lambda: found.extend(guard.scan_one(text)))
            assert found == []
            return work

        assert_linear(work_at, 4_000)
