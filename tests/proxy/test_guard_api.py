"""POST /v1/guard, and the remote guard type that calls it."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import GatewayFactory
from tests.support.servers import MockUpstream

SERVICE_POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
  slow: {type: trigger, stages: [output], triggers: {"x": y}}
rules: []
"""


def test_guard_endpoint_scores_texts(gateway: GatewayFactory) -> None:
    http = gateway(SERVICE_POLICY).http()
    response = http.post("/v1/guard", json={"texts": ["mail jane@example.com", "fine"]})
    assert response.status_code == 200
    body = response.json()
    assert body["policy"] == "default"
    first, second = body["results"]
    assert set(first) == {"t"}  # input-stage guards by default
    [finding] = first["t"]["findings"]
    assert finding == {"category": "email", "score": 1.0, "start": 5, "end": 21}
    assert second["t"]["findings"] == []
    named = http.post("/v1/guard", json={"texts": ["x"], "guards": ["slow"]}).json()
    assert named["results"][0]["slow"]["findings"][0]["category"] == "y"


@pytest.mark.parametrize(
    "body",
    [
        {"texts": "one"},
        {"texts": [1]},
        {"texts": ["a"], "guards": ["nope"]},
        {"texts": ["a"], "stage": "middle"},
    ],
)
def test_guard_endpoint_rejects_bad_input(gateway: GatewayFactory, body: dict[str, object]) -> None:
    response = gateway(SERVICE_POLICY).http().post("/v1/guard", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_remote_guard_blocks_through_another_gateway(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    service = gateway(SERVICE_POLICY)
    front = gateway(f"""\
version: 1
guards:
  far: {{type: remote, url: "{service.url}", guard: t, categories: [bad, email]}}
rules:
  - {{name: block, when: 'scores["far.bad"] > 0.5', action: block}}
  - {{name: redact, when: 'scores["far.email"] > 0.5', action: redact}}
""")
    with pytest.raises(openai.BadRequestError):
        front.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "BLOCKME"}]
        )
    front.client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "to jane@example.com"}]
    )
    assert upstream.requests[0].body["messages"][0]["content"] == "to [EMAIL]"


def test_unreachable_remote_guard_fails_closed(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    front = gateway("""\
version: 1
guards:
  far: {type: remote, url: "http://127.0.0.1:9", guard: t, categories: [bad]}
rules: []
""")
    with pytest.raises(openai.BadRequestError):
        front.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hello"}]
        )
    assert upstream.requests == []
    assert "far" in front.audit()[0]["input"]["guard_errors"]
