"""A verdict cache around a guard: repeated texts (system prompts, the earlier
turns of a conversation) are not scored again. It wraps a guard and is one."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence

from cachetools import TTLCache

from .base import Guard, GuardResult, IncrementalGuard

__all__ = ["CachingGuard"]


class CachingGuard:
    """Answers texts seen within ``ttl_s`` from memory (LRU beyond
    ``max_entries``). One cache per guard instance, keyed on a hash of the
    (normalised) text, so two guards never share verdicts."""

    def __init__(
        self,
        inner: Guard,
        *,
        max_entries: int = 10_000,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.categories = inner.categories
        # Incremental exactly when the wrapped guard is: an instance attribute,
        # so ``isinstance(self, IncrementalGuard)`` answers for the inner guard.
        if isinstance(inner, IncrementalGuard):
            self.settled = inner.settled
        self._cache: TTLCache[bytes, GuardResult] = TTLCache(max_entries, ttl_s, timer=clock)
        self.hits = 0
        self.misses = 0

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        keys = [_key(text) for text in texts]
        results: list[GuardResult | None] = [self._cache.get(key) for key in keys]
        missing = [i for i, result in enumerate(results) if result is None]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = await self.inner.scan([texts[i] for i in missing])
            for i, result in zip(missing, fresh, strict=True):
                results[i] = result
                self._cache[keys[i]] = result
        return [result for result in results if result is not None]

    async def aclose(self) -> None:
        """Close the wrapped guard's resources, if it holds any."""
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
