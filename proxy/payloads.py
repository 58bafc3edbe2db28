"""Find the text in OpenAI request and response bodies, and write redacted
text back in place. Knows JSON shapes, not HTTP and not policies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..policies.decisions import Action
from ..policies.redaction import RedactionSpan, redact
from ..policies.schema import InputScope
from .errors import ClientError

if TYPE_CHECKING:
    from .enforcement import StageOutcome

__all__ = [
    "TextBundle",
    "TextSegment",
    "apply_output",
    "chat_input_bundles",
    "chat_output_bundle",
    "completion_output_bundle",
    "prompt_input_bundles",
]

Path = tuple[str | int, ...]
SEPARATOR = "\n\n"  # between segments of one bundle; guards see turns apart but whole


@dataclass(frozen=True, slots=True)
class TextSegment:
    path: Path  # where in the JSON body the text lives
    text: str


@dataclass(frozen=True, slots=True)
class TextBundle:
    """Segments scanned as one text, so a phrase split over turns is seen whole."""

    segments: tuple[TextSegment, ...]

    @property
    def text(self) -> str:
        return SEPARATOR.join(segment.text for segment in self.segments)

    def apply(self, body: Any, spans: Iterable[RedactionSpan]) -> None:
        """Write ``spans`` (offsets into :attr:`text`) back into ``body``. A span
        crossing segments is cut at their edges, each piece getting the placeholder."""
        per_segment: list[list[RedactionSpan]] = [[] for _ in self.segments]
        starts = []
        offset = 0
        for segment in self.segments:
            starts.append(offset)
            offset += len(segment.text) + len(SEPARATOR)
        for start, end, placeholder in spans:
            for i, segment in enumerate(self.segments):
                seg_start, seg_end = starts[i], starts[i] + len(segment.text)
                lo, hi = max(start, seg_start), min(end, seg_end)
                if lo < hi:
                    per_segment[i].append((lo - seg_start, hi - seg_start, placeholder))
        for segment, seg_spans in zip(self.segments, per_segment, strict=True):
            if seg_spans:
                _set(body, segment.path, redact(segment.text, seg_spans))


def _set(body: Any, path: Path, value: str) -> None:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _content_segments(content: Any, path: Path) -> list[TextSegment]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextSegment(path, content)] if content else []
    if isinstance(content, list):
        segments = []
        for j, part in enumerate(content):
            if not isinstance(part, dict):
                raise ClientError(f"{_dotted(path)}[{j}] must be an object", param=_dotted(path))
            text = part.get("text")
            if part.get("type") in ("text", "input_text", "output_text") or text is not None:
                if not isinstance(text, str):
                    raise ClientError(
                        f"{_dotted(path)}[{j}].text must be a string", param=_dotted(path)
                    )
                if text:
                    segments.append(TextSegment((*path, j, "text"), text))
        return segments
    raise ClientError(f"{_dotted(path)} must be a string or a list of parts", param=_dotted(path))


def _tool_call_segments(calls: Any, path: Path) -> list[TextSegment]:
    if not isinstance(calls, list):
        return []
    segments = []
    for i, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            segments.append(TextSegment((*path, i, "function", "arguments"), function["arguments"]))
    return segments


def _message_segments(message: dict[str, Any], path: Path) -> list[TextSegment]:
    segments = _content_segments(message.get("content"), (*path, "content"))
    segments += _tool_call_segments(message.get("tool_calls"), (*path, "tool_calls"))
    function_call = message.get("function_call")
    if isinstance(function_call, dict) and isinstance(function_call.get("arguments"), str):
        segments.append(
            TextSegment((*path, "function_call", "arguments"), function_call["arguments"])
        )
    return segments


def chat_input_bundles(
    body: dict[str, Any], scope: InputScope, roles: Sequence[str]
) -> list[TextBundle]:
    messages = body.get("messages")
    if messages is None:
        raise ClientError("'messages' is required", param="messages", code="missing_field")
    if not isinstance(messages, list) or not messages:
        raise ClientError("'messages' must be a non-empty list", param="messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ClientError(f"messages[{i}] must be an object with a 'role'", param="messages")
    indices = _scoped(messages, scope, roles)
    segments: list[TextSegment] = []
    for i in indices:
        segments += _message_segments(messages[i], ("messages", i))
    return [TextBundle(tuple(segments))] if segments else []


def _scoped(messages: list[dict[str, Any]], scope: InputScope, roles: Sequence[str]) -> list[int]:
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if scope is InputScope.ALL_USER:
        return users
    if scope is InputScope.LAST_USER:
        # The last user turn and what followed it (tool results feed the model too).
        first = users[-1] if users else 0
        return [
            i for i in range(first, len(messages)) if i == first or messages[i]["role"] in roles
        ]
    return [i for i, m in enumerate(messages) if m["role"] in roles]


def prompt_input_bundles(body: dict[str, Any], field: str) -> list[TextBundle]:
    """``prompt`` (completions) or ``input`` (embeddings): a string or a list of
    strings, one bundle each. Token-id inputs cannot be read, so they are refused."""
    value = body.get(field)
    if value is None:
        raise ClientError(f"'{field}' is required", param=field, code="missing_field")
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ClientError(
            f"'{field}' must be a string or a list of strings; token-id input cannot be "
            "checked by the gateway's guards and is not accepted",
            param=field,
        )
    paths: list[Path] = (
        [(field,)] if isinstance(value, str) else [(field, i) for i in range(len(items))]
    )
    return [TextBundle((TextSegment(p, t),)) for p, t in zip(paths, items, strict=True) if t]


def chat_output_bundle(choice: dict[str, Any], index: int) -> TextBundle:
    message = choice.get("message")
    if not isinstance(message, dict):
        return TextBundle(())
    return TextBundle(tuple(_message_segments(message, ("choices", index, "message"))))


def completion_output_bundle(choice: dict[str, Any], index: int) -> TextBundle:
    text = choice.get("text")
    return TextBundle(
        (TextSegment(("choices", index, "text"), text),) if isinstance(text, str) and text else ()
    )


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def apply_output(answer: dict[str, Any], output: StageOutcome, kind: str) -> None:
    """Rewrite ``answer`` per choice: blocked choices carry the policy's message
    and ``finish_reason: content_filter``; redacted ones get placeholders."""
    for index, evaluation in enumerate(output.evaluations):
        choice = answer["choices"][index]
        action = evaluation.decision.action
        if action is Action.BLOCK:
            message = evaluation.decision.message or output.policy.spec.output_block_message
            if kind == "chat":
                choice["message"] = {"role": "assistant", "content": message, "refusal": None}
            else:
                choice["text"] = message
            choice["finish_reason"] = "content_filter"
        elif action is Action.REDACT:
            output.bundles[index].apply(answer, evaluation.redactions)
