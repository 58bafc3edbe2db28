"""Run a set of guards over the same texts: normalise once, scan concurrently,
enforce timeouts, and map finding spans back onto the original text."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .base import Finding, Guard, GuardResult, IncrementalGuard, SyncGuard
from .unicode import NormalizedText, normalize

__all__ = ["GuardCall", "GuardOutcome", "GuardRunner"]


@dataclass(frozen=True, slots=True)
class GuardCall:
    guard: Guard
    timeout_s: float


@dataclass(frozen=True, slots=True)
class GuardOutcome:
    """One guard on one text: a result, or the error that stopped it."""

    guard: str
    result: GuardResult | None
    error: str | None
    latency_ms: float


class GuardRunner:
    """Stateless; one instance can serve every request."""

    async def run(
        self, calls: Sequence[GuardCall], texts: Sequence[str]
    ) -> list[dict[str, GuardOutcome]]:
        """Return, for each text, every guard's outcome keyed by guard name."""
        normalized = [normalize(text) for text in texts]
        scanned = [n.text for n in normalized]
        per_guard: list[list[GuardOutcome]] = []
        pending: list[tuple[int, asyncio.Task[list[GuardOutcome]]]] = []
        total_chars = sum(len(text) for text in scanned)
        for call in calls:
            guard = call.guard
            # Deterministic guards on small inputs are cheaper to run inline than
            # to schedule; they cannot be interrupted by a timeout anyway.
            if isinstance(guard, SyncGuard) and total_chars <= guard.offload_threshold:
                per_guard.append(_inline(guard, scanned))
            else:
                per_guard.append([])
                task = asyncio.ensure_future(_scheduled(call, scanned))
                pending.append((len(per_guard) - 1, task))
        for index, task in pending:
            per_guard[index] = await task
        reports: list[dict[str, GuardOutcome]] = [{} for _ in texts]
        for outcomes in per_guard:
            for i, outcome in enumerate(outcomes):
                reports[i][outcome.guard] = _to_original(outcome, normalized[i])
        return reports

    def settled(self, guards: Sequence[Guard], text: str) -> int | None:
        """How much of the original ``text`` every guard in ``guards`` has settled
        (see :class:`.base.IncrementalGuard`): the least of their answers, or None
        when one of them cannot tell. Guards judge the normalised text, cut
        before any tail whose normal form appended text could change; their
        answer is mapped back onto ``text``, and the last character is never
        settled (see :meth:`NormalizedText.stable`). Runs inline: it is meant for every
        streamed chunk, with no thread hop."""
        incremental = [guard for guard in guards if isinstance(guard, IncrementalGuard)]
        if len(incremental) < len(guards):
            return None
        if not incremental:
            return len(text)  # nothing reads it, so nothing to hold back
        normalized = normalize(text)
        judged, most = normalized.stable()
        scanned = normalized.text[:judged]
        settled = judged
        for guard in incremental:
            try:
                answer = guard.settled(scanned)
            except Exception:  # a broken guard holds everything; its scan reports why
                answer = 0
            settled = min(settled, max(answer, 0))
        return min(normalized.original_offset(settled), most)


def _inline(guard: SyncGuard, texts: list[str]) -> list[GuardOutcome]:
    started = time.perf_counter()
    try:
        results = guard.scan_sync(texts)
    except Exception as exc:  # a broken guard is a recorded guard error, not a 500
        return _failed(guard.name, f"{type(exc).__name__}: {exc}", started, len(texts))
    elapsed = (time.perf_counter() - started) * 1000
    return [GuardOutcome(guard.name, result, None, elapsed) for result in results]


async def _scheduled(call: GuardCall, texts: list[str]) -> list[GuardOutcome]:
    name = call.guard.name
    started = time.perf_counter()
    try:
        async with asyncio.timeout(call.timeout_s):
            results = await call.guard.scan(texts)
    except TimeoutError:
        return _failed(name, f"timeout after {call.timeout_s * 1000:.0f} ms", started, len(texts))
    except Exception as exc:
        return _failed(name, f"{type(exc).__name__}: {exc}", started, len(texts))
    if len(results) != len(texts):
        return _failed(name, "guard returned a wrong number of results", started, len(texts))
    elapsed = (time.perf_counter() - started) * 1000
    return [GuardOutcome(name, result, None, elapsed) for result in results]


def _failed(name: str, error: str, started: float, count: int) -> list[GuardOutcome]:
    elapsed = (time.perf_counter() - started) * 1000
    return [GuardOutcome(name, None, error, elapsed) for _ in range(count)]


def _to_original(outcome: GuardOutcome, text: NormalizedText) -> GuardOutcome:
    result = outcome.result
    if result is None or not result.findings or text.text == text.original:
        return outcome
    try:
        findings = tuple(
            f if f.span is None else Finding(f.category, f.score, text.original_span(f.span))
            for f in result.findings
        )
    except ValueError as exc:  # a span outside the text is a broken guard, not a 500
        return replace(outcome, result=None, error=f"guard reported a bad span: {exc}")
    return replace(outcome, result=GuardResult(result.guard, findings))
