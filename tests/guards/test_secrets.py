from __future__ import annotations

import base64
import json
import random
import string
from collections import Counter
from collections.abc import Callable
from typing import Any

import pydantic
import pytest

from sluicegate.guards import secrets as secrets_module
from sluicegate.guards.base import Finding, GuardResult, Span
from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.registry import default_registry
from sluicegate.guards.secrets import SecretsGuard
from tests.support.work import Work, assert_linear, instrumented, repeated

# Test credentials are assembled from pieces so that no secret scanner mistakes
# this file for a leak; none of them is or was ever live.
RNG = random.Random(7)


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


AWS_ACCESS = "AKIA" + "IOSFODNN7EXAMPLE"  # the example key of AWS's documentation
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG" + "/bPxRfiCYEXAMPLEKEY"
GCP = "AIza" + "SyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"
GITHUB = "ghp" + "_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"
GITHUB_FINE = "github" + "_pat_11ABCDEFG0" + rand(72, string.ascii_letters + string.digits + "_")
SLACK = "xox" + "b-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
STRIPE = "sk" + "_live_4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_RESTRICTED = "rk" + "_test_51H8abcDEFghiJKLmnoPQRstu"
ANTHROPIC = "sk-ant" + "-api03-" + rand(93, string.ascii_letters + string.digits + "_-") + "AA"
OPENAI = "sk-proj-" + rand(74) + "T3Blbk" + "FJ" + rand(74)
OPENAI_LIKE = "sk-" + rand(32, string.ascii_lowercase + string.digits)
RANDOM_TOKEN = "Zx9kQ2mLp7RtV4wN8bY3cF6hJ1sD5gT0"


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


JWT = ".".join(
    [
        b64url({"alg": "HS256", "typ": "JWT"}),
        b64url({"sub": "1234567890", "name": "Jane", "iat": 1516239022}),
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]
)
PEM_BODY = "\n".join(rand(64, string.ascii_letters + string.digits + "+/") for _ in range(5))
PRIVATE_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
CERTIFICATE = f"-----BEGIN CERTIFICATE-----\n{PEM_BODY}\n-----END CERTIFICATE-----"


def make(**settings: Any) -> SecretsGuard:
    guard = default_registry().create("secrets", "secrets", settings)
    assert isinstance(guard, SecretsGuard)
    return guard


GUARD = make()


def found(text: str, guard: SecretsGuard = GUARD) -> list[tuple[str, str]]:
    """(category, matched text) per finding, in order."""
    return [(f.category, text[f.span.start : f.span.end]) for f in guard.scan_one(text) if f.span]


def test_categories_default_to_every_detector_in_priority_order() -> None:
    assert GUARD.categories == (
        "private_key",
        "jwt",
        "aws_access_key",
        "aws_secret_key",
        "gcp_api_key",
        "github_token",
        "slack_token",
        "stripe_key",
        "anthropic_api_key",
        "openai_api_key",
        "generic_api_key",
        "high_entropy",
    )
    assert make(detectors=["jwt", "private_key"]).categories == ("private_key", "jwt")


@pytest.mark.parametrize(
    ("category", "value"),
    [
        ("aws_access_key", AWS_ACCESS),
        ("gcp_api_key", GCP),
        ("github_token", GITHUB),
        ("github_token", GITHUB_FINE),
        ("slack_token", SLACK),
        ("slack_token", SLACK_HOOK),
        ("stripe_key", STRIPE),
        ("stripe_key", STRIPE_RESTRICTED),
        ("anthropic_api_key", ANTHROPIC),
        ("openai_api_key", OPENAI),
        ("jwt", JWT),
    ],
)
def test_vendor_formats_with_exact_span_and_full_score(category: str, value: str) -> None:
    text = f"here it is: {value} (do not share)"
    assert GUARD.scan_one(text) == (Finding(category, 1.0, Span(12, 12 + len(value))),)


