"""Bad client input gets a clear 4xx in OpenAI's error shape, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import GatewayFactory
from tests.support.servers import MockUpstream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
"""

CASES = [
    (b"{not json", 400, "invalid_json"),
    (b"", 400, "invalid_json"),
    (b"[1, 2]", 400, "invalid_json"),
    (b'{"model": "m"}', 400, "missing_field"),
    (b'{"model": "m", "messages": "hi"}', 400, "invalid_request"),
    (b'{"model": "m", "messages": []}', 400, "invalid_request"),
    (b'{"model": "m", "messages": [{"content": "no role"}]}', 400, "invalid_request"),
    (b'{"model": 5, "messages": [{"role": "user", "content": "x"}]}', 400, "invalid_type"),
    (
        b'{"model": "m", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}',
        400,
        "invalid_type",
    ),
    (b'{"model": "m", "messages": [{"role": "user", "content": 42}]}', 400, "invalid_request"),
    (
        b'{"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]}',
        400,
        "invalid_request",
    ),
    (b'{"model": "m", "messages": [{"role": "user", "content": "caf\xe9"}]}', 400, "invalid_utf8"),
]


@pytest.mark.parametrize(("body", "status", "code"), CASES)
def test_bad_chat_bodies(
    gateway: GatewayFactory, upstream: MockUpstream, body: bytes, status: int, code: str
) -> None:
    http = gateway(POLICY).http()
    response = http.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] == "invalid_request_error"
    assert error["message"]
    assert upstream.requests == []


# Bodies that once made the readers raise (HTTP 500); found by test_openapi_fuzz.
MALFORMED_PARTS = [
    (
        "/v1/chat/completions",
        {"messages": [{"role": "user", "content": [{"type": {}}]}]},
        "messages",
    ),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": [None, None]}]}, "messages"),
    (
        "/v1/chat/completions",
        {
            "messages": [{"role": "developer", "content": [{"type": {}, "text": "x"}]}],
            "web_search_options": {"search_context_size": "low"},
        },
        "messages",
    ),
    (
        "/v1/chat/completions",
        {"messages": [{"role": "user", "content": "x"}], "prediction": {"content": [{"type": []}]}},
        "prediction",
    ),
    ("/v1/responses", {"input": [{"type": {}, "content": "x"}]}, "input"),
    ("/v1/responses", {"input": [{"role": {}, "content": "x"}]}, "input"),
    ("/v1/responses", {"input": [{"role": "user", "content": [{"type": [1]}]}]}, "input"),
    ("/v1/responses", {"input": [None, None]}, "input"),
]


@pytest.mark.parametrize(("path", "body", "param"), MALFORMED_PARTS)
def test_malformed_parts_are_a_400_naming_the_field(
    gateway: GatewayFactory, upstream: MockUpstream, path: str, body: dict[str, object], param: str
) -> None:
    response = gateway(POLICY).http().post(path, json={"model": "m", **body})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert error["code"] == "invalid_request"
    assert upstream.requests == []


def test_body_over_limit_is_413(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    http = gateway(POLICY, max_body_bytes=1000).http()
    big = b'{"model": "m", "messages": [{"role": "user", "content": "' + b"a" * 2000 + b'"}]}'
    response = http.post("/v1/chat/completions", content=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"

    def chunks():  # no content-length: the limit must hold while streaming too
        yield big[:600]
        yield big[600:]

    response = http.post("/v1/chat/completions", content=chunks())
    assert response.status_code == 413
    assert upstream.requests == []


def test_malformed_token_id_prompts_are_refused(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    # Token ids themselves are accepted (tests/proxy/test_token_input.py); mixed
    # or non-integer lists are not.
    http = gateway(POLICY).http()
    for body in ({"prompt": [1, "a"]}, {"prompt": [[1.5]]}, {"prompt": {"a": 1}}):
        response = http.post("/v1/completions", json={"model": "m", **body})
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "prompt"
    response = http.post("/v1/embeddings", json={"model": "m", "input": [[1, None]]})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input"
    assert upstream.requests == []


def test_unknown_path_is_404_in_openai_shape(gateway: GatewayFactory) -> None:
    http = gateway(POLICY).http()
    response = http.post("/v1/images/generations", json={})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405(gateway: GatewayFactory) -> None:
    response = gateway(POLICY).http().get("/v1/chat/completions")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_header_policy_not_allowed(gateway: GatewayFactory, upstream: MockUpstream) -> None:
    http = gateway(POLICY).http()
    response = http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
        headers={"x-sluicegate-policy": "strict"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "policy_not_allowed"
    assert upstream.requests == []
