from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic
import pytest

from sluicegate.guards import pii as pii_module
from sluicegate.guards.base import Finding, GuardResult, Span
from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.pii import PIIGuard
from sluicegate.guards.registry import default_registry
from tests.support.work import Work, assert_linear, instrumented, repeated


def make(**settings: Any) -> PIIGuard:
    guard = default_registry().create("pii", "pii", settings)
    assert isinstance(guard, PIIGuard)
    return guard


GUARD = make()


def found(text: str, guard: PIIGuard = GUARD) -> list[tuple[str, str]]:
    """(category, matched text) per finding, in order."""
    return [(f.category, text[f.span.start : f.span.end]) for f in guard.scan_one(text) if f.span]


def test_categories_default_to_every_entity_in_a_fixed_order() -> None:
    assert GUARD.categories == (
        "email",
        "phone",
        "credit_card",
        "iban",
        "ip_address",
        "national_id",
    )
    assert make(entities=["national_id", "email"]).categories == ("email", "national_id")


def test_finding_carries_exact_span_and_full_score() -> None:
    text = "Write to jane.doe@example.com today"
    assert GUARD.scan_one(text) == (Finding("email", 1.0, Span(9, 29)),)
    assert text[9:29] == "jane.doe@example.com"


@pytest.mark.parametrize(
    "email",
    ["john.doe+tag@mail.example.co.uk", "a_b-c%d@sub-domain.example.io", "X@EXAMPLE.ORG"],
)
def test_emails(email: str) -> None:
    assert found(f"mail {email}. thanks") == [("email", email)]


@pytest.mark.parametrize(
    "text",
    ["user@localhost", "a@b.c", "@handle on social", "foo@@bar.com", "name at example dot com"],
)
def test_not_emails(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",  # Visa
        "4111-1111-1111-1111",
        "4012888888881881",
        "5555555555554444",  # Mastercard
        "2221000000000009",  # Mastercard 2-series
        "378282246310005",  # American Express
        "3782 822463 10005",
        "30569309025904",  # Diners Club
        "6011111111111117",  # Discover
        "3530111333300000",  # JCB
        "6200000000000005",  # UnionPay
    ],
)
def test_credit_cards(card: str) -> None:
    assert found(f"charge {card} please") == [("credit_card", card)]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "1234567812345670",  # Luhn passes, no issuer starts with 1
        "4111 1111-1111 1111",  # mixed separators
        "order 20240315000123 shipped",  # order number
        "tracking 9400111899223856925039",  # longer than any card
    ],
)
def test_not_credit_cards(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "iban",
    [
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
    ],
)
def test_ibans(iban: str) -> None:
    assert found(f"Pay to {iban}, thanks") == [("iban", iban)]


def test_iban_span_stops_before_a_following_capitalised_word() -> None:
    assert found("IBAN GB82 WEST 1234 5698 7654 32 TO JOHN") == [
        ("iban", "GB82 WEST 1234 5698 7654 32")
    ]


def test_not_ibans() -> None:
    assert found("GB82WEST12345698765433 fails mod 97; XX82WEST12345698765432 no country") == []


@pytest.mark.parametrize(
    "phone",
    [
        "+1 650-253-0000",
        "(650) 253-0000",
        "1-800-555-0199",
        "+44 20 7946 0958",
        "020 7946 0958",
        "07911 123456",
        "+49 30 901820",
        "+49 (0)30 901820",
        "+33 1 42 68 53 00",
        "01.42.68.53.00",
        "+34 912 345 678",
        "+91 98765 43210",
        "+86 10 6552 9988",
        "+55 11 91234-5678",
        "(11) 91234-5678",
    ],
)
def test_phones_in_several_regions(phone: str) -> None:
    assert GUARD.scan_one(f"call {phone} now") == (Finding("phone", 1.0, Span(5, 5 + len(phone))),)


def test_bare_digit_run_is_weaker_phone_evidence() -> None:
    assert GUARD.scan_one("ring 13800138000") == (Finding("phone", 0.5, Span(5, 16)),)


