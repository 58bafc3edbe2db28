"""The guard contract: texts in, findings out. Guards score; they never decide."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import anyio.to_thread

from .errors import GuardError

__all__ = [
    "CalibratedGuard",
    "Finding",
    "Guard",
    "GuardResult",
    "IncrementalGuard",
    "LoadableGuard",
    "ModelGuard",
    "Span",
    "SyncGuard",
    "not_loaded_error",
]


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
    so a policy can refer to ``scores["name.category"]`` before anything was found.
    A guard reports scores, findings and spans; it never thresholds them (see
    :class:`CalibratedGuard` for thresholds that come with a model)."""

    name: str
    categories: tuple[str, ...]

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        """Score a batch of texts; one result per text, in the same order."""
        ...


@runtime_checkable
class CalibratedGuard(Protocol):
    """Optional metadata of a guard whose model came with calibration data:
    ``calibration`` maps a category to the threshold the model was calibrated
    at (trained thresholds, a manifest's). Plain data, known before the weights
    load; the guard never compares a score with it. The policy layer reads it
    (through wrappers) and offers it to rules next to the policy's own
    thresholds; deciding stays with the rules."""

    calibration: Mapping[str, float]


@runtime_checkable
class LoadableGuard(Protocol):
    """A guard with weights (or a model to reach) that load in a step of their
    own. Constructing one reads its settings and at most the model's metadata
    (a config or manifest: what it reports, what it was calibrated to), never
    the weights; ``load`` reads them. The registry calls ``load`` when a policy
    loads, or :class:`~sluicegate.guards.lazy.LazyGuard` calls it in a worker
    thread on first use: there is no other path to the weights. Scanning
    before ``load`` is a guard error."""

    name: str
    categories: tuple[str, ...]

    @property
    def loaded(self) -> bool: ...

    def load(self) -> None:
        """Read the weights. Blocking, idempotent and thread-safe; raises
        :class:`~sluicegate.guards.errors.GuardConfigError` naming what to
        download when they cannot be read."""
        ...

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]: ...


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
    settings are shared state). A :class:`LoadableGuard`: subclasses read
    settings and metadata in ``__init__`` (and call this one), read weights in
    ``_load`` and score in ``_scan``; micro-batching (``batch:``) is what
    serves many requests."""

    name: str
    categories: tuple[str, ...]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        # Under the scan lock: a scan that races the first load waits for it.
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        return await anyio.to_thread.run_sync(self.scan_sync, list(texts))

    def scan_sync(self, texts: list[str]) -> list[GuardResult]:
        with self._lock:
            if not self._loaded:
                raise not_loaded_error(self.name)
            return self._scan(texts)

    def _load(self) -> None:
        raise NotImplementedError

    def _scan(self, texts: list[str]) -> list[GuardResult]:
        raise NotImplementedError


def not_loaded_error(name: str) -> GuardError:
    """What scanning a :class:`LoadableGuard` before ``load`` raises."""
    return GuardError(
        f"guard {name!r} has not loaded its weights: a policy loads it at start-up, "
        f"or on first use with load: lazy"
    )
