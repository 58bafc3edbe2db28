# Text in many scripts is the point of these tests.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.guards import language as language_module
from sluicegate.guards.base import Finding
from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.language import DEFAULT_LANGUAGES, LanguageGuard
from sluicegate.guards.registry import default_registry
from tests.support.work import instrumented


def make(**settings: Any) -> LanguageGuard:
    guard = default_registry().create("lang", "language", settings)
    assert isinstance(guard, LanguageGuard)
    return guard


@pytest.fixture(scope="module")
def guard() -> LanguageGuard:
    return make()


def top(guard: LanguageGuard, text: str) -> Finding:
    return guard.scan_one(text)[0]


SAMPLES = {
    "en": "The committee will publish its annual report on climate policy next week.",
    "de": "Der Ausschuss wird nächste Woche seinen Jahresbericht zur Klimapolitik vorlegen.",
    "fr": "Le comité publiera la semaine prochaine son rapport annuel sur la politique climatique.",
    "es": "El comité publicará la próxima semana su informe anual sobre política climática.",
    "it": "Il comitato pubblicherà la prossima settimana il suo rapporto annuale sul clima.",
    "pt": "O comitê publicará na próxima semana seu relatório anual sobre política climática.",
    "nl": "De commissie publiceert volgende week haar jaarverslag over klimaatbeleid.",
    "ru": "Комитет опубликует свой ежегодный доклад о климатической политике на следующей неделе.",
    "uk": "Комітет наступного тижня оприлюднить свою щорічну доповідь про кліматичну політику.",
    "ar": "ستنشر اللجنة تقريرها السنوي عن سياسة المناخ الأسبوع المقبل.",
    "hi": "समिति अगले सप्ताह जलवायु नीति पर अपनी वार्षिक रिपोर्ट प्रकाशित करेगी।",
    "zh": "委员会将于下周发布关于气候政策的年度报告。",
    "ja": "委員会は来週、気候政策に関する年次報告書を公表する予定です。",
    "ko": "위원회는 다음 주에 기후 정책에 관한 연례 보고서를 발표할 예정입니다.",
    "th": "คณะกรรมการจะเผยแพร่รายงานประจำปีเกี่ยวกับนโยบายสภาพภูมิอากาศในสัปดาห์หน้า",
    "tr": "Komite gelecek hafta iklim politikası hakkındaki yıllık raporunu yayımlayacak.",
}


@pytest.mark.parametrize(("code", "text"), SAMPLES.items(), ids=SAMPLES.keys())
def test_detects_the_language_as_the_top_finding(
    guard: LanguageGuard, code: str, text: str
) -> None:
    finding = top(guard, text)
    assert finding.category == code
    assert 0.5 < finding.score <= 1.0
    assert finding.span is None


def test_findings_are_ranked_probabilities_without_spans(guard: LanguageGuard) -> None:
    findings = guard.scan_one(SAMPLES["de"])
    scores = [f.score for f in findings]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(f.span is None for f in findings)
    assert len({f.category for f in findings}) == len(findings)
    assert set(f.category for f in findings) <= set(guard.categories)


def test_categories_are_the_configured_codes_and_unknown() -> None:
    assert make().categories == (*DEFAULT_LANGUAGES, "unknown")
    assert make(languages=["en", "de"]).categories == ("en", "de", "unknown")
    assert make(languages=["en", "en"]).categories == ("en", "unknown")


def test_a_language_outside_the_list_is_reported_as_unknown() -> None:
    english_and_german = make(languages=["en", "de"])
    finding = top(english_and_german, SAMPLES["ru"])
    assert finding.category == "unknown"
    assert finding.score > 0.5
    assert "ru" not in {f.category for f in english_and_german.scan_one(SAMPLES["ru"])}


@pytest.mark.parametrize("text", ["", "ok", "42", "  !!! 123 ", "🙂🙂🙂", "1 + 2 = 3"])
def test_too_few_letters_is_unknown_with_certainty(guard: LanguageGuard, text: str) -> None:
    assert guard.scan_one(text) == (Finding("unknown", 1.0),)


