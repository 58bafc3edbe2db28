# Refusals in many scripts and typographic apostrophes are the point here.
# ruff: noqa: RUF001

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from sluicegate.guards import refusal as refusal_module
from sluicegate.guards.base import Finding
from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.refusal import RefusalGuard
from sluicegate.guards.refusal_phrases import PHRASES
from sluicegate.guards.registry import default_registry
from tests.support.work import Work, assert_linear, instrumented, repeated


def make(**settings: Any) -> RefusalGuard:
    guard = default_registry().create("refusal", "refusal", settings)
    assert isinstance(guard, RefusalGuard)
    return guard


def best(guard: RefusalGuard, text: str, category: str = "refusal") -> float:
    return max((f.score for f in guard.scan_one(text) if f.category == category), default=0.0)


def matched(guard: RefusalGuard, text: str, category: str = "refusal") -> list[str]:
    return [
        text[f.span.start : f.span.end]
        for f in guard.scan_one(text)
        if f.category == category and f.span
    ]


GUARD = make()


def test_categories() -> None:
    assert GUARD.categories == ("refusal", "disclaimer")


def test_an_upfront_refusal_scores_full_strength_with_its_span() -> None:
    text = "I'm sorry, but I can't help with that request."
    assert matched(GUARD, text) == ["I can't help"]
    assert best(GUARD, text) == 1.0
    assert matched(GUARD, text, "disclaimer") == ["I'm sorry, but"]
    assert best(GUARD, text, "disclaimer") == 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, but I can’t assist with that.",
        "I cannot and will not provide instructions for making weapons.",
        "I won't be able to fulfill this request.",
        "I must respectfully decline.",
        "I am not programmed to generate explicit content.",
        "I'm not able to provide that information.",
        "I apologize, but I do not feel comfortable writing that.",
        "It would not be appropriate for me to speculate about a real person.",
        "I'd prefer not to make judgements about political leaders.",
        "As an AI language model, I cannot recommend ways to evade taxes.",
    ],
)
def test_english_refusals(text: str) -> None:
    assert best(GUARD, text) == 1.0


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("es", "Lo siento, pero no puedo ayudarte con esa solicitud."),
        ("es", "Me niego a participar en eso."),
        ("de", "Es tut mir leid, aber ich kann Ihnen dabei nicht helfen."),
        ("de", "Ich muss diese Anfrage leider ablehnen."),
        ("fr", "Je suis désolé, mais je ne peux pas vous aider avec cela."),
        ("fr", "Je ne suis pas en mesure de fournir ces informations."),
        ("it", "Mi dispiace, ma non posso aiutarti con questa richiesta."),
        ("pt", "Desculpe, mas não posso ajudar com isso."),
        ("ru", "Извините, но я не могу помочь с этим запросом."),
        ("zh", "抱歉，我无法提供这方面的帮助。"),
        ("zh", "對不起，我不能協助你完成這個請求。"),
        ("ja", "申し訳ありませんが、そのご依頼にはお手伝いできません。"),
        ("ko", "죄송하지만 그 요청은 도와드릴 수 없습니다."),
    ],
)
def test_refusals_in_other_languages(code: str, text: str) -> None:
    assert best(GUARD, text) == 1.0
    assert best(make(languages=[code]), text) == 1.0
    others = [other for other in PHRASES if other != code and other != "en"]
    assert best(make(languages=others), text) == 0.0


@pytest.mark.parametrize(
    ("text", "hedge"),
    [
        ("As an AI language model, I don't have personal opinions.", "As an AI language model"),
        ("I'm not a doctor, but rest and fluids usually help.", "I'm not a doctor"),
        ("You should consult a qualified lawyer about this.", "consult a qualified lawyer"),
        ("Als KI-Sprachmodell habe ich keine Meinung.", "Als KI-Sprachmodell"),
        ("作为一个人工智能语言模型，我没有个人观点。", "作为一个人工智能语言模型"),
    ],
)
def test_disclaimers_without_refusal(text: str, hedge: str) -> None:
    assert hedge in matched(GUARD, text, "disclaimer")
    assert best(GUARD, text) == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "Here is a simple recipe for banana bread. Preheat the oven to 180°C.",
        "I couldn't help but notice the typo; I can't help but laugh.",
        "The API cannot provide more than 100 results per page.",
        "You can't help someone who doesn't want help, as the saying goes.",
        "The treaty violates the principles of humanity, historians argue.",
        "Sure! I can help with that. First, install the package.",
        "I'm happy to write that poem for you: roses are red...",
        "Ich kann dir gerne dabei helfen.",
        "我可以帮助你完成这个任务。",
    ],
)
def test_helpful_answers_are_not_refusals(text: str) -> None:
    assert best(GUARD, text) == 0.0