@pytest.mark.parametrize(
    "text",
    [
        "In 1999 and 2024 we sold 1,234,567 units at $19.99, total $24,680,135.33.",
        "Invoice 2023-000123 and ticket ABC-1234567.",
        "Logged at 2024-03-15 14:30:00, unix 1710513000, ms 1710513000123.",
        "Born 12/05/1985, moved 05.06.2001, pi is 3.14159265358979.",
        "ZIP 94105-1234 and sort code 12-34-56 and 1 2 3 4 5 6 7 8 9.",
        "Version 10.2.3 or 1.2.3.4-beta, build 20240315.1",
        "phone 555-0100 is fictional",
        "INT_MAX = 2147483647; MOD = 1000000007; DIGITS = '0123456789'",
        "He lived 1800-1850 and worked 1835-1840.",
    ],
)
def test_plain_numbers_are_not_phones(text: str) -> None:
    assert found(text) == []


def test_card_number_is_not_also_a_phone() -> None:
    # Amex is 15 digits: a valid length for a phone number too.
    assert found("card 378282246310005 or 3782 822463 10005") == [
        ("credit_card", "378282246310005"),
        ("credit_card", "3782 822463 10005"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "536-90-4399",  # US SSN
        "AB 12 34 56 C",  # GB NINO
        "12345678Z",  # ES DNI
        "X1234567L",  # ES NIE
        "1 84 12 76 451 089 46",  # FR NIR
        "36574261809",  # DE IdNr
        "RCCMNL83S18D969H",  # IT codice fiscale
        "2341 2341 2346",  # IN Aadhaar
        "390.533.447-05",  # BR CPF
        "360426199101010071",  # CN resident ID
    ],
)
def test_national_ids(value: str) -> None:
    assert found(f"my id is {value}.") == [("national_id", value)]


def test_national_ids_without_checksum_score_lower() -> None:
    ssn, dni = GUARD.scan_one("SSN 536-90-4399, DNI 12345678Z")
    assert (ssn.category, ssn.score) == ("national_id", 0.8)
    assert (dni.category, dni.score) == ("national_id", 1.0)


@pytest.mark.parametrize(
    "text",
    [
        "SSN 000-12-3456 and 666-12-3456 and 900-12-3456",  # never issued
        "DNI 12345678A",  # wrong check letter
        "NINO GB 12 34 56 C",  # prefix not allocated
        "CPF 390.533.447-06",  # wrong check digits
        "RIC 360426199101010072",  # wrong check digit
    ],
)
def test_not_national_ids(text: str) -> None:
    assert found(text) == []


def test_national_id_countries_limit_the_formats() -> None:
    assert found("536-90-4399 and 12345678Z", make(national_id_countries=["ES"])) == [
        ("national_id", "12345678Z")
    ]


@pytest.mark.parametrize(
    "address", ["192.168.1.10", "8.8.8.8", "2001:db8::8a2e:370:7334", "fe80::1", "1:2:3:4:5:6:7:8"]
)
def test_ip_addresses(address: str) -> None:
    assert found(f"host {address}, port 22") == [("ip_address", address)]


def test_ip_scores_and_addresses_of_nobody() -> None:
    findings = GUARD.scan_one("ip 203.0.113.7, dns 8.8.8.8, local 127.0.0.1 0.0.0.0 ::1")
    assert [(f.span, f.score) for f in findings] == [(Span(3, 14), 1.0), (Span(20, 27), 0.5)]


@pytest.mark.parametrize(
    "text",
    [
        "256.1.1.1 and 1.2.3 and 01.02.03.04",
        "std::vector<int> v; a::b; ::1; time 12:30:45; mac 00:1A:2B:3C:4D:5E",
        "OID 1.3.6.1.4.1",
    ],
)
def test_not_ip_addresses(text: str) -> None:
    assert found(text) == []


def test_not_pii_git_shas_uuids_and_prose() -> None:
    text = (
        "Commit 3f786850e387550fdab836ed7e6dc881de23001b fixed request "
        "550e8400-e29b-41d4-a716-446655440000; see chapter 12, page 345."
    )
    assert found(text) == []


def test_many_findings_in_text_order() -> None:
    text = (
        "Reach Ana at ana@example.com or +44 20 7946 0958. Card 4111 1111 1111 1111, "
        "IBAN DE89370400440532013000, server 10.0.0.7, SSN 536-90-4399."
    )
    assert found(text) == [
        ("email", "ana@example.com"),
        ("phone", "+44 20 7946 0958"),
        ("credit_card", "4111 1111 1111 1111"),
        ("iban", "DE89370400440532013000"),
        ("ip_address", "10.0.0.7"),
        ("national_id", "536-90-4399"),
    ]


def test_disabled_entities_are_not_reported() -> None:
    guard = make(entities=["email"])
    assert found("a@example.com +44 20 7946 0958 4111111111111111", guard) == [
        ("email", "a@example.com")
    ]