def test_min_letters_is_configurable() -> None:
    assert make(min_letters=20).scan_one("Hello there friend") == (Finding("unknown", 1.0),)
    assert top(make(min_letters=1), "Hello there friend").category == "en"


def test_all_capitals_and_line_breaks_do_not_confuse_it(guard: LanguageGuard) -> None:
    assert top(guard, SAMPLES["en"].upper()).category == "en"
    assert top(guard, SAMPLES["fr"].replace(" ", "\n")).category == "fr"


def test_long_text_is_judged_on_its_head_and_tail(guard: LanguageGuard) -> None:
    text = (SAMPLES["en"] + " ") * 500 + (SAMPLES["ru"] + " ") * 500
    scores = {f.category: f.score for f in guard.scan_one(text)}
    assert scores["en"] == pytest.approx(0.5, abs=0.05)
    assert scores["ru"] == pytest.approx(0.5, abs=0.05)
    middle_only = (SAMPLES["en"] + " ") * 100 + SAMPLES["de"] * 5 + (SAMPLES["en"] + " ") * 100
    assert top(guard, middle_only).category == "en"
    assert top(guard, middle_only).score > 0.9


def test_a_tail_without_letters_counts_as_unknown(guard: LanguageGuard) -> None:
    text = SAMPLES["en"] * 20 + "0123456789 " * 100
    scores = {f.category: f.score for f in guard.scan_one(text)}
    assert scores["unknown"] == pytest.approx(0.5, abs=0.05)
    assert scores["en"] == pytest.approx(0.5, abs=0.05)


def test_cost_per_text_is_bounded_by_max_chars(
    guard: LanguageGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model reads the head and the tail only, max_chars (1,000) in all,
    # however long the text; and the rest of the work (Python lines, the
    # letter count's matcher steps) is the same for 1.6 MB as for 100 kB.
    read: list[int] = []
    detect = guard._detector.detect

    def counted(text: str, **options: Any) -> Any:
        read.append(len(text))
        return detect(text, **options)

    monkeypatch.setattr(guard._detector, "detect", counted)
    huge = (SAMPLES["es"] + " ") * 20_000  # about 1.6 MB
    smaller = (SAMPLES["es"] + " ") * 1_250  # the same head and tail
    with instrumented(guard, language_module) as meter:
        found: list[Finding] = []
        large = meter.measure(lambda: found.append(top(guard, huge)))
        assert found[0].category == "es"
        assert read == [500, 500]
        small = meter.measure(lambda: top(guard, smaller))
    assert read == [500, 500] * 2
    assert large == small


async def test_scan_keeps_batch_order(guard: LanguageGuard) -> None:
    texts = [SAMPLES["ja"], "", SAMPLES["en"], SAMPLES["ko"]]
    results = await guard.scan(texts)
    assert [r.guard for r in results] == ["lang"] * 4
    assert [r.findings[0].category for r in results] == ["ja", "unknown", "en", "ko"]


async def test_large_batch_runs_off_the_loop_with_the_same_results(guard: LanguageGuard) -> None:
    texts = [SAMPLES["de"] * 900, SAMPLES["zh"] * 600]
    assert sum(len(t) for t in texts) > guard.offload_threshold
    results = await guard.scan(texts)
    assert results == guard.scan_sync(texts)
    assert [r.findings[0].category for r in results] == ["de", "zh"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"languages": ["en", "jp"]}, "no ISO 639-1 code the language model knows: jp"),
        ({"languages": ["eng"]}, "eng"),
        ({"languages": []}, "at least 1"),
        ({"min_letters": 0}, "greater than or equal to 1"),
        ({"max_chars": 4}, "greater than or equal to 16"),
        ({"model": "full"}, "Extra inputs"),
    ],
)
def test_invalid_settings_are_rejected(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(GuardConfigError, match=message):
        make(**settings)
