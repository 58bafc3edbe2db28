"""The Responses API (``POST /v1/responses``): what the guards read in its
requests and answers, how a decision is applied, and how a guarded stream of
its events is written out again."""

from __future__ import annotations

import time
from typing import Any

from ...policies.schema import PolicySpec
from ..sse import encode_event
from .bundles import (
    PayloadShapeError,
    TextBundle,
    TextSegment,
    arguments_segment,
    content_segments,
    json_string_segments,
)
from .kinds import EndpointKind
from .openai import OpenAIErrors
from .tokens import Tokenizer

__all__ = [
    "ResponsesFamily",
    "response_input_bundles",
    "response_output_bundle",
    "response_stream",
]

_INPUT_PARTS = frozenset({"input_text", "output_text", "text"})
_OUTPUT_PARTS = frozenset({"output_text", "text"})
_ROLES = frozenset({"user", "assistant", "system", "developer"})
Path = tuple[str | int, ...]


def response_input_bundles(body: dict[str, Any]) -> list[TextBundle]:
    """One bundle: instructions, every input item, and tool schemas. Items the
    gateway cannot see (``item_reference``, a ``previous_response_id``) are
    counted as unscanned, like images."""
    if "input" not in body:
        raise PayloadShapeError("'input' is required", "input")
    segments: list[TextSegment] = []
    unscanned = 0
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise PayloadShapeError("'instructions' must be a string", "instructions")
    if instructions:
        segments.append(TextSegment(("instructions",), instructions))
    value = body["input"]
    if isinstance(value, str):
        segments += [TextSegment(("input",), value)] if value else []
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found, skipped = _input_item(item, ("input", i))
            segments += found
            unscanned += skipped
    else:
        raise PayloadShapeError("'input' must be a string or a list of items", "input")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise PayloadShapeError("'tools' must be a list", "tools")
        segments += json_string_segments(tools, ("tools",))
    if body.get("previous_response_id") is not None:
        unscanned += 1
    return [TextBundle(tuple(segments), unscanned)]


def _input_item(item: Any, path: Path) -> tuple[list[TextSegment], int]:
    if not isinstance(item, dict):
        raise PayloadShapeError(f"input[{path[1]}] must be an object", "input")
    kind = item.get("type", "message" if "role" in item else None)
    if kind is not None and not isinstance(kind, str):
        raise PayloadShapeError(f"input[{path[1]}].type must be a string", "input")
    if kind == "message":
        role = item.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise PayloadShapeError(
                f"input[{path[1]}].role must be one of {sorted(_ROLES)}", "input"
            )
        return content_segments(item.get("content"), (*path, "content"), text_types=_INPUT_PARTS)
    if kind == "function_call":
        segment = arguments_segment(item.get("arguments"), (*path, "arguments"))
        return ([segment] if segment else []), 0
    if kind == "function_call_output":
        output = item.get("output")
        if isinstance(output, str):
            return ([TextSegment((*path, "output"), output)] if output else []), 0
        return content_segments(output, (*path, "output"), text_types=_INPUT_PARTS)
    if kind == "item_reference":
        return [], 1  # stored server-side: the gateway cannot read it
    # Reasoning summaries and item types added later: read every string in them.
    rest = {k: v for k, v in item.items() if k not in ("type", "id", "status", "call_id")}
    return json_string_segments(rest, path), 0


def response_output_bundle(answer: dict[str, Any]) -> TextBundle:
    """The whole answer as one bundle: message parts, refusals, function-call
    arguments, reasoning summaries, and the ``output_text`` convenience field."""
    output = answer.get("output")
    if not isinstance(output, list):
        raise PayloadShapeError("response has no 'output' list")
    segments: list[TextSegment] = []
    for i, item in enumerate(output):
        path: Path = ("output", i)
        if not isinstance(item, dict):
            raise PayloadShapeError(f"output[{i}] is not an object")
        kind = item.get("type")
        if kind == "message":
            found, _ = content_segments(
                item.get("content"),
                (*path, "content"),
                text_types=_OUTPUT_PARTS,
                read_unknown=True,
            )
            segments += found
        elif kind == "function_call":
            segment = arguments_segment(item.get("arguments"), (*path, "arguments"))
            segments += [segment] if segment else []
        else:
            rest = {k: v for k, v in item.items() if k not in ("type", "id", "status", "call_id")}
            segments += json_string_segments(rest, path)
    if isinstance(answer.get("output_text"), str) and answer["output_text"]:
        segments.append(TextSegment(("output_text",), answer["output_text"]))
    return TextBundle(tuple(segments))


