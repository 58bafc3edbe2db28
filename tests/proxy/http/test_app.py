"""What clients see besides the body, in process: the client's own request id
echoed and audited, CORS when configured. (Model lookups:
tests/proxy/routes/test_passthrough.py; one Date and one Server header over a
real socket: tests/e2e/test_headers.py.)"""

from __future__ import annotations

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream, Reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
"""
USER = [{"role": "user", "content": "hi"}]
MODEL = {"id": "gpt-x", "object": "model", "created": 0, "owned_by": "me"}


async def test_client_request_id_is_echoed_and_audited(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    http = gw.http()
    response = await http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"x-request-id": "client-123"},
    )
    assert response.headers.get_list("x-request-id") == ["client-123"]
    ours = response.headers["x-sluicegate-request-id"]
    assert ours and ours != "client-123"
    line = gw.audit()[-1]
    assert line["client_request_id"] == "client-123"
    assert line["request_id"] == ours
    assert mock_upstream.requests[0].headers["x-request-id"] == "client-123"

    # An upstream id of its own stays readable beside the client's.
    reply = Reply(body=MODEL, headers={"x-request-id": "req_upstream"})
    mock_upstream.push(reply)
    response = await http.get("/v1/models/gpt-x", headers={"x-request-id": "client-456"})
    assert response.headers.get_list("x-request-id") == ["client-456"]
    assert response.headers["x-upstream-request-id"] == "req_upstream"
    assert gw.audit()[-1]["client_request_id"] == "client-456"

    # Without one, the upstream's passes through and nothing is invented.
    mock_upstream.push(Reply(body=MODEL, headers={"x-request-id": "req_upstream"}))
    response = await http.get("/v1/models/gpt-x")
    assert response.headers.get_list("x-request-id") == ["req_upstream"]
    assert "client_request_id" not in gw.audit()[-1]
    blocked = await http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "BLOCKME"}]},
        headers={"x-request-id": "client-789"},
    )
    assert blocked.status_code == 400
    assert blocked.headers["x-request-id"] == "client-789"


async def test_openai_sdk_sees_the_echoed_request_id(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    raw = await gw.client.chat.completions.with_raw_response.create(
        model="m", messages=USER, extra_headers={"x-request-id": "trace-1"}
    )
    assert raw.headers["x-request-id"] == "trace-1"
    assert raw.parse().choices[0].message.content


CORS = {"allow_origins": ["https://app.example"]}
PREFLIGHT = {
    "origin": "https://app.example",
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


async def test_cors_is_off_by_default(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    http = (await app_gateway(POLICY)).http()
    assert (await http.options("/v1/chat/completions", headers=PREFLIGHT)).status_code == 405
    response = await http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"origin": "https://app.example"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_cors_preflight_and_actual_request(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    http = (await app_gateway(POLICY, cors=CORS)).http()
    preflight = await http.options("/v1/chat/completions", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert preflight.headers["access-control-max-age"] == "600"
    assert mock_upstream.requests == []  # the preflight never reaches the upstream

    response = await http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"origin": "https://app.example"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"x-sluicegate-request-id", "x-sluicegate-decision", "x-sluicegate-blocked"} <= exposed
    blocked = await http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "BLOCKME"}]},
        headers={"origin": "https://app.example"},
    )
    assert blocked.status_code == 400
    assert blocked.headers["access-control-allow-origin"] == "https://app.example"


async def test_cors_disallowed_origin_gets_no_allow_origin(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    http = (await app_gateway(POLICY, cors=CORS)).http()
    preflight = await http.options(
        "/v1/chat/completions", headers={**PREFLIGHT, "origin": "https://evil.example"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    response = await http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 200  # CORS is enforced by the browser, not here
    assert "access-control-allow-origin" not in response.headers


async def test_cors_with_credentials_and_the_openai_sdk_headers(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY, cors={**CORS, "allow_credentials": True, "allow_headers": ["*"]})
    preflight = await gw.http().options(
        "/v1/models",
        headers={
            **PREFLIGHT,
            "access-control-request-method": "GET",
            "access-control-request-headers": "x-stainless-os, authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "x-stainless-os" in preflight.headers["access-control-allow-headers"].lower()
