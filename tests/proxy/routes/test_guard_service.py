"""POST /v1/guard in process: texts scored by a policy's guards, bad input
refused; and a remote guard whose service cannot be reached fails closed.
(A remote guard calling another gateway: tests/e2e/test_remote_guard.py.)"""

from __future__ import annotations

import openai
import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream

SERVICE_POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
  slow: {type: trigger, stages: [output], triggers: {"x": y}}
rules: []
"""


async def test_guard_endpoint_scores_texts(app_gateway: AppGatewayFactory) -> None:
    http = (await app_gateway(SERVICE_POLICY)).http()
    response = await http.post("/v1/guard", json={"texts": ["mail jane@example.com", "fine"]})
    assert response.status_code == 200
    body = response.json()
    assert body["policy"] == "default"
    first, second = body["results"]
    assert set(first) == {"t"}  # input-stage guards by default
    [finding] = first["t"]["findings"]
    assert finding == {"category": "email", "score": 1.0, "start": 5, "end": 21}
    assert second["t"]["findings"] == []
    named = (await http.post("/v1/guard", json={"texts": ["x"], "guards": ["slow"]})).json()
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
async def test_guard_endpoint_rejects_bad_input(
    app_gateway: AppGatewayFactory, body: dict[str, object]
) -> None:
    response = await (await app_gateway(SERVICE_POLICY)).http().post("/v1/guard", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_unreachable_remote_guard_fails_closed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    front = await app_gateway("""\
version: 1
guards:
  far: {type: remote, url: "http://127.0.0.1:9", guard: t, categories: [bad]}
rules: []
""")
    with pytest.raises(openai.BadRequestError):
        await front.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hello"}]
        )
    assert mock_upstream.requests == []
    assert "far" in front.audit()[0]["input"]["guard_errors"]
