"""``POST /v1/guard``: the gateway's guards as a service. Texts and guard
names in, scores and findings out, so heavy guards can run on their own hosts
(a ``remote`` guard elsewhere calls this)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from ...guards.runner import GuardCall, GuardRunner
from ...policies.decisions import Stage
from ..audit import audit_record
from ..http.bodies import read_json_body
from ..http.errors import ClientError
from ..http.responses import json_response
from ..policy_store import POLICY_HEADER
from ..services import GatewayServices

__all__ = ["GuardServiceEndpoint"]

PATH = "/v1/guard"


class GuardServiceEndpoint:
    def __init__(self, services: GatewayServices) -> None:
        self.services = services
        self.runner = GuardRunner()

    async def handle(self, request: Request) -> Response:
        services = self.services
        record = audit_record(request)
        record.route = PATH
        identity = services.keys.identify(request.headers)
        body = await read_json_body(request, services.config.max_body_bytes)
        texts = body.get("texts")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ClientError("'texts' must be a list of strings", param="texts")
        stage = body.get("stage") or "input"
        if stage not in ("input", "output"):
            raise ClientError("'stage' must be input or output", param="stage")
        policy = services.store.select(
            route=PATH,
            model="",
            key_name=identity.name,
            key_policy=identity.policy,
            header=request.headers.get(POLICY_HEADER),
        )
        names = body.get("guards")
        if names is None:
            bindings = policy.guards_for(Stage(stage))
        else:
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ClientError("'guards' must be a list of guard names", param="guards")
            unknown = [n for n in names if n not in policy.guards]
            if unknown:
                raise ClientError(
                    f"unknown guard(s) {unknown} in policy {policy.name!r}", param="guards"
                )
            bindings = [policy.guards[n] for n in names]
        started = time.perf_counter()
        reports = (
            await self.runner.run([GuardCall(b.guard, b.timeout_s) for b in bindings], texts)
            if texts
            else []
        )
        record.policy = policy.name
        record.details.update(
            guards=[b.name for b in bindings],
            texts=len(texts),
            guard_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        results = [
            {
                name: {
                    "findings": [
                        {
                            "category": f.category,
                            "score": f.score,
                            "start": f.span.start if f.span else None,
                            "end": f.span.end if f.span else None,
                        }
                        for f in (outcome.result.findings if outcome.result else ())
                    ],
                    "error": outcome.error,
                    "latency_ms": round(outcome.latency_ms, 3),
                }
                for name, outcome in report.items()
            }
            for report in reports
        ]
        return json_response({"policy": policy.name, "results": results})
