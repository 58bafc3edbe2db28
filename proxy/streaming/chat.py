"""Chat Completions and legacy Completions streams (``data:`` chunks, then
``data: [DONE]``).

Each choice is a group, checked whole when its ``finish_reason`` arrives. Per
choice, ``content``, ``refusal`` and reasoning text (``text`` for completions)
are text channels; tool calls, the legacy ``function_call`` and audio are held
for the whole-answer check and then released as the upstream framed them (per
call index: id, type and name first, arguments after), or, when the policy
rewrote a call's arguments, as that call's first delta plus one delta with the
checked arguments. Delta fields the gateway does not know are dropped rather
than sent unread.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ...policies.decisions import PolicyDecision
from ..payloads import family_for
from ..payloads.family import AnswerShape
from ..payloads.kinds import EndpointKind
from ..payloads.openai import openai_error
from ..sse import DONE_EVENT, SSEFormatError, encode_event
from .codec import Entry, EntryKind, Path

__all__ = ["ChatAssembly", "ChatCodec", "blocked_marker"]

Event = dict[str, Any]
_TEXT_FIELDS = ("content", "refusal", "reasoning_content", "reasoning")
_HELD_FIELDS = ("tool_calls", "function_call", "audio")


def blocked_marker(decision: PolicyDecision) -> dict[str, Any]:
    """The machine-readable note on the event that ends a blocked answer."""
    return {
        "blocked": "output",
        "decision": decision.label,
        "reason": decision.reason.value,
        "rules": decision.rule_names,
    }


@dataclass
class _Call:
    id: str | None = None
    type: str = "function"
    name: str = ""
    arguments: str = ""


@dataclass
class _Choice:
    role: str = "assistant"
    text: dict[str, str] = field(default_factory=dict)  # delta field -> text so far
    tool_calls: dict[int, _Call] = field(default_factory=dict)
    function_call: _Call | None = None
    transcript: str | None = None
    finish_reason: str | None = None


class ChatAssembly:
    """Every chunk of a stream merged per choice: the answer the non-streamed
    path would have returned."""

    def __init__(self, kind: EndpointKind) -> None:
        self.kind = kind
        self.choices: dict[int, _Choice] = {}

    def add(self, entry: dict[str, Any]) -> None:
        """Merge one choice entry of a chunk (validated by :meth:`ChatCodec.split`)."""
        choice = self.choices.setdefault(entry.get("index", 0), _Choice())
        if entry.get("finish_reason"):
            choice.finish_reason = str(entry["finish_reason"])
        if self.kind is EndpointKind.COMPLETIONS:
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
            slot = choice.function_call = choice.function_call or _Call()
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
            slot = choice.tool_calls.setdefault(call.get("index", 0), _Call())
            slot.id = call.get("id") or slot.id
            slot.type = call.get("type") or slot.type
            slot.name += _string(function.get("name"))
            slot.arguments += _string(function.get("arguments"))

    def response_choice(self, index: int) -> dict[str, Any]:
        """One choice shaped like a non-streamed response's."""
        choice = self.choices[index]
        if self.kind is EndpointKind.COMPLETIONS:
            return {
                "index": index,
                "text": choice.text.get("content", ""),
                "finish_reason": choice.finish_reason,
            }
        message: dict[str, Any] = {"role": choice.role, "content": None, **choice.text}
        if choice.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": c.type, "function": {"name": c.name, "arguments": c.arguments}}
                for _, c in sorted(choice.tool_calls.items())
            ]
        if choice.function_call is not None:
            call = choice.function_call
            message["function_call"] = {"name": call.name, "arguments": call.arguments}
        if choice.transcript is not None:
            message["audio"] = {"transcript": choice.transcript}
        return {"index": index, "message": message, "finish_reason": choice.finish_reason}


