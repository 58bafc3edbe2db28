"""The guard contract: texts in, findings out. Guards score; they never decide."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import anyio.to_thread

__all__ = ["Finding", "Guard", "GuardResult", "IncrementalGuard", "ModelGuard", "Span", "SyncGuard"]


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character offsets ``[start, end)`` into the scanned text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a guard saw. ``category`` is local to the guard (``"email"``);
    policies address it as ``"<guard name>.<category>"``."""

    category: str
    score: float
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class GuardResult:
    """Everything one guard found in one text."""

    guard: str
    findings: tuple[Finding, ...] = ()


@runtime_checkable
class Guard(Protocol):
    """A named guard instance. ``categories`` lists every category it can report,
    so a policy can refer to ``scores["name.category"]`` before anything was found."""

    name: str
    categories: tuple[str, ...]

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        """Score a batch of texts; one result per text, in the same order."""
        ...


@runtime_checkable
class IncrementalGuard(Protocol):
    """A guard that can tell how much of a growing text (a streamed answer) is settled."""

    def settled(self, text: str) -> int:
        """The length of the longest prefix of ``text`` such that, whatever is
        appended later, every finding inside it is already reported now (same
        span, same category) and no new finding can start inside it or reach
        into it. ``len(text)`` when nothing at the end could still grow into or
        change a finding, 0 when everything could. A finding that ends exactly
        at the end is not settled: "bob@example.com" may go on with ".uk".
        Scores of span-less findings are not covered: a guard that cannot tell
        (a classifier) does not implement this. Cheap and synchronous: it runs
        on every streamed chunk, on the normalised text."""
        ...


class SyncGuard:
    """Base for deterministic guards whose per-text work is pure CPU.

    Small batches run inline: a thread hop costs more than scanning a few
    kilobytes. Large batches go to a worker thread so the event loop keeps serving.
    """

    #: total characters above which ``scan`` leaves the event loop
    offload_threshold: ClassVar[int] = 64 * 1024

    name: str
    categories: tuple[str, ...]

    def scan_one(self, text: str) -> tuple[Finding, ...]:
        raise NotImplementedError

    def scan_sync(self, texts: Sequence[str]) -> list[GuardResult]:
        return [GuardResult(self.name, self.scan_one(text)) for text in texts]

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        if sum(len(text) for text in texts) <= self.offload_threshold:
            return self.scan_sync(texts)
        return await anyio.to_thread.run_sync(self.scan_sync, texts)


class ModelGuard:
    """Base for guards that run a model: ``scan`` leaves the event loop, and
    one call runs at a time per model (concurrent forward passes only compete
    for the same cores or GPU, and a fast tokenizer's padding and truncation
    settings are shared state). Subclasses set ``self._lock`` and implement
    ``_scan``; micro-batching (``batch:``) is what serves many requests."""

    name: str
    categories: tuple[str, ...]
    _lock: threading.Lock

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        return await anyio.to_thread.run_sync(self.scan_sync, list(texts))

    def scan_sync(self, texts: list[str]) -> list[GuardResult]:
        with self._lock:
            return self._scan(texts)

    def _scan(self, texts: list[str]) -> list[GuardResult]:
        raise NotImplementedError
