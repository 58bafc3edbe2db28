"""Micro-batching around a guard: concurrent requests to the same guard are
scored in one call, which is what makes model guards fast. It wraps a guard
and is one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from .base import Guard, GuardResult, IncrementalGuard

__all__ = ["MicroBatchingGuard"]

_Waiter = tuple[list[str], "asyncio.Future[list[GuardResult]]"]


class MicroBatchingGuard:
    """Collects texts from concurrent ``scan`` calls for up to ``max_wait_ms``
    (or until ``max_batch`` texts wait), then scores them in one inner call,
    sorted by length so a padded model batch wastes little, and hands each
    caller its own results in order. A caller that gives up (timeout) does not
    disturb the others.

    At most ``max_concurrent`` batches run at once. Texts that arrive while
    the model is busy queue up and go together in the next batch, so batches
    grow with load instead of small batches competing for the same cores or
    GPU; ``max_wait_ms`` only matters when the model is idle."""

    def __init__(
        self,
        inner: Guard,
        *,
        max_batch: int = 32,
        max_wait_ms: float = 2.0,
        max_concurrent: int = 1,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.categories = inner.categories
        # Incremental exactly when the wrapped guard is: an instance attribute,
        # so ``isinstance(self, IncrementalGuard)`` answers for the inner guard.
        if isinstance(inner, IncrementalGuard):
            self.settled = inner.settled
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000
        self.max_concurrent = max_concurrent
        self._waiting: list[_Waiter] = []
        self._count = 0
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()
        self.batches = 0  # inner calls made, for metrics and tests

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[GuardResult]] = loop.create_future()
        self._waiting.append((list(texts), future))
        self._count += len(texts)
        if self._count >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait_s, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting and len(self._running) < self.max_concurrent:
            batch = self._take()
            if batch:
                task = asyncio.ensure_future(self._run(batch))
                self._running.add(task)
                task.add_done_callback(self._finished)

    def _take(self) -> list[_Waiter]:
        """Whole callers, oldest first, up to max_batch texts (at least one
        caller); callers that already gave up are dropped."""
        batch: list[_Waiter] = []
        taken = 0
        while self._waiting:
            texts, future = self._waiting[0]
            if batch and taken + len(texts) > self.max_batch:
                break
            self._waiting.pop(0)
            self._count -= len(texts)
            if not future.done():
                batch.append((texts, future))
                taken += len(texts)
        return batch

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._waiting:  # queued while the model was busy: the next batch
            self._flush()

    async def _run(self, batch: list[_Waiter]) -> None:
        texts = [text for waiter_texts, _ in batch for text in waiter_texts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        self.batches += 1
        try:
            scored = await self.inner.scan([texts[i] for i in order])
            if len(scored) != len(texts):
                raise RuntimeError("guard returned a wrong number of results")
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        results: list[GuardResult | None] = [None] * len(texts)
        for position, i in enumerate(order):
            results[i] = scored[position]
        start = 0
        for waiter_texts, future in batch:
            end = start + len(waiter_texts)
            if not future.done():
                future.set_result([r for r in results[start:end] if r is not None])
            start = end

    async def aclose(self) -> None:
        """Close the wrapped guard's resources, if it holds any."""
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()
