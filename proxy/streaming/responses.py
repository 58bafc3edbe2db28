"""Responses API streams (``event:``/``data:`` pairs, each event's ``type``
in its JSON).

The whole response is one group, checked when ``response.completed`` (or
``.incomplete``/``.failed``) arrives. Each ``output_text`` part is a text
channel fed by ``response.output_text.delta``; its ``.done`` events (text,
part, and a message item whose parts are all text) close channels and go out
as soon as the channel is out, carrying the text as sent. Events that carry no
model text pass at once, with any text a snapshot holds emptied (it comes
later, checked). Everything else (function-call arguments, refusal and
reasoning deltas, event types added later) is held for the whole-response
check and sent as the policy left it. Sequence numbers are rewritten in the
order events leave, and a block closes every item the client saw opened.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ...policies.decisions import PolicyDecision
from ..payloads.family import AnswerShape
from ..payloads.openai import openai_error
from ..payloads.responses import ResponsesFamily
from ..sse import SSEFormatError, encode_typed_event
from .chat import blocked_marker
from .codec import Entry, EntryKind, Path

__all__ = ["ResponsesCodec"]

Event = dict[str, Any]
Part = tuple[int, int]  # output_index, content_index
_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
_PASSING = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.output_item.added",
        "response.content_part.added",
    }
)
_GROUP = "response"


class ResponsesCodec:
    def __init__(self) -> None:
        self.shape: AnswerShape = ResponsesFamily()
        self.response: Event = {}  # the response object of the first snapshot
        self.final: Event | None = None  # the final event's response object
        self.parts: dict[Part, str] = {}  # streamed text per output_text part
        self._seq = 0
        self._items: dict[int, Event] = {}  # output items the client has, as last sent
        self._open: set[int] = set()  # items added, not yet done, on the client's side
        self._open_parts: set[Part] = set()
        self._sent_text: dict[Part, str] = {}
        self._sent_arguments: dict[int, str] = {}
        self._arguments_rewritten: set[int] = set()

    # -- reading -----------------------------------------------------------

    def split(self, event: Event) -> list[Entry]:
        kind = event.get("type")
        if not isinstance(kind, str):
            raise SSEFormatError("upstream sent an event without a type")
        if kind == "error":
            raise SSEFormatError(f"upstream reported an error mid-stream: {event.get('error')}")
        if kind == "response.created" and isinstance(event.get("response"), dict):
            self.response = event["response"]
        if kind in _FINAL:
            answer = event.get("response")
            if not isinstance(answer, dict):
                raise SSEFormatError("final event without a response object")
            self.final = answer
            return [Entry(EntryKind.GROUP_END, event, _GROUP)]
        if kind == "response.output_text.delta":
            part = _part_key(event)
            delta = event.get("delta")
            if not isinstance(delta, str):
                raise SSEFormatError("output_text.delta without a text delta")
            self.parts[part] = self.parts.get(part, "") + delta
            return [Entry(EntryKind.TEXT, event, _GROUP, part, delta)]
        if kind in _PASSING:
            return [Entry(EntryKind.PASS, _emptied(event), _GROUP)]
        if kind == "response.output_text.done":
            return [Entry(EntryKind.TEXT_END, event, _GROUP, channels=(_part_key(event),))]
        if kind == "response.content_part.done":
            done = event.get("part")
            if isinstance(done, dict) and done.get("type") == "output_text":
                return [Entry(EntryKind.TEXT_END, event, _GROUP, channels=(_part_key(event),))]
        if kind == "response.output_item.done":
            channels = self._text_item_channels(event)
            if channels is not None:
                return [Entry(EntryKind.TEXT_END, event, _GROUP, channels=channels)]
        return [Entry(EntryKind.HELD, event, _GROUP)]

    def _text_item_channels(self, event: Event) -> tuple[Part, ...] | None:
        """The channels of a message item whose parts are all output text."""
        item, index = event.get("item"), event.get("output_index")
        if (
            not isinstance(item, dict)
            or item.get("type") != "message"
            or not isinstance(index, int)
        ):
            return None
        content = item.get("content")
        if not isinstance(content, list) or not content:
            return None
        if any(not isinstance(p, dict) or p.get("type") != "output_text" for p in content):
            return None
        return tuple((index, j) for j in range(len(content)))

    def channel_path(self, channel: Hashable) -> Path:
        assert isinstance(channel, tuple)
        return ("output", channel[0], "content", channel[1], "text")

    def answer(self, group: Hashable) -> Event:
        """The final response, its text parts saying what the deltas spelled
        (the client has those), so one check covers both and spans line up."""
        if self.final is None:
            raise SSEFormatError("upstream stream ended without a final response")
        for (output_index, content_index), text in self.parts.items():
            part = _part(self.final, output_index, content_index)
            if part is None:
                raise SSEFormatError("final response lacks a text part that was streamed")
            part["text"] = text
        return self.final

    # -- writing -----------------------------------------------------------

    def with_text(self, entry: Entry, text: str, *, tokens: bool) -> Event:
        event = {**entry.event, "delta": text}
        if not tokens and "logprobs" in event:
            event["logprobs"] = []
        return event

    def text_end(self, entry: Entry, texts: dict[Hashable, str]) -> Event:
        event = entry.event
        kind = event["type"]
        changed = any(texts[c] != self.parts.get(c, "") for c in entry.channels)  # type: ignore[call-overload]
        if kind == "response.output_text.done":
            [channel] = entry.channels
            out = {**event, "text": texts[channel]}
            return {**out, "logprobs": []} if changed and "logprobs" in out else out
        if kind == "response.content_part.done":
            [channel] = entry.channels
            part = {**event["part"], "text": texts[channel]}
            if changed and part.get("logprobs"):
                part["logprobs"] = []
            return {**event, "part": part}
        item = dict(event["item"])
        content = []
        for j, part in enumerate(item["content"]):
            part = {**part, "text": texts[(event["output_index"], j)]}
            if changed and part.get("logprobs"):
                part["logprobs"] = []
            content.append(part)
        return {**event, "item": {**item, "content": content}}

    def held(self, entry: Entry, answer: Event, *, allowed: bool) -> list[Event]:
        event = entry.event
        kind = event["type"]
        index = event.get("output_index")
        items = answer.get("output") or []
        item = items[index] if isinstance(index, int) and 0 <= index < len(items) else None
        if kind == "response.output_item.done" and isinstance(item, dict):
            return [{**event, "item": item}]
        if isinstance(item, dict) and kind.startswith("response.function_call_arguments."):
            arguments = item.get("arguments", "")
            if kind.endswith(".done"):
                return [{**event, "arguments": arguments}]
            if allowed:
                return [event]
            # Rewritten: the whole checked arguments as one delta per call.
            if index in self._arguments_rewritten:
                return []
            self._arguments_rewritten.add(index)  # type: ignore[arg-type]
            return [{**event, "delta": arguments}]
        part = _part(answer, index, event.get("content_index"))
        if kind == "response.content_part.done" and part is not None:
            return [{**event, "part": part}]
        return [event] if allowed else []

    def group_end(self, entry: Entry, answer: Event) -> list[Event]:
        return [{**entry.event, "response": answer}]

    def block(self, group: Hashable, message: str, decision: PolicyDecision) -> list[Event]:
        """Close what the client saw opened: the notice goes as a text delta
        into the open message part (or a new message item), every open part
        and item gets its ``.done``, then ``response.incomplete`` lists the
        items as the client has them."""
        events: list[Event] = []
        target = max(self._open_parts, default=None)
        if message and target is None:
            target = self._new_message_item(events)
        if message and target is not None:
            events.append(self._text_delta(target, message))
        for part_key in sorted(self._open_parts | ({target} if target else set())):
            text = self._sent_text.get(part_key, "") + (message if part_key == target else "")
            common = {"item_id": self._item_id(part_key[0]), "output_index": part_key[0]}
            common["content_index"] = part_key[1]
            events.append({"type": "response.output_text.done", **common, "text": text})
            part = {"type": "output_text", "text": text, "annotations": []}
            events.append({"type": "response.content_part.done", **common, "part": part})
        for index in sorted(self._open | ({target[0]} if target else set())):
            item = dict(self._items.get(index, {}))
            if item.get("type") == "message":
                parts = sorted(k for k in self._sent_text if k[0] == index)
                texts = [self._sent_text[k] + (message if k == target else "") for k in parts]
                item["content"] = [
                    {"type": "output_text", "text": t, "annotations": []} for t in texts
                ]
            elif "arguments" in item:
                item["arguments"] = self._sent_arguments.get(index, "")
            item["status"] = "incomplete"
            self._items[index] = item
            events.append(
                {"type": "response.output_item.done", "output_index": index, "item": item}
            )
        response = {
            **(self.final or self.response),
            "status": "incomplete",
            "incomplete_details": {"reason": "content_filter"},
            "output": [self._items[i] for i in sorted(self._items)],
        }
        response.pop("output_text", None)
        events.append(
            {
                "type": "response.incomplete",
                "response": response,
                "sluicegate": blocked_marker(decision),
            }
        )
        return events

    def _new_message_item(self, events: list[Event]) -> Part:
        index = max(self._items, default=-1) + 1
        item_id = f"msg_sg_{self.response.get('id', '')}"
        item = {
            "type": "message",
            "id": item_id,
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        part = {"type": "output_text", "text": "", "annotations": []}
        events.append(
            {
                "type": "response.content_part.added",
                "item_id": item_id,
                "output_index": index,
                "content_index": 0,
                "part": part,
            }
        )
        # Tracked at once: block() builds the rest from this state.
        self._items[index] = item
        self._open.add(index)
        self._open_parts.add((index, 0))
        self._sent_text[(index, 0)] = ""
        return (index, 0)

    def _text_delta(self, part: Part, text: str) -> Event:
        return {
            "type": "response.output_text.delta",
            "item_id": self._item_id(part[0]),
            "output_index": part[0],
            "content_index": part[1],
            "delta": text,
            "logprobs": [],
        }

    def _item_id(self, index: int) -> str:
        return str(self._items.get(index, {}).get("id", ""))

    def finish(self) -> list[Entry]:
        if self.final is None:
            raise SSEFormatError("upstream stream ended without a final response")
        return []

    def sent(self, event: Event) -> Event:
        event = {**event, "sequence_number": self._seq}
        self._seq += 1
        kind = event["type"]
        index = event.get("output_index")
        if kind == "response.output_item.added" and isinstance(index, int):
            self._items[index] = event["item"]
            self._open.add(index)
        elif kind == "response.output_item.done" and isinstance(index, int):
            self._items[index] = event["item"]
            self._open.discard(index)
        elif kind == "response.content_part.added" and isinstance(index, int):
            part_key = (index, event.get("content_index", 0))
            self._open_parts.add(part_key)
            self._sent_text.setdefault(part_key, "")
        elif kind == "response.content_part.done" and isinstance(index, int):
            self._open_parts.discard((index, event.get("content_index", 0)))
        elif kind == "response.output_text.delta" and isinstance(index, int):
            part_key = (index, event.get("content_index", 0))
            self._sent_text[part_key] = self._sent_text.get(part_key, "") + event["delta"]
        elif kind == "response.function_call_arguments.delta" and isinstance(index, int):
            self._sent_arguments[index] = self._sent_arguments.get(index, "") + str(
                event.get("delta", "")
            )
        return event

    def encode(self, event: Event) -> bytes:
        return encode_typed_event(event)

    def trailer(self) -> bytes:
        return b""

    def error(self, message: str) -> bytes:
        """The Responses ``error`` event, with an ``error`` object too, which
        the openai SDKs turn into an exception."""
        body = openai_error(message, error_type="api_error", code="upstream_error")
        return encode_typed_event({**body["error"], "type": "error", "error": body["error"]})


def _part_key(event: Event) -> Part:
    output_index, content_index = event.get("output_index"), event.get("content_index")
    if not isinstance(output_index, int) or not isinstance(content_index, int):
        raise SSEFormatError(f"{event['type']} without integer output and content indexes")
    return (output_index, content_index)


def _part(answer: Event, output_index: Any, content_index: Any) -> Event | None:
    output = answer.get("output")
    if not isinstance(output, list) or not isinstance(output_index, int):
        return None
    if not 0 <= output_index < len(output) or not isinstance(content_index, int):
        return None
    item = output[output_index]
    content = item.get("content") if isinstance(item, dict) else None
    if not isinstance(content, list) or not 0 <= content_index < len(content):
        return None
    part = content[content_index]
    return part if isinstance(part, dict) else None


def _emptied(event: Event) -> Event:
    """A passing event without the model text it may carry (it comes later,
    checked): no output in response snapshots, no content or arguments in
    added items, no text in added parts."""
    event = dict(event)
    if isinstance(event.get("response"), dict):
        event["response"] = {**event["response"], "output": []}
    item = event.get("item")
    if isinstance(item, dict):
        item = {k: v for k, v in item.items() if k not in ("content", "arguments", "summary")}
        if event["item"].get("type") == "message":
            item["content"] = []
        if "arguments" in event["item"]:
            item["arguments"] = ""
        event["item"] = item
    if isinstance(event.get("part"), dict):
        event["part"] = (
            {**event["part"], "text": ""}
            if "text" in event["part"]
            else {k: v for k, v in event["part"].items() if k == "type"}
        )
    return event
