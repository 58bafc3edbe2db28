"""Run a policy's guards and rules over labelled texts, as the gateway would
(one text per evaluation, the policy's own stages, escalation included), and
summarise what it caught, what it wrongly flagged and what it cost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..decisions import Action, Stage
from ..engine import RequestInfo, collect
from ..evaluator import PolicyEvaluator
from ..policy import Policy
from .datasets import DatasetInfo, Sample
from .metrics import BinaryCounts, breakdown, percentile, sweep

__all__ = ["SampleResult", "evaluate_samples", "headline_key", "summarize", "sweep_of"]

#: categories a refusal detector reports under
REFUSAL_CATEGORIES = ("refusal", "response_refusal")


@dataclass(frozen=True, slots=True)
class SampleResult:
    sample: Sample
    action: Action
    #: each guard's headline score (``guard.unsafe`` where the policy maps one, else its highest)
    guard_scores: dict[str, float]
    refusal_score: float | None
    latency_ms: dict[str, float]
    errors: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        """The policy stopped the text: a block, directly or after escalation."""
        return self.action is Action.BLOCK


def headline_key(policy: Policy, guard: str) -> str:
    """The score that stands for a guard on a sweep: the shared ``unsafe``
    category where its category map has one (so benign labels such as Opir's
    safe_and_benign do not count), else the guard's highest score."""
    mapped = f"{guard}.unsafe"
    return mapped if mapped in policy.score_keys else guard


async def evaluate_samples(
    policy: Policy,
    samples: Sequence[Sample],
    *,
    stage: Stage | None = None,
    evaluator: PolicyEvaluator | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[SampleResult]:
    """One policy evaluation per sample, in order. ``stage`` overrides each
    sample's own (input for prompts, output for responses)."""
    evaluator = evaluator or PolicyEvaluator()
    request = RequestInfo()
    refusal_keys = [
        key for key in policy.score_keys if key.rsplit(".", 1)[-1] in REFUSAL_CATEGORIES
    ]
    results = []
    for sample in samples:
        where = stage or Stage(sample.stage)
        [evaluation] = await evaluator.evaluate(policy, where, [sample.text], request)
        scores, _, _, _ = collect(policy, evaluation.outcomes)
        ran = [name for name in policy.guards if name in evaluation.outcomes]
        results.append(
            SampleResult(
                sample,
                evaluation.decision.action,
                {name: scores[headline_key(policy, name)] for name in ran},
                max((scores[k] for k in refusal_keys), default=None) if refusal_keys else None,
                {name: evaluation.outcomes[name].latency_ms for name in ran},
                tuple(
                    f"{o.guard}: {o.error}"
                    for o in evaluation.outcomes.values()
                    if o.error is not None
                ),
            )
        )
        if progress is not None:
            progress(1)
    return results


def summarize(info: DatasetInfo, results: Sequence[SampleResult]) -> dict[str, Any]:
    """Everything ``sluicegate eval`` reports for one dataset, as plain data."""
    labelled = [r for r in results if r.sample.unsafe is not None]
    counts = BinaryCounts.of((bool(r.sample.unsafe), r.flagged) for r in labelled)
    by_category = breakdown(
        (r.sample.category, True, r.flagged) for r in labelled if r.sample.unsafe
    )
    by_language = breakdown((r.sample.language, bool(r.sample.unsafe), r.flagged) for r in labelled)
    refusals = [r for r in results if r.sample.refusal is not None and r.refusal_score is not None]
    latency: dict[str, list[float]] = defaultdict(list)
    scores: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for guard, ms in r.latency_ms.items():
            latency[guard].append(ms)
    for r in labelled:
        for guard, score in r.guard_scores.items():
            scores[guard].append(score)
    return {
        "dataset": info.name,
        "task": info.task,
        "stage": info.stage,
        "licence": info.licence,
        "samples": len(results),
        "unsafe": counts.positives,
        "safe": counts.negatives,
        "errors": sum(1 for r in results if r.errors),
        "metrics": counts.as_dict(),
        "per_category": {
            k: {"n": c.positives, "recall": c.detection_rate} for k, c in by_category.items()
        },
        "per_language": {
            k: {
                "n": c.positives + c.negatives,
                "detection_rate": c.detection_rate,
                "false_positive_rate": c.false_positive_rate,
                "f1": c.f1,
            }
            for k, c in by_language.items()
        },
        "refusal": _refusal_metrics(refusals),
        "latency_ms": {
            guard: {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95)}
            for guard, values in sorted(latency.items())
        },
        "guard_scores": {
            guard: {
                "values": [round(v, 6) for v in values],
                "unsafe": [bool(r.sample.unsafe) for r in labelled if guard in r.guard_scores],
            }
            for guard, values in sorted(scores.items())
        },
    }


def sweep_of(summaries: Sequence[dict[str, Any]], guard: str) -> list[dict[str, float | None]]:
    """Detection vs false-positive rate of one guard's headline score over
    every dataset of a run together (harmful sets give the detection, benign
    sets the false positives)."""
    values: list[float] = []
    unsafe: list[bool] = []
    for summary in summaries:
        entry = summary["guard_scores"].get(guard)
        if entry:
            values += entry["values"]
            unsafe += entry["unsafe"]
    return sweep(values, unsafe)


def _refusal_metrics(refusals: list[SampleResult]) -> dict[str, Any] | None:
    """Refusal detection on answers labelled refusal/compliance: a refusal is
    the positive class, detected at a refusal score of 0.5 or more."""
    if not refusals:
        return None
    counts = BinaryCounts.of(
        (bool(r.sample.refusal), (r.refusal_score or 0.0) >= 0.5) for r in refusals
    )
    return {
        "n": len(refusals),
        "accuracy": counts.accuracy,
        "precision": counts.precision,
        "recall": counts.detection_rate,
        "f1": counts.f1,
    }
