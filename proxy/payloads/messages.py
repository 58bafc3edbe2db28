"""Anthropic's Messages API (``POST /v1/messages``): what the guards read in its
requests and answers, how a decision is applied, the Anthropic-shaped bodies
the gateway writes itself, and the pure halves of a guarded event stream
(assembling one Message from upstream events, writing one out again).

A content-filter stop is reported as ``stop_reason: "refusal"``: the value the
Messages API itself uses when its classifiers intervene, and one of the
``StopReason`` literals the ``anthropic`` SDK knows (older SDKs that lack it
still read it: the SDK does not validate literals on responses). The policy's
message is the answer's only content block, and also ``stop_details``'s
``explanation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from ...policies.schema import InputScope, PolicySpec
from ..sse import decode_json, parse_events
from .bundles import (
    PayloadShapeError,
    TextBundle,
    TextSegment,
    json_string_segments,
)
from .chat import message_list, scoped_messages
from .kinds import EndpointKind
from .tokens import Tokenizer

__all__ = [
    "STOP_REASON_BLOCKED",
    "MessagesFamily",
    "anthropic_error",
    "assemble_message_events",
    "blocked_message",
    "decode_message_events",
    "message_stream",
    "messages_input_bundles",
    "messages_output_bundle",
]

STOP_REASON_BLOCKED = "refusal"
_ROLES = frozenset({"user", "assistant"})
_TOOL_CALLS = frozenset({"tool_use", "server_tool_use"})  # blocks with an ``input`` object
# Ids, signatures and cache hints: not text the model reads as content.
_OPAQUE_FIELDS = frozenset({"type", "id", "tool_use_id", "signature", "cache_control"})
# What a Message stream's message_delta may say about usage (cumulative totals).
_DELTA_USAGE = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
)
# Anthropic's error types by status; the SDK picks its exception by status alone.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
Path = tuple[str | int, ...]


def messages_input_bundles(
    body: dict[str, Any],
    scope: InputScope = InputScope.CONVERSATION,
    roles: Sequence[str] = ("user", "assistant"),
) -> list[TextBundle]:
    """One bundle: ``system`` (always), the scoped messages' blocks, and the
    tool schemas. Images, non-text documents and redacted thinking are counted
    as unscanned; block types added later are read whole (every string in them)."""
    messages = message_list(body, _ROLES, content_required=True)
    segments, unscanned = _system_segments(body.get("system"))
    # As for chat; tool results travel in user turns here, so the last user
    # turn may be only tool results.
    for i in scoped_messages(messages, scope, roles):
        found, skipped = _content(messages[i]["content"], ("messages", i, "content"))
        segments += found
        unscanned += skipped
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
            raise PayloadShapeError("'tools' must be a list of objects", "tools")
        segments += json_string_segments(tools, ("tools",))
    return [TextBundle(tuple(segments), unscanned)]


def _system_segments(system: Any) -> tuple[list[TextSegment], int]:
    if system is None:
        return [], 0
    if isinstance(system, str):
        return ([TextSegment(("system",), system)] if system else []), 0
    if not isinstance(system, list):
        raise PayloadShapeError("'system' must be a string or a list of text blocks", "system")
    for j, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise PayloadShapeError(f"system[{j}] must be a text block", "system")
    return _content(system, ("system",))


def _content(content: Any, path: Path) -> tuple[list[TextSegment], int]:
    """A string or a list of content blocks, at ``path``."""
    param = str(path[0])
    if isinstance(content, str):
        return ([TextSegment(path, content)] if content else []), 0
    if not isinstance(content, list):
        raise PayloadShapeError(f"{_dotted(path)} must be a string or a list of blocks", param)
    segments: list[TextSegment] = []
    unscanned = 0
    for j, block in enumerate(content):
        found, skipped = _block(block, (*path, j))
        segments += found
        unscanned += skipped
    return segments, unscanned


def _block(block: Any, path: Path) -> tuple[list[TextSegment], int]:
    param = str(path[0])
    where = _dotted(path)
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise PayloadShapeError(f"{where} must be an object with a 'type'", param)
    kind = block["type"]
    if kind in ("text", "thinking"):
        segments = _string_field(block, kind, path, required=True)
        if kind == "text" and block.get("citations") is not None:
            segments += json_string_segments(block["citations"], (*path, "citations"))
        return segments, 0
    if kind in ("image", "redacted_thinking"):
        return [], 1  # pixels; thinking encrypted by the API
    if kind in _TOOL_CALLS:
        tool_input = block.get("input")
        if not isinstance(tool_input, dict):
            raise PayloadShapeError(f"{where}.input must be an object", param)
        # Every string in it, each written back in place when redacted, so the
        # object stays an object (a canonical-JSON segment could not be).
        segments = _string_field(block, "name", path, required=False)
        return segments + json_string_segments(tool_input, (*path, "input")), 0
    if kind == "tool_result":
        if block.get("content") is None:
            return [], 0
        return _content(block["content"], (*path, "content"))
    if kind == "document":
        return _document(block, path)
    rest = {k: v for k, v in block.items() if k not in _OPAQUE_FIELDS}
    return json_string_segments(rest, path), 0


def _document(block: dict[str, Any], path: Path) -> tuple[list[TextSegment], int]:
    """Plain-text and content-block documents are read; PDFs, URLs and file ids
    the gateway cannot read are counted as unscanned."""
    segments: list[TextSegment] = []
    for field in ("title", "context"):
        segments += _string_field(block, field, path, required=False)
    source = block.get("source")
    if not isinstance(source, dict):
        raise PayloadShapeError(f"{_dotted(path)}.source must be an object", str(path[0]))
    if source.get("type") == "text":
        return segments + _string_field(source, "data", (*path, "source"), required=True), 0
    if source.get("type") == "content":
        found, unscanned = _content(source.get("content"), (*path, "source", "content"))
        return segments + found, unscanned
    return segments, 1


def _string_field(
    block: dict[str, Any], field: str, path: Path, *, required: bool
) -> list[TextSegment]:
    value = block.get(field)
    if value is None and not required:
        return []
    if not isinstance(value, str):
        raise PayloadShapeError(f"{_dotted(path)}.{field} must be a string", str(path[0]))
    return [TextSegment((*path, field), value)] if value else []


def messages_output_bundle(answer: dict[str, Any]) -> TextBundle:
    """The whole Message as one bundle: text (and its citations), thinking, and
    each tool call's ``input`` as canonical JSON, which a redaction must leave
    valid (else the answer is blocked)."""
    content = answer.get("content")
    if not isinstance(content, list):
        raise PayloadShapeError("message has no 'content' list")
    segments: list[TextSegment] = []
    for i, block in enumerate(content):
        path: Path = ("content", i)
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise PayloadShapeError(f"content[{i}] is not an object with a 'type'")
        kind = block["type"]
        if kind in _TOOL_CALLS:
            tool_input = block.get("input")
            if not isinstance(tool_input, dict):
                raise PayloadShapeError(f"content[{i}].input is not an object")
            if tool_input:
                canonical = orjson.dumps(tool_input).decode()
                segments.append(TextSegment((*path, "input"), canonical, json_arguments=True))
        elif kind == "redacted_thinking":
            continue  # encrypted for the model; the client cannot read it either
        else:
            rest = {k: v for k, v in block.items() if k not in _OPAQUE_FIELDS}
            segments += json_string_segments(rest, path)
    return TextBundle(tuple(segments))


def _mark_blocked(message: dict[str, Any], notice: str) -> None:
    message["stop_reason"] = STOP_REASON_BLOCKED
    message["stop_sequence"] = None
    message["stop_details"] = {"type": "refusal", "category": None, "explanation": notice}


def blocked_message(request_id: str, model: str, message: str) -> dict[str, Any]:
    """A normal-looking Message whose only content is the policy's message."""
    blocked = {
        "id": f"msg_sg_{request_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": message}],
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
    _mark_blocked(blocked, message)
    return blocked


