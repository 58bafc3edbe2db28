"""Server-sent events from an OpenAI-compatible upstream: parse a buffered
stream, rebuild the whole answer per choice, and write it out again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from .errors import openai_error

__all__ = [
    "AssembledStream",
    "SSEFormatError",
    "SSEParser",
    "assemble",
    "decode_chunk",
    "encode_event",
    "error_event",
    "parse_events",
]

DONE = b"[DONE]"
DONE_EVENT = b"data: [DONE]\n\n"
# Delta fields holding model-written text, merged by concatenation.
_TEXT_FIELDS = ("content", "refusal", "reasoning_content", "reasoning")


class SSEFormatError(ValueError):
    """The upstream stream is not valid SSE with JSON data."""


def parse_events(raw: bytes) -> list[bytes]:
    """``data:`` payloads of every event, in order (comments and other fields dropped)."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    payloads = []
    for block in text.split(b"\n\n"):
        data = [
            line[5:].removeprefix(b" ") for line in block.split(b"\n") if line.startswith(b"data:")
        ]
        if data:
            payloads.append(b"\n".join(data))
    return payloads


class SSEParser:
    """Incremental form of :func:`parse_events`: feed bytes as they arrive, get
    the ``data:`` payloads of every event completed so far."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = self._buffer.rfind(b"\n\n")
        if end < 0:
            return []
        complete, self._buffer = self._buffer[: end + 2], self._buffer[end + 2 :]
        return parse_events(complete)

    def close(self) -> list[bytes]:
        """Payloads of a last event the upstream did not terminate."""
        rest, self._buffer = self._buffer, b""
        return parse_events(rest)


@dataclass
class _ToolCall:
    id: str | None = None
    type: str = "function"
    name: str = ""
    arguments: str = ""


@dataclass
class _Choice:
    role: str = "assistant"
    text: dict[str, str] = field(default_factory=dict)  # delta field -> concatenated text
    tool_calls: dict[int, _ToolCall] = field(default_factory=dict)
    function_call: _ToolCall | None = None  # legacy single function call
    transcript: str | None = None  # audio output's transcript
    finish_reason: str | None = None


@dataclass
class AssembledStream:
    """Everything a buffered stream said, merged per choice."""

    kind: str  # "chat" or "text"
    chunks: list[dict[str, Any]]  # every parsed event, in order
    head: dict[str, Any]  # id, created, model, system_fingerprint of the first chunk
    choices: dict[int, _Choice]
    usage_chunks: list[dict[str, Any]]

    def as_response_choices(self) -> list[dict[str, Any]]:
        """Choices shaped like a non-streamed response, for the output guards."""
        out = []
        for index in sorted(self.choices):
            choice = self.choices[index]
            if self.kind == "text":
                out.append({"index": index, "text": choice.text.get("content", "")})
                continue
            message: dict[str, Any] = {"role": choice.role, "content": None, **choice.text}
            if choice.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": c.type,
                        "function": {"name": c.name, "arguments": c.arguments},
                    }
                    for _, c in sorted(choice.tool_calls.items())
                ]
            if choice.function_call is not None:
                call = choice.function_call
                message["function_call"] = {"name": call.name, "arguments": call.arguments}
            if choice.transcript is not None:
                message["audio"] = {"transcript": choice.transcript}
            out.append({"index": index, "message": message, "finish_reason": choice.finish_reason})
        return out

    def add(self, chunk: dict[str, Any]) -> None:
        """Merge one decoded chunk (see :func:`decode_chunk`)."""
        self.chunks.append(chunk)
        if not self.head:
            self.head = {
                k: chunk[k] for k in ("id", "created", "model", "system_fingerprint") if k in chunk
            }
        entries = chunk.get("choices") or []
        if not entries and chunk.get("usage") is not None:
            self.usage_chunks.append(chunk)
        for entry in entries:
            _merge(self, entry)

    def replay(self) -> bytes:
        """The stream as parsed, re-encoded event by event."""
        return b"".join(encode_event(chunk) for chunk in self.chunks) + DONE_EVENT

    def replacement(self, choices: list[dict[str, Any]]) -> bytes:
        """A complete stream carrying ``choices`` (response-shaped, as rewritten by
        the policy) as one delta each, then their finish reasons, the usage
        chunks and ``[DONE]``."""
        events = []
        obj = "chat.completion.chunk" if self.kind == "chat" else "text_completion"
        for choice in choices:
            index = choice["index"]
            if self.kind == "text":
                body: dict[str, Any] = {"index": index, "text": choice.get("text") or ""}
            else:
                delta = {k: v for k, v in choice["message"].items() if v is not None}
                for i, call in enumerate(delta.get("tool_calls", [])):
                    call["index"] = i
                body = {"index": index, "delta": delta}
            events.append(
                {**self.head, "object": obj, "choices": [{**body, "finish_reason": None}]}
            )
        for choice in choices:
            index = choice["index"]
            reason = choice.get("finish_reason") or self.choices[index].finish_reason
            end: dict[str, Any] = {"index": index, "finish_reason": reason}
            if self.kind == "text":
                end["text"] = ""
            else:
                end["delta"] = {}
            events.append({**self.head, "object": obj, "choices": [end]})
        events.extend(self.usage_chunks)
        return b"".join(encode_event(e) for e in events) + DONE_EVENT


def encode_event(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def error_event(message: str) -> bytes:
    """An upstream failure mid-stream, in OpenAI's error shape (SDKs raise it)."""
    return encode_event(openai_error(message, error_type="api_error", code="upstream_error"))


