"""Choosing among overlapping candidate spans, for guards whose detectors compete
for the same characters (a card number must not also be a phone number)."""

from __future__ import annotations

import bisect
from typing import TypeAlias

from .base import Finding, Span

__all__ = ["Candidate", "best_non_overlapping"]

#: (priority, start, end, category, score); lower priority sorts first and wins
Candidate: TypeAlias = tuple[int, int, int, str, float]


def best_non_overlapping(
    candidates: list[Candidate], *, drop: frozenset[str] = frozenset()
) -> tuple[Finding, ...]:
    """Keep the best-priority candidate wherever spans overlap, in text order.
    Categories in ``drop`` claim their characters but are not reported."""
    candidates.sort()
    starts: list[int] = []
    kept: list[tuple[int, int, str, float]] = []
    for _, start, end, category, score in candidates:
        at = bisect.bisect(starts, start)
        if (at and kept[at - 1][1] > start) or (at < len(kept) and kept[at][0] < end):
            continue
        starts.insert(at, start)
        kept.insert(at, (start, end, category, score))
    return tuple(Finding(c, s, Span(start, end)) for start, end, c, s in kept if c not in drop)
