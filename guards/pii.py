"""Personal data found by shape, then confirmed by a validator.

A candidate pattern per entity proposes; a real validator disposes (Luhn and
issuer ranges, IBAN mod 97, phone metadata, national-ID check digits,
``ipaddress``). One RE2 set pass first tells which patterns can match at all.
Every repetition is bounded and none nests, so time stays linear in the text.

Scores are 1.0 where a validator confirmed a check digit or the full structure,
lower where evidence is weaker (noted beside each case). Where candidates of
different entities overlap, only the most specific is kept (``_PRIORITY``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from ipaddress import ip_address
from typing import Literal, TypeAlias, get_args

import phonenumbers
import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum import iban, luhn
from stdnum.br import cpf
from stdnum.cn import ric
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.us import ssn

from .base import Finding, SyncGuard
from .partial import Twin, held_from, matches_around, python_twin, widen
from .spans import Candidate, best_non_overlapping

__all__ = ["PIIGuard", "PIIGuardSettings"]

PIIEntity = Literal["email", "phone", "credit_card", "iban", "ip_address", "national_id"]
NationalIdCountry = Literal["BR", "CN", "DE", "ES", "FR", "GB", "IN", "IT", "US"]

ENTITIES: tuple[PIIEntity, ...] = get_args(PIIEntity)
NATIONAL_ID_COUNTRIES: tuple[NationalIdCountry, ...] = get_args(NationalIdCountry)
DEFAULT_REGIONS = ("US", "GB", "DE", "FR", "ES", "IN", "CN", "BR")
#: lower wins an overlap: the more specific validator is the better witness
_PRIORITY = {"credit_card": 0, "iban": 1, "national_id": 2, "email": 3, "ip_address": 4, "phone": 5}


class PIIGuardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entities: list[PIIEntity] = Field(default_factory=lambda: list(ENTITIES), min_length=1)
    #: regions tried, in order, for phone numbers written without a country code
    regions: list[str] = Field(default_factory=lambda: list(DEFAULT_REGIONS))
    national_id_countries: list[NationalIdCountry] = Field(
        default_factory=lambda: list(NATIONAL_ID_COUNTRIES)
    )

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str]) -> list[str]:
        regions = [region.upper() for region in value]
        unknown = sorted(set(regions) - phonenumbers.SUPPORTED_REGIONS)
        if unknown:
            raise ValueError(f"unknown phone regions: {', '.join(unknown)}")
        return regions


_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

#: country -> (pattern, validator, score). The score is 1.0 where a check digit
#: confirms the value, 0.8 where only format and allocation rules do (US SSN,
#: GB NINO have no checksum), so a lookalike passes more often.
_NATIONAL_IDS: dict[str, tuple[str, Callable[[str], bool], float]] = {
    "US": (r"\d{3}-\d\d-\d{4}|\d{3} \d\d \d{4}", ssn.is_valid, 0.8),
    "GB": (
        r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d\d ?\d\d ?\d\d ?[A-D]",
        lambda value: value[:2] not in _NINO_BAD_PREFIXES,
        0.8,
    ),
    "ES": (r"\d{8}-?[A-Z]|[XYZ]-?\d{7}-?[A-Z]", lambda v: dni.is_valid(v) or nie.is_valid(v), 1.0),
    "FR": (r"[1-478] ?\d\d ?\d\d ?(?:\d\d|2[AB]) ?\d{3} ?\d{3} ?\d\d", nir.is_valid, 1.0),
    "DE": (r"\d{11}|\d\d \d{3} \d{3} \d{3}", idnr.is_valid, 1.0),
    "IT": (
        r"[A-Z]{6}[\dLMNP-V]{2}[A-EHLMPR-T][\dLMNP-V]{2}[A-Z][\dLMNP-V]{3}[A-Z]",
        codicefiscale.is_valid,
        1.0,
    ),
    "IN": (r"[2-9]\d{3} ?\d{4} ?\d{4}", aadhaar.is_valid, 1.0),
    "BR": (r"\d{3}\.\d{3}\.\d{3}-\d\d|\d{11}", cpf.is_valid, 1.0),
    "CN": (r"\d{17}[\dX]", ric.is_valid, 1.0),
}

# Issuer prefixes and lengths, checked before Luhn: one random digit run in ten
# passes Luhn, far fewer also start like a card of their length.
_CARD_ISSUER = (
    r"4\d{12}(?:\d{3}){0,2}"  # Visa: 13, 16, 19
    r"|(?:5[1-5]\d\d|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)\d{12}"  # Mastercard
    r"|3[47]\d{13}"  # American Express
    r"|3(?:0[0-5]|[689]\d)\d{11,16}"  # Diners Club: 14-19
    r"|(?:6011|64[4-9]\d|65\d\d|35(?:2[89]|[3-8]\d)|62\d\d)\d{12,15}"  # Discover, JCB, UnionPay
    r"|(?:50|5[6-8]|6[37])\d{11,17}"  # Maestro: 13-19
)
# Unicode letters count (internationalised addresses: "ümit@münchen.de"); every
# other pattern is ASCII ("(?a)"), as its validator wants ASCII digits.
_EMAIL = (
    r"(?<![\w.%+-])[^\W_][\w.%+-]{0,63}"
    r"@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[^\W\d_]{2,24}(?![\w-]|\.\w)"
)
_CARD = (
    r"(?a)(?<![\d.-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?"  # 4-4-4-4, 4-4-4-4-3
    r"|\d{4}([ -])\d{6}\2\d{4,5}"  # 4-6-5 (Amex), 4-6-4 (Diners)
    r"|\d{13,19})(?![\d]|[.-]\d)"
)
_IBAN = r"(?a)(?<![A-Za-z0-9])[A-Z]{2}\d\d(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])"
_IPV4 = r"(?a)(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w-]|\.\d)"
_IPV6 = r"(?a)(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:.])"
# 7 to 17 digits ("00" plus 15), each separated by nothing, one of " .-",
# or a bracket with a space or dash: "(650) 253-0000", "+49 (0)30 901820".
_PHONE = r"(?a)(?<![\w+.,/$€£¥-])[+(]?\d(?:(?:[ .-]\(?|\)[ .-]?|\()?\d){6,16}(?!\w|[.-]?\d)"
# Shapes a phone validator can accept but a reader would not call a phone:
# a date anywhere (a timestamp runs on into its hour), or the whole candidate
# being SSN-style groups, a ZIP+4 code, a dotted quad, a decimal, a year range.
_NOT_PHONE = (
    r"(?:19|20)\d\d([-./])[01]?\d\1[0-3]?\d|[0-3]?\d([-./])[0-3]?\d\2(?:19|20)\d\d"
    r"|^(?:\d{3}-\d\d-\d{4}|\d{5}-\d{4}|\d{1,3}(?:\.\d{1,3}){3}|\d+\.\d+"
    r"|(?:1[5-9]|20)\d\d-(?:1[5-9]|20)\d\d)$"
)
_RUNS = "01234567890123456789 98765432109876543210"  # counting, not dialling
_NON_DIGITS = re.compile(r"\D+")
_DIGIT_RUNS = re.compile(r"\d+")
_CARD_ISSUER_RE = re.compile(_CARD_ISSUER, re.ASCII)
_MOBILE = phonenumbers.PhoneNumberType.MOBILE

#: accepts a candidate as (length of the accepted prefix, score), or rejects it
_Check: TypeAlias = Callable[[str], tuple[int, float] | None]


def _whole(is_valid: Callable[[str], object], score: float = 1.0) -> _Check:
    return lambda value: (len(value), score) if is_valid(value) else None


def _card_ok(value: str) -> bool:
    digits = _NON_DIGITS.sub("", value)
    return _CARD_ISSUER_RE.fullmatch(digits) is not None and bool(luhn.is_valid(digits))


def _ip_check(value: str) -> tuple[int, float] | None:
    try:
        address = ip_address(value)  # rejects octets over 255, leading zeros, bad groups
    except ValueError:
        return None
    # Loopback and unspecified are nobody's address; demanding four hex digits
    # keeps "a::b" in code from being one.
    if address.is_loopback or address.is_unspecified or sum(c not in ".:" for c in value) < 4:
        return None
    # 0.5 when every octet is one digit: version numbers ("1.2.3.4") look the same.
    return len(value), 0.5 if len(value) == 7 and "." in value else 1.0


def _iban_check(candidate: str) -> tuple[int, float] | None:
    # The pattern is greedy, so a following capitalised word can ride along:
    # "GB82 WEST 1234 5698 7654 32 TO" must still yield the IBAN without " TO".
    end = len(candidate)
    while end >= 15:
        if iban.is_valid(candidate[:end]):
            return end, 1.0
        end = candidate.rfind(" ", 0, end)
    return None


def _national_digit_counts(region: str) -> frozenset[int]:
    """Digit counts a number of ``region`` can have when written without "+":
    bare, after the trunk prefix, or after the country code. Skipping regions
    a candidate cannot fit saves most of a ~30 µs parse-and-validate each."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.general_desc is None:
        return frozenset(range(1, 18))  # no length data: try every candidate
    lengths = set(meta.general_desc.possible_length)
    trunk = len(meta.national_prefix or "")
    code = len(str(meta.country_code))
    return frozenset(lengths | {n + trunk for n in lengths} | {n + code for n in lengths})


