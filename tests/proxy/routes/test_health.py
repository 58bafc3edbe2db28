"""GET /healthz in process: an unavailable optional guard makes the gateway
degraded, and the requests it would check fail closed."""

from __future__ import annotations

import openai
import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream

DEGRADED = """\
version: 1
guards:
  t: {type: trigger, triggers: {"bad": harm}}
  heavy: {type: sequence-classifier, model: /nonexistent/guard, optional: true}
rules:
  - {name: block-bad, when: 'scores["t.harm"] >= 0.5', action: block}
  - {name: block-heavy, when: 'scores["heavy"] >= 0.5', action: block}
"""


async def test_health_reports_an_unavailable_optional_guard_and_requests_fail_closed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    pytest.importorskip("torch")
    gw = await app_gateway(DEGRADED)
    health = await gw.http().get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    reason = body["unavailable_guards"]["default/heavy"]
    assert "no such directory /nonexistent/guard" in reason
    with pytest.raises(openai.BadRequestError) as info:
        await gw.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hello"}]
        )
    assert info.value.code == "content_filter"
    assert mock_upstream.requests == []
    assert gw.audit()[-1]["input"]["reason"] == "guard_error_fail_closed"
    assert "unavailable" in gw.audit()[-1]["input"]["guard_errors"]["heavy"]