def blocked_output_item(answer_id: str, message: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"msg_sg_{answer_id}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": message, "annotations": []}],
    }


class ResponsesFamily(OpenAIErrors):
    """The whole answer is one part: blocking replaces its output with the
    policy's message and marks it incomplete for ``content_filter``."""

    kind = EndpointKind.RESPONSES
    path = "/v1/responses"
    input_field = "input"
    guards_output = True

    def input_bundles(
        self, body: dict[str, Any], spec: PolicySpec, tokenizer: Tokenizer | None
    ) -> list[TextBundle]:
        return response_input_bundles(body)

    def output_bundles(self, answer: Any) -> list[TextBundle]:
        if not isinstance(answer, dict):
            raise PayloadShapeError("response is not an object")
        return [response_output_bundle(answer)]

    def block_output(self, answer: dict[str, Any], part: int, message: str) -> None:
        answer["output"] = [blocked_output_item(str(answer.get("id", "")), message)]
        answer["status"] = "incomplete"
        answer["incomplete_details"] = {"reason": "content_filter"}
        if "output_text" in answer:
            answer["output_text"] = message

    def redacted_output(self, answer: dict[str, Any], part: int) -> None:
        # Token logprobs would spell out what was redacted.
        for item in answer.get("output") or []:
            for part_ in (item.get("content") or []) if isinstance(item, dict) else []:
                if isinstance(part_, dict) and part_.get("logprobs"):
                    part_["logprobs"] = []

    def blocked_answer(self, request_id: str, model: str, message: str) -> dict[str, Any]:
        return {
            "id": f"resp_sg_{request_id}",
            "object": "response",
            "created_at": int(time.time()),
            "model": model,
            "status": "incomplete",
            "incomplete_details": {"reason": "content_filter"},
            "error": None,
            "output": [blocked_output_item(request_id, message)],
            "instructions": None,
            "metadata": {},
            "parallel_tool_calls": False,
            "temperature": None,
            "tool_choice": "auto",
            "tools": [],
            "top_p": None,
        }

    def blocked_stream(
        self, request_id: str, model: str, message: str, request: dict[str, Any]
    ) -> bytes:
        return response_stream(self.blocked_answer(request_id, model, message))


def response_stream(response: dict[str, Any]) -> bytes:
    """A complete, valid event stream that delivers ``response`` (as the policy
    left it): each output item added, its text or arguments as one delta, done;
    then ``response.completed`` (``response.incomplete`` when blocked)."""
    events: list[dict[str, Any]] = []

    def emit(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **fields})

    emit("response.created", response={**response, "status": "in_progress", "output": []})
    for index, item in enumerate(response.get("output") or []):
        item_id = item.get("id", f"item_{index}")
        if item.get("type") == "message":
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            for part_index, part in enumerate(item.get("content") or []):
                text = part.get("text", "") if isinstance(part, dict) else ""
                emit(
                    "response.content_part.added",
                    item_id=item_id,
                    output_index=index,
                    content_index=part_index,
                    part={**part, "text": ""},
                )
                emit(
                    "response.output_text.delta",
                    item_id=item_id,
                    output_index=index,
                    content_index=part_index,
                    delta=text,
                    logprobs=[],
                )
                emit(
                    "response.output_text.done",
                    item_id=item_id,
                    output_index=index,
                    content_index=part_index,
                    text=text,
                    logprobs=[],
                )
                emit(
                    "response.content_part.done",
                    item_id=item_id,
                    output_index=index,
                    content_index=part_index,
                    part=part,
                )
        elif item.get("type") == "function_call":
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            emit(
                "response.function_call_arguments.delta",
                item_id=item_id,
                output_index=index,
                delta=item.get("arguments", ""),
            )
            emit(
                "response.function_call_arguments.done",
                item_id=item_id,
                output_index=index,
                arguments=item.get("arguments", ""),
            )
        else:
            emit("response.output_item.added", output_index=index, item=item)
        emit("response.output_item.done", output_index=index, item=item)
    final = (
        "response.incomplete" if response.get("status") == "incomplete" else ("response.completed")
    )
    emit(final, response=response)
    return b"".join(b"event: " + e["type"].encode() + b"\n" + encode_event(e) for e in events)
