"""What every guarded route does the same way, in process: a malformed part
of a body is a 400 naming its field, token-id prompts that are not lists of
ints are refused, a policy header the config does not allow is refused;
nothing reaches the upstream."""

from __future__ import annotations

import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
"""


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
async def test_malformed_parts_are_a_400_naming_the_field(
    app_gateway: AppGatewayFactory,
    mock_upstream: MockUpstream,
    path: str,
    body: dict[str, object],
    param: str,
) -> None:
    response = await (await app_gateway(POLICY)).http().post(path, json={"model": "m", **body})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert error["code"] == "invalid_request"
    assert mock_upstream.requests == []


async def test_malformed_token_id_prompts_are_refused(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    # Token ids themselves are accepted (tests/proxy/routes/test_token_input.py); mixed
    # or non-integer lists are not.
    http = (await app_gateway(POLICY)).http()
    for body in ({"prompt": [1, "a"]}, {"prompt": [[1.5]]}, {"prompt": {"a": 1}}):
        response = await http.post("/v1/completions", json={"model": "m", **body})
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "prompt"
    response = await http.post("/v1/embeddings", json={"model": "m", "input": [[1, None]]})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input"
    assert mock_upstream.requests == []


async def test_header_policy_not_allowed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    http = (await app_gateway(POLICY)).http()
    response = await http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
        headers={"x-sluicegate-policy": "strict"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "policy_not_allowed"
    assert mock_upstream.requests == []
