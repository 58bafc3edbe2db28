"""What the routes need, made once per app and handed to them explicitly."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..policies.evaluator import PolicyEvaluator
from .audit.metrics import GatewayMetrics
from .audit.sinks import AuditLog, AuditSink
from .config import GatewayConfig
from .enforcement.checks import InputCheck, OutputCheck
from .enforcement.stages import InputGuardStage, OutputGuardStage
from .http.auth import KeyRing
from .policy_store import PolicyStore
from .upstream import UpstreamClient

__all__ = ["GatewayServices"]


@dataclass
class GatewayServices:
    config: GatewayConfig
    store: PolicyStore
    audit: AuditSink
    keys: KeyRing
    input_stage: InputGuardStage
    output_stage: OutputGuardStage
    input_check: InputCheck
    output_check: OutputCheck
    metrics: GatewayMetrics | None = None
    transport: httpx.AsyncBaseTransport | None = None
    upstream_base_url: str | None = None
    _upstream: UpstreamClient | None = field(default=None, repr=False)
    _background: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    @classmethod
    def build(
        cls,
        config: GatewayConfig,
        *,
        store: PolicyStore | None = None,
        audit: AuditLog | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        upstream_base_url: str | None = None,
    ) -> GatewayServices:
        evaluator = PolicyEvaluator()
        input_stage, output_stage = InputGuardStage(evaluator), OutputGuardStage(evaluator)
        store = store or PolicyStore(config)
        if not store.policies:
            store.load_all()
        return cls(
            config=config,
            store=store,
            audit=audit or AuditLog(config.audit.path),
            keys=KeyRing(config.auth.resolved_keys()),
            input_stage=input_stage,
            output_stage=output_stage,
            input_check=InputCheck(input_stage),
            output_check=OutputCheck(output_stage),
            metrics=GatewayMetrics() if config.metrics else None,
            transport=transport,
            upstream_base_url=upstream_base_url,
        )

    @property
    def records_stages(self) -> bool:
        """Whether anything reads the stage parts of an audit record (routes
        skip building them otherwise)."""
        return self.audit.enabled or self.metrics is not None

    @property
    def upstream(self) -> UpstreamClient:
        if self._upstream is None:
            raise RuntimeError("the upstream client is made in the app's lifespan")
        return self._upstream

    def start(self) -> None:
        """Make the pooled upstream client; called inside the running loop."""
        self._upstream = UpstreamClient(
            self.config.upstream, transport=self.transport, base_url=self.upstream_base_url
        )

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` after the current response, holding a reference so the
        task is not collected half-way (the loop keeps only weak ones)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        if self._background:
            await asyncio.wait(self._background, timeout=5)
        for policy in self.store.policies.values():
            for binding in policy.guards.values():
                close = getattr(binding.guard, "aclose", None)  # guards holding connections
                if close is not None:
                    await close()
        if self._upstream is not None:
            await self._upstream.aclose()
            self._upstream = None
        self.audit.close()