def assemble(payloads: Iterable[bytes], kind: str) -> AssembledStream:
    """Merge the events of a ``kind`` stream (``chat`` or ``text``; the
    endpoint decides, never the chunks, which some providers leave blank)."""
    stream = AssembledStream("text" if kind == "text" else "chat", [], {}, {}, [])
    for payload in payloads:
        chunk = decode_chunk(payload)
        if chunk is not None:
            stream.add(chunk)
    if not stream.chunks:
        raise SSEFormatError("upstream stream carried no events")
    return stream


def decode_chunk(payload: bytes) -> dict[str, Any] | None:
    """One event's JSON object; None for ``[DONE]``. Raises SSEFormatError."""
    if payload.strip() == DONE:
        return None
    try:
        chunk = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise SSEFormatError(f"upstream sent a non-JSON event: {exc}") from None
    if not isinstance(chunk, dict):
        raise SSEFormatError("upstream sent an event that is not a JSON object")
    if chunk.get("error") is not None:
        raise SSEFormatError(f"upstream reported an error mid-stream: {chunk['error']}")
    entries = chunk.get("choices") or []
    if not isinstance(entries, list):
        raise SSEFormatError("upstream sent 'choices' that is not a list")
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("index", 0), int):
            raise SSEFormatError("upstream sent a malformed choice")
    return chunk


def _merge(stream: AssembledStream, entry: dict[str, Any]) -> None:
    choice = stream.choices.setdefault(entry.get("index", 0), _Choice())
    if entry.get("finish_reason"):
        choice.finish_reason = str(entry["finish_reason"])
    if stream.kind == "text":
        _append(choice, "content", entry.get("text"))
        return
    delta = entry.get("delta") or {}
    if not isinstance(delta, dict):
        raise SSEFormatError("upstream sent a malformed delta")
    if isinstance(delta.get("role"), str):
        choice.role = delta["role"]
    for name in _TEXT_FIELDS:
        _append(choice, name, delta.get(name))
    function_call = delta.get("function_call")
    if function_call is not None:
        if not isinstance(function_call, dict):
            raise SSEFormatError("upstream sent a malformed function_call delta")
        slot = choice.function_call = choice.function_call or _ToolCall()
        slot.name += _string(function_call.get("name"))
        slot.arguments += _string(function_call.get("arguments"))
    audio = delta.get("audio")
    if isinstance(audio, dict) and "transcript" in audio:
        choice.transcript = (choice.transcript or "") + _string(audio.get("transcript"))
    calls = delta.get("tool_calls") or []
    if not isinstance(calls, list):
        raise SSEFormatError("upstream sent tool_calls that is not a list")
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("index", 0), int):
            raise SSEFormatError("upstream sent a malformed tool call delta")
        function = call.get("function") or {}
        if not isinstance(function, dict):
            raise SSEFormatError("upstream sent a malformed tool call function")
        slot = choice.tool_calls.setdefault(call.get("index", 0), _ToolCall())
        slot.id = call.get("id") or slot.id
        slot.type = call.get("type") or slot.type
        slot.name += _string(function.get("name"))
        slot.arguments += _string(function.get("arguments"))


def _append(choice: _Choice, name: str, value: Any) -> None:
    text = _string(value)
    if text or isinstance(value, str):
        choice.text[name] = choice.text.get(name, "") + text


def _string(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SSEFormatError("upstream sent a text field that is not a string")
    return value
