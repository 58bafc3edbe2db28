"""Server-sent events from an OpenAI-compatible upstream: parse a buffered
stream, rebuild the whole answer per choice, and synthesise a replacement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["AssembledStream", "SSEFormatError", "assemble", "encode_event", "parse_events"]

DONE = b"[DONE]"


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


@dataclass
class _ToolCall:
    id: str | None = None
    type: str = "function"
    name: str = ""
    arguments: str = ""


@dataclass
class _Choice:
    role: str = "assistant"
    content: str = ""
    has_content: bool = False
    tool_calls: dict[int, _ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None


@dataclass
class AssembledStream:
    """Everything a buffered stream said, merged per choice."""

    kind: str  # "chat" or "text"
    head: dict[str, Any]  # id, object, created, model, system_fingerprint of the first chunk
    choices: dict[int, _Choice]
    usage_chunks: list[dict[str, Any]]
    done: bool

    def as_response_choices(self) -> list[dict[str, Any]]:
        """Choices shaped like a non-streamed response, for the output guards."""
        out = []
        for index in sorted(self.choices):
            choice = self.choices[index]
            if self.kind == "text":
                out.append({"index": index, "text": choice.content})
                continue
            message: dict[str, Any] = {
                "role": choice.role,
                "content": choice.content if choice.has_content else None,
            }
            if choice.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": c.type,
                        "function": {"name": c.name, "arguments": c.arguments},
                    }
                    for _, c in sorted(choice.tool_calls.items())
                ]
            out.append({"index": index, "message": message})
        return out

    def replacement(self, choices: list[dict[str, Any]], finish: dict[int, str | None]) -> bytes:
        """A complete SSE body carrying ``choices`` (response-shaped) as one
        delta each, then their finish reasons, the usage chunks and ``[DONE]``."""
        events = []
        obj = "chat.completion.chunk" if self.kind == "chat" else "text_completion"
        for choice in choices:
            index = choice["index"]
            if self.kind == "text":
                body = {"index": index, "text": choice.get("text") or "", "finish_reason": None}
            else:
                delta = dict(choice["message"])
                delta = {k: v for k, v in delta.items() if v is not None}
                for i, call in enumerate(delta.get("tool_calls", [])):
                    call["index"] = i
                body = {"index": index, "delta": delta, "finish_reason": None}
            events.append({**self.head, "object": obj, "choices": [body]})
        for index in sorted(finish):
            end: dict[str, Any] = {"index": index, "finish_reason": finish[index]}
            end["text" if self.kind == "text" else "delta"] = "" if self.kind == "text" else {}
            events.append({**self.head, "object": obj, "choices": [end]})
        events.extend(self.usage_chunks)
        return b"".join(encode_event(e) for e in events) + b"data: [DONE]\n\n"


def encode_event(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def assemble(payloads: Iterable[bytes]) -> AssembledStream:
    head: dict[str, Any] = {}
    choices: dict[int, _Choice] = {}
    usage: list[dict[str, Any]] = []
    kind = "chat"
    done = False
    for payload in payloads:
        if payload.strip() == DONE:
            done = True
            continue
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise SSEFormatError(f"upstream sent a non-JSON event: {exc}") from None
        if not isinstance(chunk, dict):
            raise SSEFormatError("upstream sent an event that is not a JSON object")
        if "error" in chunk:
            raise SSEFormatError(f"upstream reported an error mid-stream: {chunk['error']}")
        if not head:
            head = {
                k: chunk[k] for k in ("id", "created", "model", "system_fingerprint") if k in chunk
            }
            kind = "text" if chunk.get("object") == "text_completion" else "chat"
        entries = chunk.get("choices") or []
        if not entries and chunk.get("usage") is not None:
            usage.append(chunk)
            continue
        for entry in entries:
            _merge(choices, entry, kind)
    return AssembledStream(kind, head, choices, usage, done)


def _merge(choices: dict[int, _Choice], entry: Any, kind: str) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("index", 0), int):
        raise SSEFormatError("upstream sent a malformed choice")
    choice = choices.setdefault(entry.get("index", 0), _Choice())
    if entry.get("finish_reason"):
        choice.finish_reason = entry["finish_reason"]
    if kind == "text":
        if isinstance(entry.get("text"), str):
            choice.content += entry["text"]
            choice.has_content = True
        return
    delta = entry.get("delta") or {}
    if not isinstance(delta, dict):
        raise SSEFormatError("upstream sent a malformed delta")
    if isinstance(delta.get("role"), str):
        choice.role = delta["role"]
    if isinstance(delta.get("content"), str):
        choice.content += delta["content"]
        choice.has_content = True
    for call in delta.get("tool_calls") or []:
        slot = choice.tool_calls.setdefault(call.get("index", 0), _ToolCall())
        slot.id = call.get("id") or slot.id
        slot.type = call.get("type") or slot.type
        function = call.get("function") or {}
        slot.name += function.get("name") or ""
        slot.arguments += function.get("arguments") or ""