class ChatCodec:
    def __init__(self, kind: EndpointKind) -> None:
        self.kind = kind
        self.shape: AnswerShape = family_for(kind)
        self.assembly = ChatAssembly(kind)
        self.head: Event = {}  # the first chunk's top-level fields: id, model, created, ...
        self.ended: set[int] = set()  # choices whose finish_reason came
        self._roles: dict[int, str] = {}  # the role each choice's first delta gave
        self._role_sent: set[int] = set()
        self._calls_sent: set[tuple[int, str, int]] = set()  # (choice, field, call index)

    # -- reading -----------------------------------------------------------

    def split(self, event: Event) -> list[Entry]:
        if event.get("error") is not None:
            raise SSEFormatError(f"upstream reported an error mid-stream: {event['error']}")
        choices = event.get("choices") or []
        if not isinstance(choices, list):
            raise SSEFormatError("upstream sent 'choices' that is not a list")
        for choice in choices:
            if not isinstance(choice, dict) or not isinstance(choice.get("index", 0), int):
                raise SSEFormatError("upstream sent a malformed choice")
        if not self.head:
            self.head = {k: v for k, v in event.items() if k not in ("choices", "usage")}
        if not choices:
            return [Entry(EntryKind.PASS, event)]
        entries: list[Entry] = []
        for position, choice in enumerate(choices):
            self.assembly.add(choice)
            base = {k: v for k, v in event.items() if k != "choices"}
            if position < len(choices) - 1:
                base.pop("usage", None)  # one copy, on the last choice's part
            entries += self._choice_entries(base, choice)
        return entries

    def _choice_entries(self, base: Event, choice: Event) -> list[Entry]:
        index = choice.get("index", 0)
        finish = choice.get("finish_reason")
        if finish:
            self.ended.add(index)
        if self.kind is EndpointKind.COMPLETIONS:
            return self._completion_entries(base, choice, index, finish)
        delta = choice.get("delta") or {}
        if isinstance(delta.get("role"), str):
            self._roles.setdefault(index, delta["role"])
        texts = [f for f in _TEXT_FIELDS if isinstance(delta.get(f), str) and delta[f]]
        held = [f for f in _HELD_FIELDS if delta.get(f) is not None]
        # Kept as sent: the role, and fields that are null or empty. Others
        # the gateway does not know could carry text no guard reads: dropped.
        kept = [k for k, v in delta.items() if k == "role" or (v is None or v == "")]
        parts: list[tuple[EntryKind, list[str], str | None]] = [
            (EntryKind.TEXT, [f], f) for f in texts
        ]
        if held:
            parts.append((EntryKind.HELD, held, None))
        entries: list[Entry] = []
        for n, (kind, fields, channel_field) in enumerate(parts):
            keys = set(fields) | (set(kept) if n == 0 else set())
            sub = {
                **choice,
                "delta": {k: v for k, v in delta.items() if k in keys},
                "finish_reason": None,
            }
            if n > 0 and "logprobs" in sub:
                sub["logprobs"] = None  # one copy, with the first part
            entry = Entry(kind, {**base, "choices": [sub]}, index)
            if channel_field is not None:
                entry.channel = (index, channel_field)
                entry.text = delta[channel_field]
            entries.append(entry)
        if finish or not parts:
            rest = {k: v for k, v in delta.items() if k in kept} if not parts else {}
            end = {**choice, "delta": rest}
            if parts and "logprobs" in end:
                end["logprobs"] = None
            kind = EntryKind.GROUP_END if finish else EntryKind.PASS
            entries.append(Entry(kind, {**base, "choices": [end]}, index))
        return entries

    def _completion_entries(
        self, base: Event, choice: Event, index: int, finish: Any
    ) -> list[Entry]:
        text = choice.get("text")
        if text is None:
            choice = {**choice, "text": ""}  # LiteLLM's chunks may carry null: SDKs want a string
        entries: list[Entry] = []
        if isinstance(text, str) and text:
            sub = {**choice, "finish_reason": None}
            entries.append(
                Entry(EntryKind.TEXT, {**base, "choices": [sub]}, index, (index, "text"), text)
            )
        if finish:
            end = {**choice, "text": ""} if entries else choice
            if entries and "logprobs" in end:
                end["logprobs"] = None
            entries.append(Entry(EntryKind.GROUP_END, {**base, "choices": [end]}, index))
        elif not entries:
            entries.append(Entry(EntryKind.PASS, {**base, "choices": [choice]}, index))
        return entries

    def channel_path(self, channel: Hashable) -> Path:
        assert isinstance(channel, tuple)
        if self.kind is EndpointKind.COMPLETIONS:
            return ("choices", 0, "text")
        return ("choices", 0, "message", channel[1])

    def answer(self, group: Hashable) -> Event:
        assert isinstance(group, int)
        return {"choices": [self.assembly.response_choice(group)]}

    # -- writing -----------------------------------------------------------

    def with_text(self, entry: Entry, text: str, *, tokens: bool) -> Event:
        [choice] = entry.event["choices"]
        if self.kind is EndpointKind.COMPLETIONS:
            choice = {**choice, "text": text}
        else:
            assert isinstance(entry.channel, tuple)
            choice = {**choice, "delta": {**choice["delta"], entry.channel[1]: text}}
        if not tokens and "logprobs" in choice:
            choice["logprobs"] = None
        return {**entry.event, "choices": [choice]}

    def text_end(self, entry: Entry, texts: dict[Hashable, str]) -> Event:
        raise AssertionError("chat streams have no text-end events")

    def held(self, entry: Entry, answer: Event, *, allowed: bool) -> list[Event]:
        """Held fields as sent, where the policy left them unchanged; a call
        it rewrote goes out as its first delta (id, type, name) with the
        checked arguments whole, and its later deltas are dropped."""
        [choice] = entry.event["choices"]
        index = choice.get("index", 0)
        delta = dict(choice["delta"])
        message = answer["choices"][0]["message"]
        source = self.assembly.choices[index]
        calls = []
        for call in delta.get("tool_calls") or []:
            j = call.get("index", 0)
            position = sorted(source.tool_calls).index(j)
            checked = message["tool_calls"][position]["function"]["arguments"]
            if checked == source.tool_calls[j].arguments:
                calls.append(call)
            elif (index, "tool_calls", j) not in self._calls_sent:
                self._calls_sent.add((index, "tool_calls", j))
                slot = source.tool_calls[j]
                function = {"name": slot.name, "arguments": checked}
                calls.append({"index": j, "id": slot.id, "type": slot.type, "function": function})
        if "tool_calls" in delta:
            delta["tool_calls"] = calls
            if not calls:
                del delta["tool_calls"]
        function_call = delta.get("function_call")
        if isinstance(function_call, dict) and source.function_call is not None:
            checked = message["function_call"]["arguments"]
            if checked != source.function_call.arguments:
                if (index, "function_call", 0) in self._calls_sent:
                    del delta["function_call"]
                else:
                    self._calls_sent.add((index, "function_call", 0))
                    name = source.function_call.name
                    delta["function_call"] = {"name": name, "arguments": checked}
        audio = delta.get("audio")
        if isinstance(audio, dict) and "transcript" in audio:
            checked = (message.get("audio") or {}).get("transcript")
            if checked != source.transcript:
                if (index, "audio", 0) in self._calls_sent:
                    delta["audio"] = {k: v for k, v in audio.items() if k != "transcript"}
                else:
                    self._calls_sent.add((index, "audio", 0))
                    delta["audio"] = {**audio, "transcript": checked}
        if not delta:
            return []
        return [{**entry.event, "choices": [{**choice, "delta": delta}]}]

    def group_end(self, entry: Entry, answer: Event) -> list[Event]:
        return [entry.event]

    def block(self, group: Hashable, message: str, decision: PolicyDecision) -> list[Event]:
        if self.kind is EndpointKind.COMPLETIONS:
            choice: Event = {
                "index": group,
                "text": message,
                "logprobs": None,
                "finish_reason": "content_filter",
            }
        else:
            choice = {
                "index": group,
                "delta": {"content": message} if message else {},
                "logprobs": None,
                "finish_reason": "content_filter",
            }
        return [{**self.head, "choices": [choice], "sluicegate": blocked_marker(decision)}]

    def finish(self) -> list[Entry]:
        """Choices the upstream left without a finish_reason end here, with
        ``stop``, after their whole-answer check."""
        entries = []
        for index in sorted(set(self.assembly.choices) - self.ended):
            self.ended.add(index)
            end: Event = {"index": index, "finish_reason": "stop"}
            if self.kind is EndpointKind.COMPLETIONS:
                end["text"] = ""
            else:
                end["delta"] = {}
            entries.append(Entry(EntryKind.GROUP_END, {**self.head, "choices": [end]}, index))
        return entries

    def sent(self, event: Event) -> Event:
        """Every choice's first delta carries the role its upstream gave, even
        when the upstream's first delta was held or split."""
        if self.kind is EndpointKind.COMPLETIONS:
            return event
        choices = event.get("choices") or []
        out = []
        changed = False
        for choice in choices:
            index = choice.get("index", 0)
            delta = choice.get("delta")
            if index not in self._role_sent and isinstance(delta, dict):
                self._role_sent.add(index)
                role = self._roles.get(index)
                if role is not None and "role" not in delta:
                    choice = {**choice, "delta": {"role": role, **delta}}
                    changed = True
            out.append(choice)
        return {**event, "choices": out} if changed else event

    def encode(self, event: Event) -> bytes:
        return encode_event(event)

    def trailer(self) -> bytes:
        return DONE_EVENT

    def error(self, message: str) -> bytes:
        """OpenAI's error shape, which the SDKs raise mid-stream."""
        return encode_event(openai_error(message, error_type="api_error", code="upstream_error"))


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
