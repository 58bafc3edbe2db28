"""The audit line of one request, as a typed record: one is made per request
by :class:`~.middleware.AuditMiddleware`, filled in by the route that serves
it, and written once when the response has gone out."""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["AuditRecord", "StageRecord"]

# A guard stage's part of the line: decision, rules, scores, guard latency
# (see :meth:`~..enforcement.stages.StageOutcome.audit`); open-ended on purpose,
# since what a stage reports grows with the policy's features.
StageRecord = dict[str, Any]


@dataclass(slots=True)
class AuditRecord:
    """Fields left None are left out of the line."""

    request_id: str
    route: str | None = None  # set by the route: unrouted requests are not audited
    client_request_id: str | None = None  # the client's x-request-id
    policy: str | None = None
    policy_digest: str | None = None
    model: str | None = None
    client: str | None = None  # the gateway key's name
    stream: bool | None = None
    decision: str | None = None  # for unguarded routes: "unguarded"
    input: StageRecord | None = None
    output: StageRecord | None = None
    upstream_latency_ms: float | None = None
    stream_status: str | None = None
    status: int | None = None
    total_ms: float | None = None
    error: str | None = None
    # Route-specific facts (the guard service: guards, texts, guard_ms).
    details: dict[str, Any] = field(default_factory=dict)
    # Work that completes the record after the response (an ``audit``-mode
    # stream's whole-answer check); the line is written when it ends.
    pending: Coroutine[Any, Any, None] | None = field(default=None, repr=False)

    def finish_later(self, work: Coroutine[Any, Any, None]) -> None:
        if self.pending is not None:
            work.close()
            raise RuntimeError("the audit record already waits for other work")
        self.pending = work

    def to_json(self) -> dict[str, Any]:
        line: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("details", "pending"):
                continue
            value = getattr(self, f.name)
            if value is not None:
                line[f.name] = value
        line.update(self.details)
        return line