def anthropic_error(message: str, error_type: str) -> dict[str, Any]:
    """Anthropic's error body, which its SDKs parse into their exceptions."""
    return {"type": "error", "error": {"type": error_type, "message": message}}


class MessagesFamily:
    """Anthropic's Messages API. The whole Message is one part: blocking
    replaces its content with the policy's message and stops with
    ``refusal``; errors are in Anthropic's shape."""

    kind = EndpointKind.MESSAGES
    path = "/v1/messages"
    input_field = "messages"
    guards_output = True

    def input_bundles(
        self, body: dict[str, Any], spec: PolicySpec, tokenizer: Tokenizer | None
    ) -> list[TextBundle]:
        return messages_input_bundles(body, spec.input_scope, spec.input_roles)

    def output_bundles(self, answer: Any) -> list[TextBundle]:
        if not isinstance(answer, dict):
            raise PayloadShapeError("message is not an object")
        return [messages_output_bundle(answer)]

    def block_output(self, answer: dict[str, Any], part: int, message: str) -> None:
        answer["content"] = [{"type": "text", "text": message}]
        _mark_blocked(answer, message)

    def redacted_output(self, answer: dict[str, Any], part: int) -> None:
        # Redaction wrote tool inputs back as JSON text; clients expect objects.
        for block in answer["content"]:
            if block.get("type") in _TOOL_CALLS and isinstance(block.get("input"), str):
                block["input"] = orjson.loads(block["input"])

    def blocked_answer(self, request_id: str, model: str, message: str) -> dict[str, Any]:
        return blocked_message(request_id, model, message)

    def blocked_stream(
        self, request_id: str, model: str, message: str, request: dict[str, Any]
    ) -> bytes:
        return message_stream(blocked_message(request_id, model, message))

    def error_body(
        self,
        status_code: int,
        message: str,
        *,
        error_type: str,
        code: str | None,
        param: str | None,
    ) -> dict[str, Any]:
        """The gateway's ``code`` and ``param`` have no place in Anthropic's
        shape; the message names the field. The SDK picks its exception by
        status alone."""
        if status_code >= 500:
            error_type = "api_error"
        return anthropic_error(message, _ERROR_TYPES.get(status_code, error_type))

    def input_block_error(self, message: str) -> dict[str, Any]:
        return anthropic_error(message, "invalid_request_error")