def test_aws_secret_key_needs_its_name() -> None:
    text = f"aws_access_key_id = {AWS_ACCESS}\naws_secret_access_key = {AWS_SECRET}\n"
    assert found(text) == [("aws_access_key", AWS_ACCESS), ("aws_secret_key", AWS_SECRET)]
    assert found(f'"SecretAccessKey": "{AWS_SECRET}"') == [("aws_secret_key", AWS_SECRET)]
    assert "aws_secret_key" not in {category for category, _ in found(f"value {AWS_SECRET}")}


def test_openai_shape_without_its_marker_scores_lower() -> None:
    (finding,) = GUARD.scan_one(f"key {OPENAI_LIKE}")
    assert (finding.category, finding.score) == ("openai_api_key", 0.7)
    assert found("run with --sk-this-is-some-long-option-name") == []


def test_anthropic_key_is_not_also_an_openai_key() -> None:
    assert found(f"ANTHROPIC_API_KEY={ANTHROPIC}") == [("anthropic_api_key", ANTHROPIC)]


def test_jwt_header_must_decode_to_json_with_alg() -> None:
    no_alg = ".".join([b64url({"typ": "JWT"}), b64url({"sub": "1"}), "c2lnbmF0dXJl"])
    not_json = "eyJub3QganNvbg." + b64url({"sub": "1"}) + ".c2lnbmF0dXJl"
    assert "jwt" not in {category for category, _ in found(f"{no_alg} {not_json}")}


def test_private_key_block_is_one_span() -> None:
    text = f"my key:\n{PRIVATE_KEY}\nthanks"
    assert GUARD.scan_one(text) == (Finding("private_key", 1.0, Span(8, 8 + len(PRIVATE_KEY))),)


def test_private_key_cut_short_still_counts() -> None:
    header = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    text = f"{header}{PEM_BODY}\n\nwhat does this key do?"
    (finding,) = GUARD.scan_one(text)
    assert (finding.category, finding.score) == ("private_key", 0.9)
    assert text[finding.span.start : finding.span.end] == header + PEM_BODY


def test_pgp_and_crlf_private_key_blocks() -> None:
    pgp = (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n"
        f"{PEM_BODY}\n=nX0b\n-----END PGP PRIVATE KEY BLOCK-----"
    )
    crlf = PRIVATE_KEY.replace("\n", "\r\n")
    assert found(f"{pgp}\n\n{crlf}") == [("private_key", pgp), ("private_key", crlf)]


def test_json_escaped_private_key() -> None:
    escaped = PRIVATE_KEY.replace("\n", "\\n")
    assert found(json.dumps({"key": PRIVATE_KEY})) == [("private_key", escaped)]


def test_certificates_and_data_uris_are_not_secrets() -> None:
    data_uri = "data:image/png;base64," + rand(120, string.ascii_letters + string.digits + "+/")
    assert found(f"{CERTIFICATE}\n<img src='{data_uri}'>") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('config = {"api_key": "a8f3kQ9zL2mN7pR4"}', "a8f3kQ9zL2mN7pR4"),
        ("password: hunter2!", "hunter2!"),
        ("DB_PASSWORD=s3cr3tP4ss", "s3cr3tP4ss"),
        ("client_secret := 'c1i3nt-s3cr3t-v4lue'", "c1i3nt-s3cr3t-v4lue"),
        ("apiKey: `k3y-0f-th3-day`", "k3y-0f-th3-day"),
        ("Authorization: Bearer abcDEF123ghiJKL456mnoPQR", "abcDEF123ghiJKL456mnoPQR"),
        ("GET /cb?access_token=h480djs93hd8&state=xyz", "h480djs93hd8"),
    ],
)
def test_assignments_to_secret_names(text: str, value: str) -> None:
    (finding,) = GUARD.scan_one(text)
    assert finding.category == "generic_api_key"
    assert text[finding.span.start : finding.span.end] == value
    assert 0.5 <= finding.score <= 1.0


