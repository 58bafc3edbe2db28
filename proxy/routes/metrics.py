"""``GET /metrics``: the gateway's Prometheus metrics, in the text format."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from ..audit.metrics import GatewayMetrics

__all__ = ["MetricsEndpoint"]


class MetricsEndpoint:
    def __init__(self, metrics: GatewayMetrics) -> None:
        self.metrics = metrics

    async def handle(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), headers={"content-type": CONTENT_TYPE_LATEST})
