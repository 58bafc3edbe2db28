"""Load a guard on first use instead of at start-up: a gateway with several
model guards starts in seconds, and a guard only some routes need is only
loaded where it is used. It wraps a guard and is one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import anyio.to_thread

from .base import Guard, GuardResult, IncrementalGuard
from .errors import GuardError

__all__ = ["LazyGuard"]


class LazyGuard:
    """Builds the real guard (in a worker thread: loading a model blocks) on
    the first ``scan``. Its categories are known up front, from the model's
    configuration, so policies are still checked at load time. A failed build
    is a guard error on every call; the policy's ``on_error`` decides."""

    def __init__(self, name: str, categories: tuple[str, ...], build: Callable[[], Guard]) -> None:
        self.name = name
        self.categories = categories
        self._build = build
        self._guard: Guard | None = None
        self._failure: str | None = None
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self._guard is not None

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        guard = self._guard or await self._load()
        return await guard.scan(texts)

    async def _load(self) -> Guard:
        async with self._lock:
            if self._guard is not None:
                return self._guard
            if self._failure is not None:
                raise GuardError(self._failure)
            try:
                guard = await anyio.to_thread.run_sync(self._build)
            except Exception as exc:
                self._failure = f"guard {self.name!r} failed to load: {exc}"
                raise GuardError(self._failure) from exc
            if guard.categories != self.categories:
                self._failure = (
                    f"guard {self.name!r} loaded with categories {guard.categories}, "
                    f"expected {self.categories}"
                )
                raise GuardError(self._failure)
            self._guard = guard
            # Incremental once loaded, if the guard is: until then nothing is
            # known about it, and a stream holds its text for window checks.
            if isinstance(guard, IncrementalGuard):
                self.settled = guard.settled
            return guard

    async def aclose(self) -> None:
        close = getattr(self._guard, "aclose", None)
        if close is not None:
            await close()
