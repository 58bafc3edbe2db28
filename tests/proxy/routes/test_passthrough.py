"""Routes forwarded unguarded, in process: the model list and lookups,
configured pass-through paths; marked and audited as unguarded."""

from __future__ import annotations

import openai
import pytest

from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream, Reply

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""
MODEL = {"id": "gpt-x", "object": "model", "created": 0, "owned_by": "me"}


async def test_models_pass_through(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(
        Reply(
            body={
                "object": "list",
                "data": [{"id": "gpt-x", "object": "model", "created": 0, "owned_by": "me"}],
            }
        )
    )
    models = await gw.client.models.list()
    assert [m.id for m in models.data] == ["gpt-x"]
    assert mock_upstream.requests[0].method == "GET"


async def test_configured_passthrough_path(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY, passthrough_paths=["/v1/files"])
    mock_upstream.push(Reply(body={"ok": True}))
    response = await gw.http().post("/v1/files?purpose=x", content=b"BLOCKME")
    assert response.status_code == 200
    assert response.headers["x-sluicegate-decision"] == "unguarded"
    assert mock_upstream.requests[0].path == "/v1/files"


async def test_passthrough_requests_are_audited(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    await gw.client.models.list()
    [line] = gw.audit()
    assert line["route"] == "/v1/models"
    assert line["decision"] == "unguarded"
    assert line["status"] == 200


async def test_model_retrieve_is_forwarded_unguarded(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(Reply(body=MODEL))
    model = await gw.client.models.retrieve("gpt-x")
    assert model.id == "gpt-x"
    assert mock_upstream.requests[0].method == "GET"
    assert mock_upstream.requests[0].path == "/v1/models/gpt-x"
    raw = await gw.client.models.with_raw_response.retrieve("gpt-x")
    assert raw.headers["x-sluicegate-decision"] == "unguarded"


async def test_model_ids_with_slashes_reach_the_upstream_as_written(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    mock_upstream.push(Reply(body={**MODEL, "id": "org/model"}))
    assert (await gw.http().get("/v1/models/org/model")).json()["id"] == "org/model"
    assert mock_upstream.requests[0].path == "/v1/models/org/model"


async def test_unknown_model_is_the_upstreams_404(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream
) -> None:
    gw = await app_gateway(POLICY)
    error = {
        "error": {
            "message": "The model 'nope' does not exist",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }
    mock_upstream.push(Reply(status=404, body=error))
    with pytest.raises(openai.NotFoundError) as info:
        await gw.client.models.retrieve("nope")
    assert info.value.code == "model_not_found"
    assert info.value.response.headers["x-sluicegate-decision"] == "unguarded"
