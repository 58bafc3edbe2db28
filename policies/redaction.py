"""Apply a REDACT decision: replace finding spans with placeholders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..guards.runner import GuardOutcome
from .decisions import Action, PolicyDecision

__all__ = ["RedactionSpan", "merge_spans", "redact", "redaction_spans"]

RedactionSpan = tuple[int, int, str]  # start, end, placeholder


def redaction_spans(
    decision: PolicyDecision, outcomes: Mapping[str, GuardOutcome], placeholder: str
) -> list[RedactionSpan]:
    """Spans to replace for ``decision``: the findings its redact rules select
    (every finding with a span when a rule names no targets)."""
    selectors: set[str] | None = set()
    for match in decision.matches:
        if match.action is not Action.REDACT:
            continue
        if match.redact is None:
            selectors = None
            break
        assert selectors is not None
        selectors.update(match.redact)
    spans: list[RedactionSpan] = []
    for name, outcome in outcomes.items():
        if outcome.result is None:
            continue
        for finding in outcome.result.findings:
            if finding.span is None or finding.span.end <= finding.span.start:
                continue
            if selectors is not None and not (
                name in selectors or f"{name}.{finding.category}" in selectors
            ):
                continue
            text = placeholder.format(
                CATEGORY=finding.category.upper(), category=finding.category, guard=name
            )
            spans.append((finding.span.start, finding.span.end, text))
    return spans


def merge_spans(spans: Iterable[RedactionSpan], length: int) -> list[RedactionSpan]:
    """``spans`` clipped to ``[0, length)``, sorted, overlaps merged (each
    keeping the first placeholder)."""
    merged: list[RedactionSpan] = []
    for start, end, replacement in sorted(spans, key=lambda s: (s[0], -s[1])):
        start, end = max(0, start), min(length, end)
        if merged and start < merged[-1][1]:
            last_start, last_end, last_text = merged[-1]
            merged[-1] = (last_start, max(last_end, end), last_text)
        else:
            merged.append((start, end, replacement))
    return merged


def redact(text: str, spans: Iterable[RedactionSpan]) -> str:
    """Replace each span; overlapping spans merge and keep the first placeholder."""
    merged = merge_spans(spans, len(text))
    if not merged:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end, replacement in merged:
        pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