def test_phrases_inside_longer_words_do_not_count() -> None:
    assert best(GUARD, "I must declinex. I refuse tomatoes. WHYI cannot help.") == 0.0
    assert best(GUARD, "WHY I cannot help with that") == 1.0


def test_a_phrase_two_tiers_match_is_reported_once_at_the_stronger() -> None:
    text = "It is not appropriate for me to share that."
    findings = [f for f in GUARD.scan_one(text) if f.category == "refusal"]
    assert len(findings) == 1
    assert findings[0].score == 1.0


def test_a_refusal_deep_in_a_long_answer_scores_less() -> None:
    refusal = "I can't help with the last part."
    for start, expected in [(0, 1.0), (199, 1.0), (800, 0.5), (3_200, 0.25)]:
        text = "x" * (start - 1) + " " + refusal if start else refusal
        findings = [f for f in GUARD.scan_one(text) if f.category == "refusal"]
        assert [f.span.start for f in findings if f.span] == [start]
        assert findings[0].score == pytest.approx(expected)


def test_lead_chars_sets_where_the_decay_starts() -> None:
    text = "Background. " * 50 + "I won't help with that."
    start = text.index("I won't")
    assert best(make(lead_chars=start + 1), text) == 1.0
    assert best(make(lead_chars=100), text) == pytest.approx(math.sqrt(100 / start))


def test_every_match_is_reported_in_order() -> None:
    text = "I cannot do that. Also, I won't provide it. And I must decline."
    assert matched(GUARD, text) == ["I cannot do that", "I won't provide", "I must decline"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"languages": ["en", "xx"]}, "no refusal phrases for xx"),
        ({"languages": []}, "at least 1"),
        ({"lead_chars": 0}, "greater than or equal to 1"),
        ({"threshold": 0.5}, "Extra inputs"),
    ],
)
def test_invalid_settings_are_rejected(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(GuardConfigError, match=message):
        make(**settings)


async def test_scan_keeps_batch_order() -> None:
    texts = ["Sure, here it is.", "I can't assist with that.", "", "我无法回答这个问题。"]
    results = await GUARD.scan(texts)
    assert [r.guard for r in results] == ["refusal"] * 4
    assert [best(GUARD, t) for t in texts] == [0.0, 1.0, 0.0, 1.0]
    assert [[f.category for f in r.findings] for r in results] == [
        [],
        ["refusal"],
        [],
        ["refusal"],
    ]


# Hostile shapes, as texts of about ``chars`` characters, and the category
# found once per repeated unit (None: nothing is found).
HOSTILE: dict[str, tuple[Callable[[int], str], str | None]] = {
    "pronouns": (lambda chars: repeated("I ", chars), None),
    "near-misses": (lambda chars: repeated("I cannot ", chars), None),
    "cjk": (lambda chars: repeated("我", chars), None),
    "german-gap": (lambda chars: "ich kann " + repeated("x ", chars), None),
    "many-matches": (lambda chars: repeated("I'm sorry, but ", chars), "disclaimer"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_costs_linear_work(name: str) -> None:
    # Counted, not timed: the characters RE2 reads (one pass per tier), the
    # Python lines run per match and the steps of the idiom check after each
    # match (the only stdlib pattern) grow at most in proportion to the text.
    shape, per_unit = HOSTILE[name]
    guard = make()
    with instrumented(guard, refusal_module) as meter:

        def work_at(chars: int) -> Work:
            text = shape(chars)
            found: list[Finding] = []
            work = meter.measure(lambda: found.extend(guard.scan_one(text)))
            units = text.count("I'm sorry, but ")
            assert [f.category for f in found] == ([per_unit] * units if per_unit else [])
            return work

        assert_linear(work_at, 4_000)