def test_assignment_score_grows_with_the_value_entropy() -> None:
    (weak,) = GUARD.scan_one("password = aaaaaaa1")
    (strong,) = GUARD.scan_one(f"password = {RANDOM_TOKEN[:16]}")
    assert 0.5 <= weak.score < strong.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        'api_key = os.environ["API_KEY"]',
        "def login(password: str, token: str | None = None) -> None:",
        "max_tokens=1000000",
        'tokenizer = AutoTokenizer.from_pretrained("gpt2")',
        "secret = '<your-secret-here>'",
        'password = "changeme123"',
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "api_key = settings.openai_api_key",
        'Token: "#ddd0c0",',  # a colour in a syntax theme
        "bearer token: https://tools.ietf.org/html/rfc6750",
        'BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"\nEND = "-----END OPENSSH PRIVATE KEY-----"',
        "The password is stored in the vault; the token expires in 3600 seconds.",
    ],
)
def test_code_and_prose_about_secrets_are_not_secrets(text: str) -> None:
    assert found(text) == []


def test_high_entropy_token_scales_with_randomness() -> None:
    (finding,) = GUARD.scan_one(f"use {RANDOM_TOKEN} to connect")
    assert finding.span == Span(4, 4 + len(RANDOM_TOKEN))
    assert finding.category == "high_entropy"
    assert 0.5 < finding.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed it",  # git SHA
        "request 550e8400-e29b-41d4-a716-446655440000 failed",  # UUID
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "call getUserById2FromDatabase and base64EncodedCertificate2",  # identifiers
        "open src/components/Button2/IndexPage.tsx",  # path
        "pod kube-system-coredns-5d78c9869d-x7k2p restarted",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaAAAA1111",  # long but not random
        "License: BSD-3-Clause-No-Nuclear-License-2014",
        "see https://help.qlik.com/en-US/sense/August2021/Subsystems/Hub/Content",
        "NFCISO15693ReaderSession ITCGetAllChannelsConfig2 x86_64-linux-gnu",
    ],
)
def test_long_tokens_that_are_not_secrets(text: str) -> None:
    assert found(text) == []


def test_entropy_settings_are_honoured() -> None:
    assert found(RANDOM_TOKEN, make(min_token_length=40)) == []
    assert found(RANDOM_TOKEN, make(entropy_threshold=5.5)) == []
    assert found(RANDOM_TOKEN[:12], make(min_token_length=12)) == [
        ("high_entropy", RANDOM_TOKEN[:12])
    ]


def test_specific_detector_wins_over_generic_and_entropy() -> None:
    text = f'OPENAI_API_KEY="{OPENAI}"\ntoken: {JWT}\n'
    assert found(text) == [("openai_api_key", OPENAI), ("jwt", JWT)]


def test_disabled_detectors_are_not_reported() -> None:
    guard = make(detectors=["github_token"])
    assert found(f"{GITHUB} {STRIPE} password=hunter2! {RANDOM_TOKEN}", guard) == [
        ("github_token", GITHUB)
    ]


def test_many_findings_in_text_order() -> None:
    text = f"gh {GITHUB}\nslack {SLACK}\n{PRIVATE_KEY}\npassword: hunter2!\nblob {RANDOM_TOKEN}"
    assert [category for category, _ in found(text)] == [
        "github_token",
        "slack_token",
        "private_key",
        "generic_api_key",
        "high_entropy",
    ]


def test_lone_surrogates_and_non_ascii_text_keep_offsets() -> None:
    text = f"\ud800 İstanbul ключ {GITHUB} PASSWORD: hünter2!"
    assert found(text) == [("github_token", GITHUB), ("generic_api_key", "hünter2!")]


async def test_scan_keeps_batch_order() -> None:
    texts = ["nothing here", f"key {STRIPE}", "", f"gh {GITHUB}"]
    results = await GUARD.scan(texts)
    assert [r.guard for r in results] == ["secrets"] * 4
    assert [[f.category for f in r.findings] for r in results] == [
        [],
        ["stripe_key"],
        [],
        ["github_token"],
    ]
    assert results[2] == GuardResult("secrets", ())


