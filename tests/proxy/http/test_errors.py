"""Requests no route takes, in process: unknown paths and wrong methods are
answered in OpenAI's error shape."""

from __future__ import annotations

from tests.support.inprocess import AppGatewayFactory

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
"""


async def test_unknown_path_is_404_in_openai_shape(app_gateway: AppGatewayFactory) -> None:
    http = (await app_gateway(POLICY)).http()
    response = await http.post("/v1/images/generations", json={})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_wrong_method_is_405(app_gateway: AppGatewayFactory) -> None:
    response = await (await app_gateway(POLICY)).http().get("/v1/chat/completions")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
