"""Text bundles: the text a guard stage reads, with the JSON paths it came from,
so redactions can be written back in place. Knows JSON shapes, not HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from ...policies.redaction import RedactionSpan, redact

__all__ = [
    "PayloadShapeError",
    "RedactionConflict",
    "TextBundle",
    "TextSegment",
    "arguments_segment",
    "call_segments",
    "content_segments",
    "json_string_segments",
]

Path = tuple[str | int, ...]
SEPARATOR = "\n\n"  # between segments of one bundle; guards see turns apart but whole


class PayloadShapeError(ValueError):
    """A body does not have the shape its endpoint requires. The input side
    answers 400; the output side treats it as a broken upstream (502)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class RedactionConflict(ValueError):
    """Redacting would leave tool-call arguments that are no longer valid JSON;
    the text is blocked instead of being sent broken or unredacted."""


@dataclass(frozen=True, slots=True)
class TextSegment:
    path: Path  # where in the JSON body the text lives
    text: str
    json_arguments: bool = False  # text is canonical JSON of a tool call's arguments
    # Set when the text was decoded from token ids: redactions are written back
    # as ids, re-encoded with the same tokenizer.
    encode: Callable[[str], list[int]] | None = None


@dataclass(frozen=True, slots=True)
class TextBundle:
    """Segments scanned as one text, so a phrase split over turns is seen whole."""

    segments: tuple[TextSegment, ...]
    unscanned: int = 0  # parts the guards cannot read (images, audio, files)

    @property
    def text(self) -> str:
        return SEPARATOR.join(segment.text for segment in self.segments)

    def spans_by_segment(self, spans: Iterable[RedactionSpan]) -> list[list[RedactionSpan]]:
        """``spans`` (offsets into :attr:`text`) as offsets into each segment."""
        spans = list(spans)
        per_segment: list[list[RedactionSpan]] = [[] for _ in self.segments]
        offset = 0
        for i, segment in enumerate(self.segments):
            seg_end = offset + len(segment.text)
            for start, end, placeholder in spans:
                lo, hi = max(start, offset), min(end, seg_end)
                if lo < hi:
                    per_segment[i].append((lo - offset, hi - offset, placeholder))
            offset = seg_end + len(SEPARATOR)
        return per_segment

    def apply(self, body: Any, spans: Iterable[RedactionSpan]) -> None:
        """Write ``spans`` (offsets into :attr:`text`) back into ``body``. A span
        crossing segments is cut at their edges, each piece getting the placeholder.
        Raises :class:`RedactionConflict` (leaving ``body`` untouched) when a
        redacted tool-call argument would no longer parse."""
        per_segment = self.spans_by_segment(spans)
        updates: list[tuple[Path, str | list[int]]] = []
        for segment, seg_spans in zip(self.segments, per_segment, strict=True):
            if not seg_spans:
                continue
            value = redact(segment.text, seg_spans)
            if segment.json_arguments and not _parses(value):
                raise RedactionConflict(f"redaction would break {_dotted(segment.path)}")
            encoded = value if segment.encode is None else segment.encode(value)
            updates.append((segment.path, encoded))
        for path, new in updates:
            target = body
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = new


def _parses(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def content_segments(
    content: Any, path: Path, *, text_types: frozenset[str], read_unknown: bool = False
) -> tuple[list[TextSegment], int]:
    """Segments of a message ``content``: a string or a list of parts. Parts of
    other kinds are counted as unscanned, or with ``read_unknown`` read whole
    (every string in them), so an unfamiliar shape cannot carry text past the
    guards."""
    if content is None:
        return [], 0
    if isinstance(content, str):
        return ([TextSegment(path, content)] if content else []), 0
    if not isinstance(content, list):
        raise PayloadShapeError(
            f"{_dotted(path)} must be a string or a list of parts", str(path[0])
        )
    segments: list[TextSegment] = []
    unscanned = 0
    for j, part in enumerate(content):
        where = f"{_dotted(path)}[{j}]"
        if not isinstance(part, dict):
            raise PayloadShapeError(f"{where} must be an object", str(path[0]))
        kind = part.get("type")
        if kind is not None and not isinstance(kind, str):
            raise PayloadShapeError(f"{where}.type must be a string", str(path[0]))
        field = "refusal" if kind == "refusal" else "text"
        value = part.get(field)
        if kind in text_types or kind == "refusal" or (kind is None and value is not None):
            if not isinstance(value, str):
                raise PayloadShapeError(f"{where}.{field} must be a string", str(path[0]))
            if value:
                segments.append(TextSegment((*path, j, field), value))
        elif read_unknown:
            rest = {k: v for k, v in part.items() if k != "type"}
            segments += json_string_segments(rest, (*path, j))
        else:
            unscanned += 1
    return segments, unscanned


def arguments_segment(arguments: Any, path: Path) -> TextSegment | None:
    """Tool-call arguments: a JSON document in a string. Guards read it in
    canonical form (escapes decoded), so ``"nerve \\u0061gent"`` is seen as
    written out; redaction writes the canonical form back."""
    if arguments is None or arguments == "":
        return None
    if not isinstance(arguments, str):
        raise PayloadShapeError(f"{_dotted(path)} must be a string of JSON", str(path[0]))
    try:
        canonical = orjson.dumps(orjson.loads(arguments)).decode()
    except orjson.JSONDecodeError:
        return TextSegment(path, arguments)  # not JSON: scanned as written
    return TextSegment(path, canonical, json_arguments=True)


def call_segments(message: dict[str, Any], path: Path) -> list[TextSegment]:
    """Arguments of a message's ``tool_calls`` and legacy ``function_call``."""
    segments = []
    calls = message.get("tool_calls")
    if calls is not None and not isinstance(calls, list):
        raise PayloadShapeError(f"{_dotted(path)}.tool_calls must be a list", str(path[0]))
    for j, call in enumerate(calls or []):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise PayloadShapeError(
                f"{_dotted(path)}.tool_calls[{j}] needs a 'function' object", str(path[0])
            )
        segment = arguments_segment(
            function.get("arguments"), (*path, "tool_calls", j, "function", "arguments")
        )
        segments += [segment] if segment else []
    function_call = message.get("function_call")
    if isinstance(function_call, dict):
        segment = arguments_segment(
            function_call.get("arguments"), (*path, "function_call", "arguments")
        )
        segments += [segment] if segment else []
    return segments


def json_string_segments(value: Any, path: Path) -> list[TextSegment]:
    """Every string inside a JSON value (tool schemas: descriptions, enums)."""
    if isinstance(value, str):
        return [TextSegment(path, value)] if value else []
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in json_string_segments(v, (*path, k))]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in json_string_segments(v, (*path, i))]
    return []


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