async def test_large_batch_runs_off_the_event_loop_with_same_results() -> None:
    texts = [f"token {GITHUB} " * 200 for _ in range(20)]  # > offload threshold
    results = await GUARD.scan(texts)
    assert [len(r.findings) for r in results] == [200] * 20


def test_unknown_setting_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError):
        SecretsGuard.Settings.model_validate({"detector": ["jwt"]})
    with pytest.raises(GuardConfigError) as info:
        default_registry().create("secrets", "secrets", {"detector": ["jwt"]})
    assert info.value.field == ("detector",)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"detectors": ["passwords"]}, "detectors"),
        ({"detectors": []}, "detectors"),
        ({"entropy_threshold": 0}, "entropy_threshold"),
        ({"min_token_length": 4}, "min_token_length"),
    ],
)
def test_invalid_settings_name_the_field(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(GuardConfigError) as info:
        default_registry().create("secrets", "secrets", settings)
    assert info.value.field[0] == field


# Hostile shapes: (unit, suffix, findings for ``units`` repetitions). Each
# unit is a near-miss of a pattern (a prefix, an operator, a BEGIN line) that
# a careless pattern would retry or read past at every repetition.
HOSTILE: list[tuple[str, str, Callable[[int], dict[str, int]]]] = [
    ("a", "", lambda units: {}),
    ("Aa1", "", lambda units: {}),
    ("-----BEGIN RSA PRIVATE KEY-----", "", lambda units: {}),
    # One cut-short block: no END line of its label follows.
    (
        "-----BEGIN A PRIVATE KEY-----\nAAAA:",
        "-----END B PRIVATE KEY-----",
        lambda units: {"private_key": 1},
    ),
    ("eyJ", "", lambda units: {}),
    ("eyJabc.", "", lambda units: {}),
    ("sk-", "", lambda units: {}),
    ("sk-ant-api03-", "", lambda units: {}),
    ("password=", "", lambda units: {}),
    ("password=", '"', lambda units: {}),  # no separator at the end: values never close
    ('password="', "", lambda units: {}),
    ("token: aaaaaaa1 ", "", lambda units: {"generic_api_key": units}),
    ("Bearer ", "", lambda units: {}),
    ("secret_access_key=", "", lambda units: {}),
    ("xoxb-", "", lambda units: {}),
    (RANDOM_TOKEN + " ", "", lambda units: {"high_entropy": units}),
]


@pytest.mark.parametrize(("unit", "suffix", "expected"), HOSTILE)
def test_hostile_input_costs_linear_work(
    unit: str, suffix: str, expected: Callable[[int], dict[str, int]]
) -> None:
    # Counted, not timed: the Python lines run, the steps a backtracking
    # matcher needs for every stdlib pattern the guard runs, and the
    # characters RE2 reads, each growing at most in proportion to the text.
    guard = make()
    with instrumented(guard, secrets_module) as meter:

        def work_at(chars: int) -> Work:
            text = repeated(unit, chars, suffix)
            found: list[Finding] = []
            work = meter.measure(lambda: found.extend(guard.scan_one(text)))
            assert Counter(f.category for f in found) == expected(len(text) // len(unit))
            return work

        assert_linear(work_at, 4_000)


def test_plain_prompt_runs_no_python_pattern() -> None:
    # The fast path: the RE2 gate finds nothing in ordinary prose, so no
    # stdlib pattern runs, and the cost beyond that one pass does not grow
    # with the prompt.
    prompt = (
        "Please plan a five-day trip to Lisbon in March for three friends with a budget "
        "of about $3,500. We like museums, food and walking, one of us is vegetarian. "
    ) * 28
    guard = make()
    with instrumented(guard, secrets_module) as meter:
        short = meter.measure(lambda: guard.scan_one(prompt[:1024]))
        long = meter.measure(lambda: guard.scan_one(prompt[:4096]))
    assert guard.scan_one(prompt) == ()
    assert short.backtracking == long.backtracking == 0
    assert (short.scanned, long.scanned) == (1024, 4096)  # the gate's one pass
    assert short.lines == long.lines
