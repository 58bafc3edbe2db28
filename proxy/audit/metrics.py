"""Prometheus metrics, read off each finished audit record: the record is the
one account of a request, so the line and the counters cannot disagree.

Label values are bounded: route templates (not raw paths), stages, actions,
and the names an operator's policies give their rules and guards. Never a
client-sent model name or any text.

Under ``sluicegate serve --workers N`` every worker writes to the files of
prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, which
``serve`` sets), and ``/metrics`` sums them, so any worker answers for all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from .record import AuditRecord

__all__ = ["MULTIPROC_ENV", "GatewayMetrics"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; from well under a millisecond (deterministic guards) to model guards
# and upstream calls of tens of seconds.
_LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
_HELD_BUCKETS = (0, 16, 64, 128, 256, 512, 1024, 4096, 16384)


class GatewayMetrics:
    """The gateway's metrics in a registry of their own (no global state: two
    apps in one process keep separate counts)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "sluicegate_requests",
            "Requests served, by route template and HTTP status.",
            ["route", "status"],
            registry=reg,
        )
        self.request_seconds = Histogram(
            "sluicegate_request_duration_seconds",
            "Time from request to the response's last byte (streams included).",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.upstream_seconds = Histogram(
            "sluicegate_upstream_duration_seconds",
            "Time spent on the upstream call (for streams, until the stream ended).",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.decisions = Counter(
            "sluicegate_decisions",
            "Stage decisions, by stage, action and policy.",
            ["stage", "action", "policy"],
            registry=reg,
        )
        self.rule_matches = Counter(
            "sluicegate_rule_matches",
            "Rules that matched, by stage, rule and policy.",
            ["stage", "rule", "policy"],
            registry=reg,
        )
        self.guard_seconds = Histogram(
            "sluicegate_guard_duration_seconds",
            "Time each guard took on a stage's texts (whole-request checks).",
            ["stage", "guard", "policy"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.guard_errors = Counter(
            "sluicegate_guard_errors",
            "Guard calls that failed or timed out.",
            ["stage", "guard", "policy"],
            registry=reg,
        )
        self.fail_open = Counter(
            "sluicegate_fail_open",
            "Stage decisions let through because a guard failed open.",
            ["stage", "guard", "policy"],
            registry=reg,
        )
        self.stream_held = Histogram(
            "sluicegate_stream_held_characters",
            "Most characters a guarded stream held back at once.",
            ["route"],
            buckets=_HELD_BUCKETS,
            registry=reg,
        )
        self.streams = Counter(
            "sluicegate_streams",
            "Streamed answers, by how they ended.",
            ["route", "end"],
            registry=reg,
        )

    def observe(self, record: AuditRecord, route: str) -> None:
        """Count one finished request; ``route`` is its route template."""
        status = str(record.status) if record.status is not None else "none"
        self.requests.labels(route, status).inc()
        if record.total_ms is not None:
            self.request_seconds.labels(route).observe(record.total_ms / 1000)
        if record.upstream_latency_ms is not None:
            self.upstream_seconds.labels(route).observe(record.upstream_latency_ms / 1000)
        policy = record.policy or ""
        for stage, part in (("input", record.input), ("output", record.output)):
            if part:
                self._stage(stage, part, policy)
        if record.stream and record.stream_status is not None:
            self.streams.labels(route, _stream_end(record.stream_status)).inc()
            held = (record.output or {}).get("max_held_chars")
            if isinstance(held, int):
                self.stream_held.labels(route).observe(held)

    def _stage(self, stage: str, part: Mapping[str, Any], policy: str) -> None:
        action = part.get("action") or part.get("decision")
        if isinstance(action, str):
            self.decisions.labels(stage, action, policy).inc()
        for rule in part.get("rules") or ():
            self.rule_matches.labels(stage, str(rule), policy).inc()
        for guard, ms in (part.get("guard_latency_ms") or {}).items():
            self.guard_seconds.labels(stage, str(guard), policy).observe(float(ms) / 1000)
        for guard in part.get("guard_errors") or {}:
            self.guard_errors.labels(stage, str(guard), policy).inc()
        for guard in part.get("fail_open") or ():
            self.fail_open.labels(stage, str(guard), policy).inc()

    def exposition(self) -> bytes:
        """The text format, summed over every worker in multiprocess mode."""
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


def _stream_end(status: str) -> str:
    """A stream's ``stream_status`` as one of a few values."""
    if status in ("complete", "cut on block", "client disconnected"):
        return status.replace(" ", "_")
    if status.startswith("upstream"):
        return "upstream_error"
    return "other"
