"""``GET /healthz``: the gateway is serving; which optional guards are not."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..services import GatewayServices

__all__ = ["HealthEndpoint"]


class HealthEndpoint:
    def __init__(self, services: GatewayServices) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        # Still 200 when degraded: calls to an unavailable optional guard fail
        # as the policy's on_error says, so the gateway is serving, but
        # operators see it.
        unavailable = {
            f"{policy}/{guard}": reason
            for policy, loaded in self.services.store.policies.items()
            for guard, reason in loaded.unavailable_guards().items()
        }
        if not unavailable:
            return Response(b'{"status":"ok"}', media_type="application/json")
        body = {"status": "degraded", "unavailable_guards": unavailable}
        return Response(orjson.dumps(body), media_type="application/json")
