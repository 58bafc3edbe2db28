"""Detection metrics for a guard or a whole policy on labelled texts: counts,
rates, F1, per-category and per-language breakdowns, threshold sweeps and the
threshold that meets a false-positive budget. Pure functions over numbers."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "BinaryCounts",
    "breakdown",
    "percentile",
    "sweep",
    "threshold_for_fpr",
]


@dataclass(frozen=True, slots=True)
class BinaryCounts:
    """Unsafe is the positive class: a true positive is an unsafe text flagged."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> BinaryCounts:
        """From ``(truly unsafe, flagged)`` pairs."""
        tp = fp = fn = tn = 0
        for unsafe, flagged in pairs:
            if unsafe and flagged:
                tp += 1
            elif unsafe:
                fn += 1
            elif flagged:
                fp += 1
            else:
                tn += 1
        return cls(tp, fp, fn, tn)

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        return self.fp + self.tn

    @property
    def detection_rate(self) -> float | None:
        """Recall on unsafe texts; None when there are none."""
        return _ratio(self.tp, self.positives)

    @property
    def false_positive_rate(self) -> float | None:
        return _ratio(self.fp, self.negatives)

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def f1(self) -> float | None:
        return _f1(self.tp, self.fp, self.fn)

    @property
    def macro_f1(self) -> float | None:
        """Mean of the F1 of the unsafe class and of the safe class; None
        unless both classes are present."""
        if not self.positives or not self.negatives:
            return None
        unsafe, safe = _f1(self.tp, self.fp, self.fn), _f1(self.tn, self.fn, self.fp)
        return ((unsafe or 0.0) + (safe or 0.0)) / 2

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.tp + self.tn, self.tp + self.fp + self.fn + self.tn)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "detection_rate": self.detection_rate,
            "false_positive_rate": self.false_positive_rate,
            "precision": self.precision,
            "recall": self.detection_rate,
            "f1": self.f1,
            "macro_f1": self.macro_f1,
            "accuracy": self.accuracy,
        }


def breakdown(rows: Iterable[tuple[str | None, bool, bool]]) -> dict[str, BinaryCounts]:
    """Counts per group from ``(group, truly unsafe, flagged)``; rows without
    a group are left out."""
    grouped: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for group, unsafe, flagged in rows:
        if group is not None:
            grouped[group].append((unsafe, flagged))
    return {group: BinaryCounts.of(pairs) for group, pairs in sorted(grouped.items())}


def sweep(
    scores: Sequence[float], unsafe: Sequence[bool], thresholds: Sequence[float] | None = None
) -> list[dict[str, float | None]]:
    """Detection and false-positive rate of ``score >= t`` for each threshold."""
    points = thresholds if thresholds is not None else [i / 50 for i in range(51)]
    out = []
    for t in points:
        counts = BinaryCounts.of(zip(unsafe, (s >= t for s in scores), strict=True))
        out.append(
            {
                "threshold": t,
                "detection_rate": counts.detection_rate,
                "false_positive_rate": counts.false_positive_rate,
            }
        )
    return out


def threshold_for_fpr(
    benign_scores: Mapping[str, Sequence[float]], target_fpr: float, *, strict: bool = False
) -> float:
    """The lowest threshold at which every benign source's false-positive
    rate is at most ``target_fpr`` (the worst source decides, not the mean).
    ``strict``: the rule compares with ``>``; otherwise with ``>=``."""
    threshold = 0.0
    for scores in benign_scores.values():
        if not scores:
            continue
        ordered = sorted(scores, reverse=True)
        allowed = math.floor(target_fpr * len(ordered) + 1e-9)
        if allowed >= len(ordered):
            continue
        # The (allowed+1)-th highest benign score must not pass the rule.
        bar = ordered[allowed]
        needed = bar if strict else math.nextafter(bar, math.inf)
        threshold = max(threshold, needed)
    return threshold


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _f1(tp: int, fp: int, fn: int) -> float | None:
    denominator = 2 * tp + fp + fn
    return 2 * tp / denominator if denominator else None
