"""The built-in demo upstream (``upstream.url: demo``): create_app serves it
in process, so the gateway answers with no key and no network."""

from __future__ import annotations

import httpx2
import openai
import pytest

from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app


async def test_demo_upstream_serves_without_network() -> None:
    app = create_app(GatewayConfig.model_validate({"hot_reload": False, "audit": {"path": None}}))
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app))
    async with (
        app.router.lifespan_context(app),
        http,
        openai.AsyncOpenAI(
            base_url="http://gateway.test/v1", api_key="none", max_retries=0, http_client=http
        ) as client,
    ):
        reply = await client.chat.completions.create(
            model="demo", messages=[{"role": "user", "content": "hi, I am bob@example.org"}]
        )
        assert reply.choices[0].message.content == (
            "This is sluicegate's demo model. You said: hi, I am [EMAIL]"
        )
        assert (await client.models.retrieve("sluicegate-demo")).owned_by == "sluicegate"
        with pytest.raises(openai.NotFoundError) as missing:
            await client.models.retrieve("gpt-nothing")
        assert missing.value.code == "model_not_found"
