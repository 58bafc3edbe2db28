"""Anthropic Messages streams (``message_start``, ``content_block_*``,
``message_delta``, ``message_stop``).

The message is one group, checked whole when ``message_stop`` arrives (its
``message_delta``, with the stop reason, is held until then). Text and
thinking blocks are text channels fed by ``text_delta`` and
``thinking_delta``; a block's ``content_block_stop`` goes out once its text is
out. Signatures pass (opaque). Tool input JSON deltas and citations are held
for the whole-message check: sent as they came where the policy left them
unchanged, or a rewritten tool input as one JSON delta. A block closes
the open blocks (the notice goes into the open text block, or a new one) and
ends the message with ``stop_reason: refusal``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import orjson

from ...policies.decisions import PolicyDecision
from ..payloads.family import AnswerShape
from ..payloads.messages import (
    STOP_REASON_BLOCKED,
    MessagesFamily,
    anthropic_error,
    assemble_message_events,
)
from ..sse import SSEFormatError, encode_typed_event
from .chat import blocked_marker
from .codec import Entry, EntryKind, Path

__all__ = ["MessagesCodec"]

Event = dict[str, Any]
_GROUP = "message"
_TEXT_DELTAS = {"text_delta": ("text", "text"), "thinking_delta": ("thinking", "thinking")}
_EMPTY = {"text": {"text": ""}, "thinking": {"thinking": "", "signature": ""}}


class MessagesCodec:
    def __init__(self) -> None:
        self.shape: AnswerShape = MessagesFamily()
        self.events: list[Event] = []  # every upstream event, for the assembly
        self.kinds: dict[int, str] = {}  # block index -> type
        self._ended = False
        self._rewritten: set[int] = set()  # tool blocks whose checked input went out
        self._open: set[int] = set()  # blocks started on the client's side, not stopped
        self._started: set[int] = set()
        self._output_tokens = 0
        self._message_sent = False

    # -- reading -----------------------------------------------------------

    def split(self, event: Event) -> list[Entry]:
        kind = event.get("type")
        if not isinstance(kind, str):
            raise SSEFormatError("upstream sent an event without a type")
        if kind == "error":
            error = event.get("error")
            raise SSEFormatError(f"upstream reported an error mid-stream: {error}")
        self.events.append(event)
        if kind == "message_start":
            message = event.get("message")
            if not isinstance(message, dict):
                raise SSEFormatError("message_start without a message")
            return [Entry(EntryKind.PASS, {**event, "message": {**message, "content": []}}, _GROUP)]
        if kind == "content_block_start":
            index, block = _index(event), event.get("content_block")
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                raise SSEFormatError("content_block_start without a content block")
            self.kinds[index] = block["type"]
            if block["type"] == "redacted_thinking":
                return [Entry(EntryKind.PASS, event, _GROUP)]  # encrypted: nothing to read
            if block["type"] in _EMPTY:
                block = {**block, **_EMPTY[block["type"]]}
            elif "input" in block:
                block = {**block, "input": {}}  # the input comes as JSON deltas, checked
            else:
                return [Entry(EntryKind.HELD, event, _GROUP)]  # whole blocks: read whole
            return [Entry(EntryKind.PASS, {**event, "content_block": block}, _GROUP)]
        if kind == "content_block_delta":
            index, delta = _index(event), event.get("delta")
            if not isinstance(delta, dict):
                raise SSEFormatError("content_block_delta without a delta")
            field = _TEXT_DELTAS.get(str(delta.get("type")))
            if field is not None:
                text = delta.get(field[0])
                if not isinstance(text, str):
                    raise SSEFormatError(f"{delta['type']} without a string {field[0]!r}")
                return [Entry(EntryKind.TEXT, event, _GROUP, (index, field[1]), text)]
            if delta.get("type") == "signature_delta":
                # Opaque to guards and people; held, it would keep the text
                # blocks after a thinking block waiting for the whole check.
                return [Entry(EntryKind.PASS, event, _GROUP)]
            return [Entry(EntryKind.HELD, event, _GROUP)]
        if kind == "content_block_stop":
            index = _index(event)
            text_field = {"text": "text", "thinking": "thinking"}.get(self.kinds.get(index, ""))
            if text_field is not None:
                channel = (index, text_field)
                return [Entry(EntryKind.TEXT_END, event, _GROUP, channels=(channel,))]
            return [Entry(EntryKind.HELD, event, _GROUP)]
        if kind == "message_delta":
            usage = event.get("usage")
            if isinstance(usage, dict) and isinstance(usage.get("output_tokens"), int):
                self._output_tokens = usage["output_tokens"]
            return [Entry(EntryKind.HELD, event, _GROUP)]  # its stop reason waits for the check
        if kind == "message_stop":
            self._ended = True
            return [Entry(EntryKind.GROUP_END, event, _GROUP)]
        return [Entry(EntryKind.PASS, event, _GROUP)]  # ping, kinds added later

    def channel_path(self, channel: Hashable) -> Path:
        assert isinstance(channel, tuple)
        return ("content", channel[0], channel[1])

    def answer(self, group: Hashable) -> Event:
        try:
            return assemble_message_events(self.events)
        except ValueError as exc:
            raise SSEFormatError(str(exc)) from None

    # -- writing -----------------------------------------------------------

    def with_text(self, entry: Entry, text: str, *, tokens: bool) -> Event:
        assert isinstance(entry.channel, tuple)
        delta = {**entry.event["delta"], entry.channel[1]: text}
        return {**entry.event, "delta": delta}

    def text_end(self, entry: Entry, texts: dict[Hashable, str]) -> Event:
        return entry.event

    def held(self, entry: Entry, answer: Event, *, allowed: bool) -> list[Event]:
        event = entry.event
        if allowed or event["type"] in ("message_delta", "content_block_stop"):
            return [event]
        index = event.get("index")
        content = answer.get("content") or []
        block = content[index] if isinstance(index, int) and 0 <= index < len(content) else None
        raw = event.get("delta")
        delta: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if delta.get("type") == "input_json_delta" and isinstance(block, dict):
            # Rewritten by the policy: the checked input whole, as one delta.
            if index in self._rewritten:
                return []
            self._rewritten.add(index)  # type: ignore[arg-type]
            partial = orjson.dumps(block.get("input") or {}).decode()
            return [{**event, "delta": {"type": "input_json_delta", "partial_json": partial}}]
        if event["type"] == "content_block_start" and isinstance(block, dict):
            return [{**event, "content_block": block}]
        return []  # citations and kinds added later: sent only when allowed unchanged

    def group_end(self, entry: Entry, answer: Event) -> list[Event]:
        return [entry.event]

    def block(self, group: Hashable, message: str, decision: PolicyDecision) -> list[Event]:
        events: list[Event] = []
        if not self._message_sent:
            head = {"type": "message", "role": "assistant", "content": [], "model": ""}
            events.append({"type": "message_start", "message": head})
        text_blocks = [i for i in sorted(self._open) if self.kinds.get(i) == "text"]
        target = text_blocks[-1] if text_blocks else None
        if message and target is None:
            target = max(self._started, default=-1) + 1
            block = {"type": "text", "text": ""}
            events.append({"type": "content_block_start", "index": target, "content_block": block})
            self._open.add(target)
        if message and target is not None:
            delta = {"type": "text_delta", "text": message}
            events.append({"type": "content_block_delta", "index": target, "delta": delta})
        events += [{"type": "content_block_stop", "index": i} for i in sorted(self._open)]
        events.append(
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": STOP_REASON_BLOCKED,
                    "stop_sequence": None,
                    "stop_details": {"type": "refusal", "category": None, "explanation": message},
                },
                "usage": {"output_tokens": self._output_tokens},
                "sluicegate": blocked_marker(decision),
            }
        )
        events.append({"type": "message_stop"})
        return events

    def finish(self) -> list[Entry]:
        if not self._ended:
            raise SSEFormatError("upstream stream ended before message_stop")
        return []

    def sent(self, event: Event) -> Event:
        kind = event["type"]
        if kind == "message_start":
            self._message_sent = True
        elif kind == "content_block_start":
            self._open.add(event["index"])
            self._started.add(event["index"])
        elif kind == "content_block_stop":
            self._open.discard(event["index"])
        return event

    def encode(self, event: Event) -> bytes:
        return encode_typed_event(event)

    def trailer(self) -> bytes:
        return b""

    def error(self, message: str) -> bytes:
        """Anthropic's ``error`` event, which its SDKs raise mid-stream."""
        return encode_typed_event(anthropic_error(message, "api_error"))


def _index(event: Event) -> int:
    index = event.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise SSEFormatError(f"{event['type']} without a valid index")
    return index