def _breaks(text: str, nsn: int) -> list[int]:
    """Where digit groups break inside the last ``nsn`` digits, counted from the right."""
    ends = itertools.accumulate(len(group) for group in reversed(_DIGIT_RUNS.findall(text)))
    return list(itertools.takewhile(lambda end: end < nsn, ends))


def _plausibly_grouped(candidate: str, number: phonenumbers.PhoneNumber) -> bool:
    """A cheap screen before the library's strict matcher: the groups of the
    national number break where its national format does, or are the 2-4 digit
    chunks people also write ("912 345 678"). "2023-000123" is neither."""
    nsn = len(phonenumbers.national_significant_number(number))
    written = _breaks(candidate, nsn)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if set(written) <= set(_breaks(national, nsn)):
        return True
    return all(2 <= b - a <= 4 for a, b in itertools.pairwise([0, *written, nsn]))


class PIIGuard(SyncGuard):
    """Reports ``email``, ``phone``, ``credit_card``, ``iban``, ``ip_address`` and
    ``national_id`` spans, each confirmed by a validator."""

    Settings = PIIGuardSettings

    def __init__(self, name: str, settings: PIIGuardSettings) -> None:
        self.name = name
        enabled = set(settings.entities)
        self.categories = tuple(entity for entity in ENTITIES if entity in enabled)
        self._regions = tuple(dict.fromkeys(settings.regions))
        self._digit_counts = {region: _national_digit_counts(region) for region in self._regions}
        self._not_phone = re.compile(_NOT_PHONE, re.ASCII)
        candidates: list[tuple[str, str, str, _Check]] = [
            # (category, gate, candidate pattern, check)
            ("email", "@", _EMAIL, _whole(bool)),
            ("credit_card", r"\d(?:[ -]?\d){12}", _CARD, _whole(_card_ok)),
            ("iban", r"[A-Z]{2}\d\d(?: ?[A-Z0-9]){11}", _IBAN, _iban_check),
            ("ip_address", r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d", _IPV4, _ip_check),
            ("ip_address", r"::|(?:[0-9A-Fa-f]{1,4}:){7}", _IPV6, _ip_check),
            ("phone", r"\d(?:[ .()-]{0,2}\d){6}", _PHONE, self._phone_check),
        ]
        for country in dict.fromkeys(settings.national_id_countries):
            pattern, is_valid, score = _NATIONAL_IDS[country]
            edged = rf"(?a)(?<![\w.-])(?:{pattern})(?!\w|[.-]\w)"
            candidates.append(("national_id", pattern, edged, _whole(is_valid, score)))
        # One RE2 set pass (~2 µs per kB) tells which detectors can match at all;
        # each gate is part of every candidate of its detector, so it never hides
        # one. Most prompts then run no Python pattern at all.
        self._gate = re2.Set.SearchSet()
        self._detectors: list[tuple[str, re.Pattern[str], _Check]] = []
        self._twins: list[Twin] = []  # for ``settled``, one per detector
        for category, gate, pattern, check in candidates:
            if category in enabled:
                self._gate.Add(gate)
                self._detectors.append((category, re.compile(pattern), check))
                self._twins.append(python_twin(pattern))
        self._gate.Compile()

    def scan_one(self, text: str) -> tuple[Finding, ...]:
        # Bytes, because RE2's own encoding fails on lone surrogates ("\ud800"),
        # which JSON can carry; the gate needs no offsets.
        hits = self._gate.Match(text.encode("utf-8", "surrogatepass"))
        if not hits:
            return ()
        found: list[Candidate] = []
        # Validators cost up to ~0.3 ms (phones); a repeated value pays once.
        checked: dict[tuple[int, str], tuple[int, float] | None] = {}
        for index in hits:
            category, pattern, check = self._detectors[index]
            for m in pattern.finditer(text):
                key = (index, m[0])
                if key not in checked:
                    checked[key] = check(m[0])
                if accepted := checked[key]:
                    start, (length, score) = m.start(), accepted
                    found.append((_PRIORITY[category], start, start + length, category, score))
        return best_non_overlapping(found) if found else ()

    def settled(self, text: str) -> int:
        """Up to the first place a candidate could still start or change (an
        email's domain going on, a card number's next digit group), moved back
        over candidates that straddle it: they compete for characters with
        whatever comes next. Validators judge only complete candidates, so a
        digit run is held while its shape could still match, whatever Luhn says."""
        held = held_from(self._twins, text)
        if held == len(text):
            return held
        hits = self._gate.Match(text.encode("utf-8", "surrogatepass")) or ()
        found = [(self._detectors[i][1], self._twins[i]) for i in hits]
        return widen(
            held,
            lambda at: [
                span for pattern, twin in found for span in matches_around(pattern, twin, text, at)
            ],
        )

    def _phone_check(self, candidate: str) -> tuple[int, float] | None:
        """1.0 for a valid number written as its region writes it; 0.5 for a
        bare digit run, since order and account numbers are often valid too."""
        if self._not_phone.search(candidate) or candidate.count("(") != candidate.count(")"):
            return None
        digits = _NON_DIGITS.sub("", candidate)
        bare = candidate == digits
        if bare and (not 9 <= len(digits) <= 12 or digits in _RUNS):
            return None  # outside national lengths, or "0123456789": an ID or constant
        if candidate.startswith("+"):
            regions: tuple[str | None, ...] = (None,)
        else:
            international = digits.startswith("00")
            regions = tuple(
                r for r in self._regions if international or len(digits) in self._digit_counts[r]
            )
        for region in regions:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number):
                continue
            # A bare run is an ID ("2147483647") unless a trunk "0" or a mobile
            # prefix ("13800138000") says otherwise.
            if bare and digits[0] != "0" and phonenumbers.number_type(number) != _MOBILE:
                continue
            # Validity alone passes "2023-000123" in the US and "555-0100" in
            # Germany. The matcher's strict grouping (~50-200 µs, paid only by
            # valid numbers) also wants the digit groups of one of the region's
            # formats and the trunk prefix where the region writes one.
            strict = phonenumbers.Leniency.STRICT_GROUPING
            if _plausibly_grouped(candidate, number) and any(
                phonenumbers.PhoneNumberMatcher(candidate, region or "ZZ", strict)
            ):
                return len(candidate), 0.5 if bare else 1.0
        return None
