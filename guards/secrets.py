"""Credentials found by their published formats, by assignment, and by entropy.

Vendor keys (AWS, GCP, GitHub, Slack, Stripe, OpenAI, Anthropic), PEM private
keys and JWTs are matched on their fixed prefixes and shapes; ``generic_api_key``
is the value assigned to a secret-looking name (``api_key = "…"``, ``password:
…``, ``Bearer …``); ``high_entropy`` is a long random-looking token nothing more
specific claimed. As in the PII guard, one RE2 set pass first tells which
patterns can match at all, and every Python pattern runs in linear time.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Literal, TypeAlias, get_args

import re2
import regex
from pydantic import BaseModel, ConfigDict, Field

from .base import Finding, SyncGuard
from .partial import Twin, held_from, matches_around, python_twin, widen
from .spans import Candidate, best_non_overlapping

__all__ = ["SecretsGuard", "SecretsGuardSettings"]

# In priority order: where spans overlap, the earlier detector's finding wins.
_Format = Literal["private_key", "jwt", "aws_access_key", "aws_secret_key", "gcp_api_key"]
_Token = Literal["github_token", "slack_token", "stripe_key", "anthropic_api_key", "openai_api_key"]
SecretDetector = Literal[_Format, _Token, "generic_api_key", "high_entropy"]
DETECTORS: tuple[SecretDetector, ...] = get_args(SecretDetector)


class SecretsGuardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    detectors: list[SecretDetector] = Field(default_factory=lambda: list(DETECTORS), min_length=1)
    #: Shannon entropy per character below which a token is not ``high_entropy``.
    #: Random base62 tokens of 20+ characters sit above 3.65 in 99 cases of 100;
    #: identifiers and words are mostly rejected before entropy is looked at.
    entropy_threshold: float = Field(default=3.5, gt=0.0, le=6.0)
    #: shortest token considered for ``high_entropy``
    min_token_length: int = Field(default=20, ge=8, le=1024)


_VALUE_END = r"(?![\w/+=-])"
# category -> (RE2 gate, Python pattern). The gate is part of every match of
# the pattern; a group named "value" or "bare" narrows the span to the secret.
# Possessive runs ("{20,300}+") never give characters back: the character after
# a run decides, so shorter retries could not match and would only cost time.
_PATTERNS: dict[str, tuple[str, str]] = {
    "jwt": (
        r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.",
        r"(?<![\w-])eyJ[A-Za-z0-9_-]{4,4096}+\.[A-Za-z0-9_-]{2,16384}+\.[A-Za-z0-9_-]{0,4096}+"
        + _VALUE_END,
    ),
    "aws_access_key": (
        r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}",
        r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
    ),
    "aws_secret_key": (  # 40 base64 characters, only where named as such
        r"(?i)secret_?access_?key",
        r"secret_?access_?key[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?(?P<value>[a-z0-9/+]{40})"
        + _VALUE_END,
    ),
    "gcp_api_key": (r"AIza[0-9A-Za-z_-]{35}", r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"),
    "github_token": (
        r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}",
        r"(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?!\w)",
    ),
    "slack_token": (
        r"xox[abposr]-[A-Za-z0-9-]{10}|xapp-\d-|hooks\.slack\.com/services/T",
        r"(?<![\w-])(?:xox[abposr]-[A-Za-z0-9-]{10,250}+|xapp-\d-[A-Za-z0-9-]{10,250}+)(?![\w-])"
        r"|https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,40}",
    ),
    "stripe_key": (
        r"[sr]k_(?:live|test)_[0-9A-Za-z]{24}|whsec_[A-Za-z0-9]{32}",
        r"(?<!\w)(?:[sr]k_(?:live|test)_[0-9A-Za-z]{24,247}+|whsec_[A-Za-z0-9]{32,256}+)(?!\w)",
    ),
    "anthropic_api_key": (
        r"sk-ant-",
        r"(?<![\w-])sk-ant-(?:api|admin|oat|ort)\d\d-[A-Za-z0-9_-]{20,300}+(?![\w-])",
    ),
    "openai_api_key": (
        r"sk-[A-Za-z0-9_-]{20}",
        r"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,300}+(?![\w-])",
    ),
    # A secret-looking name that ends the key ("max_tokens", "tokenizer" do not)
    # and an operator, or "Bearer"; then a quoted value, or a bare one and a
    # separator. The names are spelled as a trie: with a shared first letter per
    # branch the stdlib engine tries fewer alternatives per position (~2x faster).
    "generic_api_key": (
        r"(?i)api[_-]?key|apikey|secret|token|passw|pwd|passphrase|auth[_-]?key|bearer[ \t]",
        r"(?:a(?:pi[_-]?key|pikey|uth[_-]?key)|secret(?:[_-]?key)?|token"
        r"|p(?:assw(?:or)?d|wd|assphrase)|bearer)"
        r"(?:[\"']?[ \t]{0,8}(?::=|=>|[:=])|(?<=bearer)[ \t])[ \t]{0,8}"
        r"(?:([\"'`])(?P<value>[^\s\"'`]{6,256}+)\1"  # quoted
        r"|(?P<bare>[^\s\"'`,;&(){}\[\]<>$]{6,256}+)(?=[\s,;&]|$))",  # bare, then a separator
    ),
}
# Written in lower case and run over the lowered text: the stdlib engine pays
# ~5x more for an IGNORECASE alternation.
_CASELESS = frozenset({"aws_secret_key", "generic_api_key"})
# OpenAI keys carry "T3BlbkFJ" (base64 of "OpenAI"); others share the sk- shape.
_OPENAI_MARKER = "T3BlbkFJ"
_PLACEHOLDERS = (
    *("xxx", "***", "...", "your", "example", "changeme", "change_me", "placeholder"),
    *("redacted", "dummy", "<", "{{", "${", "%(", "://"),
)

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+){0,5})-----")
_PEM_END = re.compile(r"-----END ([A-Z0-9]+(?: [A-Z0-9]+){0,5})-----")
# What follows a BEGIN line whose END line is missing: RFC 1421 headers
# ("Proc-Type: 4,ENCRYPTED"), a blank line, base64 lines, a last line cut short.
# Line breaks may be real or JSON-escaped.
_BR = r"(?:\r?\n|\\n)"
_PEM_BODY = re.compile(
    rf"{_BR}?(?:[A-Za-z-]+:[^\r\n\\]*{_BR})*{_BR}?"
    rf"(?:[ \t]*[A-Za-z0-9+/=]+[ \t]*{_BR})*(?:[ \t]*[A-Za-z0-9+/=]{{16,}})?"
)
_BLANK = re.compile(r"\s*")
_DATA_URI = r";base64,[A-Za-z0-9+/]+=*"  # long base64 payloads, but no secrets
_HEX = re.compile(r"[0-9a-fA-F-]+")
_LOWER_RUN = re.compile(r"[a-z]{3,}")
_SEPARATORS = re.compile(r"[/_+.=-]+")
_CLASS_RUNS = re.compile(r"[a-z]+|[A-Z]+|[0-9]+")
_SHADOW = ""  # category of spans that are never reported, only stop high_entropy
#: bits per character of random alphanumerics; assigned values score by it
_RANDOM_BITS = 4.0

_Finder: TypeAlias = Callable[[str], Iterator[tuple[int, int, float]]]


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _jwt_score(token: str) -> float:
    """1.0 if the header decodes to a JSON object naming its "alg", else 0.0."""
    header = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError):  # JSONDecodeError and bad UTF-8 are ValueErrors
        return 0.0
    return 1.0 if isinstance(decoded, dict) and "alg" in decoded else 0.0


def _looks_random(token: str) -> bool:
    """Whether some piece between separators (``/_-+.=``) reads as random: 8+
    characters of mixed case that switch between lower, upper and digits every
    two characters or sooner, with few lowercase runs of 3+. Identifiers
    (``getUserById2FromDatabase``), paths and ``BSD-3-Clause-No-Nuclear`` fail;
    85-95% of random base62/64 tokens of 20-40 characters pass. The token must
    contain a digit as well."""
    return any(c.isdigit() for c in token) and any(
        len(piece) >= 8
        and piece.lower() != piece != piece.upper()
        and 2 * len(_CLASS_RUNS.findall(piece)) > len(piece)
        and sum(map(len, _LOWER_RUN.findall(piece))) <= 0.6 * len(piece)
        for piece in _SEPARATORS.split(token)
    )


class SecretsGuard(SyncGuard):
    """Reports API keys, tokens, private keys and other credentials as spans."""

    Settings = SecretsGuardSettings

    def __init__(self, name: str, settings: SecretsGuardSettings) -> None:
        self.name = name
        enabled = set(settings.detectors)
        self.categories = tuple(d for d in DETECTORS if d in enabled)
        self._threshold = settings.entropy_threshold
        self._gate = re2.Set.SearchSet()
        self._finders: list[tuple[int, str, _Finder]] = []
        # For ``settled``: a twin per pattern, and the whole matches (not the
        # value groups) per finder, which are what can straddle the held point.
        self._twins: list[Twin] = []
        self._spans: list[Callable[[str, int], Iterable[tuple[int, int]]]] = []
        self._pem = False
        checks: dict[str, Callable[[str], float]] = {
            "jwt": _jwt_score,
            "openai_api_key": _openai_score,
            "generic_api_key": _assigned_score,
            "high_entropy": self._entropy_score,
        }

        def add(category: str, gate: str, finder: _Finder, pattern: str | None = None) -> None:
            # Ranks are doubled so that shadows slot in just before high_entropy.
            rank = 2 * DETECTORS.index(category or "high_entropy") - (not category)
            self._gate.Add(gate)
            self._finders.append((rank, category, finder))
            if pattern is None:  # a PEM block: rare, so all of them
                self._pem = True
                self._spans.append(lambda text, at: ((a, b) for a, b, _ in finder(text)))
                return
            caseless = category in _CASELESS
            twin = python_twin(pattern, regex.ASCII | regex.IGNORECASE * caseless)
            self._twins.append(twin)
            self._spans.append(_around(pattern, twin, caseless=caseless))

        if "private_key" in enabled:
            add("private_key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY", _pem_blocks(private=True))
        for category, (gate, pattern) in _PATTERNS.items():
            if category in enabled:
                caseless = category in _CASELESS
                finder = _matches(pattern, checks.get(category), caseless=caseless)
                add(category, gate, finder, pattern)
        if "high_entropy" in enabled:
            # Certificates, public keys and data URIs are long base64, no secret.
            add(_SHADOW, r"-----BEGIN ", _pem_blocks(private=False))
            add(_SHADOW, r";base64,", _matches(_DATA_URI, None), _DATA_URI)
            n = settings.min_token_length
            token = rf"(?<![\w+/=-])[A-Za-z0-9+/_-]{{{n},1024}}+={{0,2}}+(?![\w+/=-])"
            gate = rf"[A-Za-z0-9+/_-]{{{min(n, 64)}}}"  # RE2 caps counts at 1000
            add("high_entropy", gate, _matches(token, checks["high_entropy"]), token)
        self._gate.Compile()

    def scan_one(self, text: str) -> tuple[Finding, ...]:
        # Bytes, because RE2's own encoding fails on lone surrogates ("\ud800"),
        # which JSON can carry; the gate needs no offsets.
        hits = self._gate.Match(text.encode("utf-8", "surrogatepass"))
        if not hits:
            return ()
        found: list[Candidate] = []
        for index in hits:
            rank, category, finder = self._finders[index]
            found.extend((rank, start, end, category, score) for start, end, score in finder(text))
        return best_non_overlapping(found, drop=frozenset({_SHADOW})) if found else ()

    def settled(self, text: str) -> int:
        """Up to the first place a key could still start or change (the last
        word of prose could be the start of a random token; an open PEM block
        holds from its BEGIN line), moved back over matches straddling it."""
        held = held_from(self._twins, text)
        if self._pem:
            held = min(held, _pem_open(text))
        if held == len(text):
            return held
        hits = self._gate.Match(text.encode("utf-8", "surrogatepass")) or ()
        finders = [self._spans[i] for i in hits]
        return widen(held, lambda at: [span for find in finders for span in find(text, at)])

    def _entropy_score(self, token: str) -> float:
        """Above the threshold, how close the token comes to the most entropy a
        string of its length can have: random tokens score about 0.8."""
        body = token.rstrip("=")
        if _HEX.fullmatch(body) or not _looks_random(body):
            return 0.0  # hex digests, git SHAs and UUIDs are not secrets by shape
        entropy = _entropy(body)
        if entropy < self._threshold:
            return 0.0
        headroom = max(math.log2(min(len(body), 64)) - self._threshold, 0.1)
        return 0.5 + 0.5 * min(1.0, (entropy - self._threshold) / headroom)


def _openai_score(value: str) -> float:
    if _OPENAI_MARKER in value:
        return 1.0
    # The same shape without the marker: another vendor's key (0.7), or a
    # hyphenated name such as "sk-some-long-option-name" if it has no digit.
    return 0.7 if any(c.isdigit() for c in value) else 0.0


def _assigned_score(value: str) -> float:
    """0.5 for the naming alone, rising with the value's entropy toward 1.0:
    ``password = "hunter2"`` is a leak, if a weaker one than a random key."""
    lowered = value.lower()
    if value.startswith("#") or any(p in lowered for p in _PLACEHOLDERS):
        return 0.0  # a colour ("#ddd0c0"), a placeholder or a URL
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return 0.0  # "None", "str", "4096", "settings.key": code, not a secret
    return 0.5 + 0.5 * min(1.0, _entropy(value) / _RANDOM_BITS)


def _matches(
    pattern: str, check: Callable[[str], float] | None, *, caseless: bool = False
) -> _Finder:
    compiled = re.compile(pattern, re.ASCII)
    folding = re.compile(pattern, re.ASCII | re.IGNORECASE) if caseless else compiled
    groups = [g for g in ("value", "bare") if g in compiled.groupindex]

    def find(text: str) -> Iterator[tuple[int, int, float]]:
        scanned, scanner = text, compiled
        if caseless:
            # lower() never shrinks a character, so equal lengths mean aligned offsets.
            scanned = text.lower()
            if len(scanned) != len(text):
                scanned, scanner = text, folding
        for m in scanner.finditer(scanned):
            start, end = m.span(next((g for g in groups if m[g] is not None), 0))
            score = check(text[start:end]) if check else 1.0
            if score:
                yield start, end, score

    return find


def _around(
    pattern: str, twin: Twin, *, caseless: bool = False
) -> Callable[[str, int], Iterator[tuple[int, int]]]:
    """For ``settled``: the whole matches (value groups or not, checked or not)
    that start before a point, read from the start of the run around it."""
    compiled = re.compile(pattern, re.ASCII)
    folding = re.compile(pattern, re.ASCII | re.IGNORECASE)

    def find(text: str, at: int) -> Iterator[tuple[int, int]]:
        scanned, scanner = text, compiled
        if caseless:
            scanned = text.lower()
            if len(scanned) != len(text):
                scanned, scanner = text, folding
        yield from matches_around(scanner, twin, scanned, at)

    return find


_PEM_BEGIN_TWIN = python_twin(_PEM_BEGIN.pattern)


def _pem_open(text: str) -> int:
    """Where the first PEM block starts that appended text could still change:
    a BEGIN line being written, or one no END line of its label closes yet
    (its body may go on, or an END may turn a cut-short key into a whole one)."""
    held = _PEM_BEGIN_TWIN.held_from(text)
    for begin in _PEM_BEGIN.finditer(text):
        if begin.start() >= held:
            break
        body = _PEM_BODY.match(text, begin.end())
        stop = body.end() if body else begin.end()
        end = _PEM_END.search(text, begin.end())
        closed = (
            end is not None
            and end[1] == begin[1]
            and _BLANK.fullmatch(text, stop, end.start()) is not None
        )
        if not closed or end is None or end.end() >= len(text):
            return begin.start()
    return held


def _pem_blocks(*, private: bool) -> _Finder:
    """Whole BEGIN-to-END blocks (1.0), or a BEGIN line and the key lines after
    it where the END line is missing (0.9: cut short, still key material)."""

    def find(text: str) -> Iterator[tuple[int, int, float]]:
        pos = 0
        end: re.Match[str] | None = None
        exhausted = False  # no END after some point: none after any later one
        while (begin := _PEM_BEGIN.search(text, pos)) is not None:
            pos = begin.end()
            if ("PRIVATE KEY" in begin[1]) != private:
                continue
            if not exhausted and (end is None or end.start() < pos):
                end = _PEM_END.search(text, pos)  # searched again only once passed
                exhausted = end is None
            body = _PEM_BODY.match(text, pos)
            stop = body.end() if body else pos
            if end is not None and end[1] == begin[1] and _BLANK.fullmatch(text, stop, end.start()):
                pos = end.end()
                yield begin.start(), pos, 1.0
                continue
            pos = stop
            while stop > begin.end() and text[stop - 1].isspace():
                stop -= 1
            if stop - begin.end() >= 16:  # a BEGIN line alone (a constant in code) leaks nothing
                yield begin.start(), stop, 0.9

    return find