def test_regions_decide_how_national_numbers_are_read() -> None:
    assert found("call 020 7946 0958", make(regions=["US"])) == []
    assert found("call 020 7946 0958", make(regions=["gb"])) == [("phone", "020 7946 0958")]


def test_lone_surrogates_and_non_ascii_text_keep_offsets() -> None:
    text = "\ud800 naïve café — mail ümit@münchen.de or ٣٣٣-٢٢-٤٤٤٤ 536-90-4399"
    assert found(text) == [("email", "ümit@münchen.de"), ("national_id", "536-90-4399")]


async def test_scan_keeps_batch_order() -> None:
    texts = ["nothing here", "a@example.com", "", "4111 1111 1111 1111"]
    results = await GUARD.scan(texts)
    assert [r.guard for r in results] == ["pii"] * 4
    assert [[f.category for f in r.findings] for r in results] == [
        [],
        ["email"],
        [],
        ["credit_card"],
    ]
    assert results[0] == GuardResult("pii", ())


async def test_large_batch_runs_off_the_event_loop_with_same_results() -> None:
    texts = [f"mail user{i}@example.com " * 400 for i in range(20)]  # > offload threshold
    results = await GUARD.scan(texts)
    assert [len(r.findings) for r in results] == [400] * 20


def test_unknown_setting_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError):
        PIIGuard.Settings.model_validate({"entitys": ["email"]})
    with pytest.raises(GuardConfigError) as info:
        default_registry().create("pii", "pii", {"entitys": ["email"]})
    assert info.value.field == ("entitys",)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"entities": ["ssn"]}, "entities"),
        ({"entities": []}, "entities"),
        ({"regions": ["XX"]}, "regions"),
        ({"national_id_countries": ["ZZ"]}, "national_id_countries"),
    ],
)
def test_invalid_settings_name_the_field(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(GuardConfigError) as info:
        default_registry().create("pii", "pii", settings)
    assert info.value.field[0] == field


# Hostile shapes, as texts of about ``chars`` characters: digit runs, groups
# and separators that every candidate pattern starts on, none of them PII.
HOSTILE: dict[str, Callable[[int], str]] = {
    "digits": lambda chars: repeated("1", chars),
    "digit-pairs": lambda chars: repeated("11 ", chars),
    "email-halves": lambda chars: "a" * (chars // 2) + "@" + "a." * (chars // 4),
    "dotted": lambda chars: repeated("1.", chars),
    "colons": lambda chars: repeated("a:", chars, "::"),
    "iban-heads": lambda chars: repeated("GB82 ", chars),
    "card-halves": lambda chars: repeated("4111 1111 ", chars),
    "phone-heads": lambda chars: repeated("+1 (", chars),
    "digit-groups": lambda chars: repeated("0123 4567 ", chars),
}


@pytest.mark.parametrize("shape", HOSTILE.values(), ids=HOSTILE)
def test_hostile_input_costs_linear_work(shape: Callable[[int], str]) -> None:
    # Counted, not timed: the Python lines run (validators included), the
    # steps a backtracking matcher needs for every stdlib pattern the guard
    # runs, and the characters RE2 reads, each growing at most in proportion
    # to the text.
    guard = make()
    with instrumented(guard, pii_module) as meter:

        def work_at(chars: int) -> Work:
            text = shape(chars)
            found: list[Finding] = []
            work = meter.measure(lambda: found.extend(guard.scan_one(text)))
            assert found == []
            return work

        assert_linear(work_at, 4_000)


def test_plain_prompt_runs_no_python_pattern() -> None:
    # The fast path: the RE2 gate finds nothing in ordinary prose ("$3,500"
    # is no candidate), so no stdlib pattern or validator runs, and the cost
    # beyond that one pass does not grow with the prompt.
    prompt = (
        "Please plan a five-day trip to Lisbon in March for three friends with a budget "
        "of about $3,500. We like museums, food and walking, one of us is vegetarian. "
    ) * 28
    guard = make()
    with instrumented(guard, pii_module) as meter:
        short = meter.measure(lambda: guard.scan_one(prompt[:1024]))
        long = meter.measure(lambda: guard.scan_one(prompt[:4096]))
    assert guard.scan_one(prompt) == ()
    assert short.backtracking == long.backtracking == 0
    assert (short.scanned, long.scanned) == (1024, 4096)  # the gate's one pass
    assert short.lines == long.lines
