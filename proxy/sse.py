"""Server-sent events on the wire: split an upstream byte stream into event
payloads, and write events out again. Knows SSE framing, not any API's events."""

from __future__ import annotations

from typing import Any

import orjson

from .payloads.bundles import PayloadShapeError

__all__ = [
    "DONE",
    "DONE_EVENT",
    "SSEFormatError",
    "SSEParser",
    "decode_json",
    "encode_event",
    "encode_typed_event",
    "parse_events",
]

DONE = b"[DONE]"
DONE_EVENT = b"data: [DONE]\n\n"


class SSEFormatError(PayloadShapeError):
    """The upstream stream is not valid SSE with JSON data, or an event does
    not have the shape its API gives it (a broken upstream: never the client's fault)."""


def parse_events(raw: bytes) -> list[bytes]:
    """``data:`` payloads of every event, in order (comments and other fields
    dropped: every API here repeats the event's type inside its JSON)."""
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


def decode_json(payload: bytes) -> dict[str, Any] | None:
    """One event's JSON object; None for ``[DONE]``. Raises SSEFormatError."""
    if payload.strip() == DONE:
        return None
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise SSEFormatError(f"upstream sent a non-JSON event: {exc}") from None
    if not isinstance(event, dict):
        raise SSEFormatError("upstream sent an event that is not a JSON object")
    return event


def encode_event(payload: dict[str, Any]) -> bytes:
    """A ``data:``-only event, as Chat Completions streams are written."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def encode_typed_event(payload: dict[str, Any]) -> bytes:
    """An event with an ``event:`` line naming its ``type``, as the Responses
    and Anthropic Messages streams are written."""
    return (
        b"event: " + str(payload["type"]).encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"
    )