def decode_message_events(raw: bytes) -> list[dict[str, Any]]:
    """The JSON ``data:`` of every event in a buffered SSE body. Anthropic's
    ``event:`` lines repeat the data's ``type`` and are not needed."""
    events = []
    for payload in parse_events(raw):
        event = decode_json(payload)
        if event is None:  # [DONE]: not an Anthropic event
            raise PayloadShapeError("upstream sent a non-JSON event")
        if not isinstance(event.get("type"), str):
            raise PayloadShapeError("upstream sent an event without a type")
        events.append(event)
    return events


def assemble_message_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The final Message a stream of events delivers: ``message_start``'s
    message, each content block built from its start and deltas, and
    ``message_delta``'s stop reason and usage. Raises PayloadShapeError for an
    error event, a stream cut before ``message_stop``, or a delta it cannot
    apply: what cannot be assembled cannot be guarded."""
    live = [e for e in events if e["type"] != "ping"]
    for event in live:
        if event["type"] == "error":
            error = _object(event, "error")
            raise PayloadShapeError(
                f"upstream stream failed: {error.get('type', 'error')}: {error.get('message', '')}"
            )
    if (
        not live
        or live[0]["type"] != "message_start"
        or not isinstance(live[0].get("message"), dict)
    ):
        first = live[0]["type"] if live else "nothing"
        raise PayloadShapeError(f"stream began with {first}, not message_start")
    message: dict[str, Any] = orjson.loads(orjson.dumps(live[0]["message"]))  # a copy to change
    blocks: dict[int, dict[str, Any]] = {}
    json_parts: dict[int, list[str]] = {}
    stopped = False
    for event in live[1:]:
        kind = event["type"]
        if stopped:
            raise PayloadShapeError(f"{kind} after message_stop")
        if kind == "content_block_start":
            index, block = _index(event), event.get("content_block")
            if index in blocks or not isinstance(block, dict):
                raise PayloadShapeError(f"bad content_block_start at index {index}")
            blocks[index] = orjson.loads(orjson.dumps(block))
        elif kind == "content_block_delta":
            index = _index(event)
            if index not in blocks or not isinstance(event.get("delta"), dict):
                raise PayloadShapeError(f"content_block_delta for unknown block {index}")
            _apply_delta(blocks[index], event["delta"], json_parts.setdefault(index, []))
        elif kind == "content_block_stop":
            if _index(event) not in blocks:
                raise PayloadShapeError("content_block_stop for an unknown block")
        elif kind == "message_delta":
            delta = _object(event, "delta")
            for field in ("stop_reason", "stop_sequence", "stop_details", "container"):
                if field in delta:
                    message[field] = delta[field]
            usage = event.get("usage")
            if isinstance(usage, dict):
                merged = _object(message, "usage")
                # Totals so far: overwrite, but keep message_start's where absent.
                message["usage"] = {**merged, **{k: v for k, v in usage.items() if v is not None}}
        elif kind == "message_stop":
            stopped = True
        # Event types added later carry no content of the final message.
    if not stopped:
        raise PayloadShapeError("upstream stream ended before message_stop")
    if sorted(blocks) != list(range(len(blocks))):
        raise PayloadShapeError("upstream stream skipped a content block index")
    for index, parts in json_parts.items():
        if parts:
            try:
                blocks[index]["input"] = orjson.loads("".join(parts))
            except orjson.JSONDecodeError:
                raise PayloadShapeError(f"content[{index}]: tool input is not JSON") from None
    message["content"] = [blocks[i] for i in range(len(blocks))]
    return message


def _object(container: dict[str, Any], field: str) -> dict[str, Any]:
    value = container.get(field)
    return value if isinstance(value, dict) else {}


def _index(event: dict[str, Any]) -> int:
    index = event.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise PayloadShapeError(f"{event['type']} without a valid index")
    return index


def _apply_delta(block: dict[str, Any], delta: dict[str, Any], json_parts: list[str]) -> None:
    kind = delta.get("type")
    fields = {
        "text_delta": ("text", "text"),
        "thinking_delta": ("thinking", "thinking"),
        "input_json_delta": ("partial_json", None),
        "signature_delta": ("signature", None),
        "citations_delta": ("citation", None),
    }
    if kind not in fields:
        raise PayloadShapeError(f"upstream sent a delta of unknown type {kind!r}")
    source, target = fields[kind]
    value = delta.get(source)
    if kind == "citations_delta":
        if not isinstance(value, dict):
            raise PayloadShapeError("citations_delta without a citation")
        block["citations"] = [*(block.get("citations") or []), value]
        return
    if not isinstance(value, str):
        raise PayloadShapeError(f"{kind} without a string {source!r}")
    if kind == "input_json_delta":
        json_parts.append(value)
    elif kind == "signature_delta":
        block["signature"] = value
    else:
        assert target is not None
        previous = block.get(target) or ""
        if not isinstance(previous, str):
            raise PayloadShapeError(f"{kind} for a block without string {target!r}")
        block[target] = previous + value


def message_stream(message: dict[str, Any]) -> bytes:
    """A complete, well-formed event stream that delivers ``message`` (as the
    policy left it): ``message_start`` with no content, per block a start, its
    text, thinking or tool input as one delta, and a stop; then
    ``message_delta`` with the stop reason and usage, and ``message_stop``."""
    usage = _object(message, "usage")
    head = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    head.pop("stop_details", None)
    events: list[dict[str, Any]] = [{"type": "message_start", "message": head}]
    for index, block in enumerate(message.get("content") or []):
        start, deltas = _block_events(block)
        events.append({"type": "content_block_start", "index": index, "content_block": start})
        events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
        events.append({"type": "content_block_stop", "index": index})
    delta = {
        "stop_reason": message.get("stop_reason"),
        "stop_sequence": message.get("stop_sequence"),
    }
    if message.get("stop_details") is not None:
        delta["stop_details"] = message["stop_details"]
    delta_usage = {k: usage[k] for k in _DELTA_USAGE if usage.get(k) is not None}
    delta_usage.setdefault("output_tokens", 0)
    events.append({"type": "message_delta", "delta": delta, "usage": delta_usage})
    events.append({"type": "message_stop"})
    return b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events
    )


def _block_events(block: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A block's ``content_block_start`` and its deltas."""
    kind = block.get("type")
    if kind == "text":
        start = {k: v for k, v in block.items() if k != "citations"}
        deltas = [{"type": "text_delta", "text": block["text"]}] if block.get("text") else []
        deltas += [{"type": "citations_delta", "citation": c} for c in block.get("citations") or []]
        return {**start, "text": ""}, deltas
    if kind == "thinking":
        deltas = [{"type": "thinking_delta", "thinking": block.get("thinking", "")}]
        if block.get("signature"):
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        return {**block, "thinking": "", "signature": ""}, deltas
    if kind in _TOOL_CALLS:
        partial = orjson.dumps(block.get("input") or {}).decode()
        return {**block, "input": {}}, [{"type": "input_json_delta", "partial_json": partial}]
    return block, []  # redacted thinking, tool results: whole at the start


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
