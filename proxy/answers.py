"""What the output guards read in an upstream answer, and how a decision is
applied to each choice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..policies.decisions import Action
from .kinds import EndpointKind
from .payloads import (
    PayloadShapeError,
    RedactionConflict,
    TextBundle,
    TextSegment,
    call_segments,
    content_segments,
)

if TYPE_CHECKING:
    from .enforcement import StageOutcome

__all__ = ["apply_output", "output_bundle"]

_TEXT_PARTS = frozenset({"text", "output_text"})
# Message fields that carry model-written text besides content and tool calls.
_TEXT_FIELDS = ("refusal", "reasoning_content", "reasoning")


def output_bundle(choice: Any, index: int, kind: EndpointKind) -> TextBundle:
    if not isinstance(choice, dict):
        raise PayloadShapeError(f"choices[{index}] is not an object")
    if kind == EndpointKind.COMPLETIONS:
        text = choice.get("text")
        if text is not None and not isinstance(text, str):
            raise PayloadShapeError(f"choices[{index}].text is not a string")
        return TextBundle((TextSegment(("choices", index, "text"), text),) if text else ())
    message = choice.get("message")
    if message is None:
        return TextBundle(())
    if not isinstance(message, dict):
        raise PayloadShapeError(f"choices[{index}].message is not an object")
    return TextBundle(tuple(_message_segments(message, ("choices", index, "message"))))


def _message_segments(message: dict[str, Any], path: tuple[str | int, ...]) -> list[TextSegment]:
    segments, _ = content_segments(
        message.get("content"), (*path, "content"), text_types=_TEXT_PARTS, read_unknown=True
    )
    for field in _TEXT_FIELDS:
        value = message.get(field)
        if isinstance(value, str) and value:
            segments.append(TextSegment((*path, field), value))
    audio = message.get("audio")
    if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
        segments.append(TextSegment((*path, "audio", "transcript"), audio["transcript"]))
    segments += call_segments(message, path)
    return segments


def apply_output(answer: dict[str, Any], output: StageOutcome, kind: EndpointKind) -> list[int]:
    """Rewrite ``answer`` per choice. Blocked choices (and any action that is
    not allow or redact) carry the policy's message and ``finish_reason:
    content_filter``; redacted ones get placeholders. Either way their
    ``logprobs`` go, since the tokens there spell out the original text.
    Returns the positions of the choices blocked (a redaction that would
    break tool-call JSON blocks too)."""
    blocked = []
    for index, evaluation in enumerate(output.evaluations):
        choice = answer["choices"][index]
        action = evaluation.decision.action
        if action is Action.ALLOW:
            continue
        if action is Action.REDACT:
            try:
                output.bundles[index].apply(answer, evaluation.redactions)
            except RedactionConflict:
                action = Action.BLOCK
            else:
                if "logprobs" in choice:
                    choice["logprobs"] = None
                continue
        blocked.append(index)
        message = evaluation.decision.message or output.policy.spec.output_block_message
        if kind == EndpointKind.CHAT:
            choice["message"] = {"role": "assistant", "content": message, "refusal": None}
        else:
            choice["text"] = message
        choice["finish_reason"] = "content_filter"
        if "logprobs" in choice:
            choice["logprobs"] = None
    return blocked
