"""Pick rule thresholds that meet a false-positive budget on benign texts and
write them into a copy of the policy, comments and layout kept.

A rule is calibrated when its condition is one comparison of a score with a
number (``scores["opir.unsafe"] >= 0.5``), the common shape of per-category
rules; its new threshold is the lowest one at which every benign source stays
within the budget (the worst source decides, not the mean). Other rules are
listed as left alone."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..decisions import Stage
from ..engine import RequestInfo, collect
from ..evaluator import PolicyEvaluator
from ..policy import Policy
from ..source import parse_source
from .datasets import Sample
from .metrics import threshold_for_fpr

__all__ = ["Calibration", "benign_scores", "calibrate_policy_text"]

_COMPARISON = re.compile(r'^\s*scores\[\s*"([^"]+)"\s*\]\s*(>=|>)\s*([0-9]*\.?[0-9]+)\s*$')


@dataclass(frozen=True, slots=True)
class Calibration:
    rule: str
    key: str | None
    old: float | None
    new: float | None
    #: each benign source's false-positive rate for this rule alone, at the new threshold
    fpr_by_source: dict[str, float]
    skipped: str | None = None


async def benign_scores(
    policy: Policy, sources: Mapping[str, Sequence[Sample]], stage: Stage | None = None
) -> dict[str, list[dict[str, float]]]:
    """Every score key's value on every benign text, per source. With
    ``short_circuit``, costly guards are skipped for texts cheap guards
    already block, so their scores read 0 there."""
    evaluator = PolicyEvaluator()
    out: dict[str, list[dict[str, float]]] = {}
    for source, samples in sources.items():
        rows = []
        for sample in samples:
            where = stage or Stage(sample.stage)
            [evaluation] = await evaluator.evaluate(policy, where, [sample.text], RequestInfo())
            rows.append(collect(policy, evaluation.outcomes)[0])
        out[source] = rows
    return out


def calibrate_policy_text(
    policy: Policy,
    text: str,
    scores: Mapping[str, Sequence[Mapping[str, float]]],
    target_fpr: float,
) -> tuple[str, list[Calibration]]:
    """``text`` (the policy file) with calibrated thresholds, and what changed."""
    source = parse_source(text, policy.path)
    lines = text.splitlines(keepends=True)
    report = []
    for i, rule in enumerate(policy.spec.rules):
        if rule.action not in ("block", "escalate"):
            report.append(Calibration(rule.name, None, None, None, {}, f"action {rule.action}"))
            continue
        match = _COMPARISON.match(rule.when)
        if match is None:
            report.append(
                Calibration(rule.name, None, None, None, {}, "not one score compared with a number")
            )
            continue
        key, op, old_text = match.groups()
        per_source = {name: [row.get(key, 0.0) for row in rows] for name, rows in scores.items()}
        strict = op == ">"
        found = threshold_for_fpr(per_source, target_fpr, strict=strict)
        new = math.ceil(found * 10_000) / 10_000  # up, so rounding never adds false positives
        if new > 1.0:
            why = "no threshold up to 1 meets the target"
            report.append(Calibration(rule.name, key, float(old_text), None, {}, why))
            continue
        fprs = {
            name: sum((v > new) if strict else (v >= new) for v in values) / len(values)
            for name, values in per_source.items()
            if values
        }
        line = source.line_of(("rules", i, "when"))
        pattern = re.compile(
            rf'(scores\[\s*"{re.escape(key)}"\s*\]\s*{re.escape(op)}\s*){re.escape(old_text)}'
        )
        if line is None or not pattern.search(lines[line - 1]):
            why = "condition not on one line"
            report.append(Calibration(rule.name, key, float(old_text), None, fprs, why))
            continue
        lines[line - 1] = pattern.sub(rf"\g<1>{_format(new)}", lines[line - 1], count=1)
        report.append(Calibration(rule.name, key, float(old_text), new, fprs))
    return "".join(lines), report


def _format(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0.0"
