"""Load a guard on first use instead of at start-up: a gateway with several
model guards starts in seconds, and a guard only some routes need is only
loaded where it is used. It wraps a guard and is one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import anyio.to_thread

from .base import GuardResult, IncrementalGuard, LoadableGuard
from .errors import GuardError

__all__ = ["LazyGuard"]


class LazyGuard:
    """Calls the wrapped guard's ``load`` (in a worker thread: reading weights
    blocks) on the first ``scan``. The guard was constructed without its
    weights, so its categories are known up front and policies are still
    checked at load time. A failed load is a guard error on every call; the
    policy's ``on_error`` decides."""

    def __init__(self, inner: LoadableGuard) -> None:
        self.inner = inner
        self.name = inner.name
        self.categories = inner.categories
        self._failure: str | None = None
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self.inner.loaded

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        if not self.inner.loaded:
            await self._load()
        return await self.inner.scan(texts)

    async def _load(self) -> None:
        async with self._lock:
            if self.inner.loaded:
                return
            if self._failure is not None:
                raise GuardError(self._failure)
            try:
                await anyio.to_thread.run_sync(self.inner.load)
            except Exception as exc:
                self._failure = f"guard {self.name!r} failed to load: {exc}"
                raise GuardError(self._failure) from exc
            # Incremental once loaded, if the guard is: until then nothing is
            # known about it, and a stream holds its text for window checks.
            if isinstance(self.inner, IncrementalGuard):
                self.settled = self.inner.settled

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()
