"""What a wire codec is: the one piece of streaming code that knows a
protocol's events.

A codec turns each upstream event into :class:`Entry` values, tells the guarded
stream what each carries (text for a gate, fields held for the whole-answer
check, nothing), assembles the whole answer the way the non-streamed path
would see it, and writes events back: a text entry with its redacted text, a
held entry as the checked answer says, a group ended well-formed after a block.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from ...policies.decisions import PolicyDecision
from ..payloads.family import AnswerShape

__all__ = ["Entry", "EntryKind", "Group", "Path", "StreamCodec"]

Event = dict[str, Any]
Group = Hashable  # what is checked whole at its end: a chat choice, a response
Path = tuple[str | int, ...]


class EntryKind(Enum):
    PASS = "pass"  # carries no model text: sent as soon as what precedes it is
    TEXT = "text"  # a piece of one text channel: sent once the gate lets it out
    TEXT_END = "text_end"  # closes text channels: sent once they are all out
    HELD = "held"  # carries text read only whole (tool-call arguments): after the group's check
    GROUP_END = "group_end"  # ends a group: its whole-answer check runs here
    BLOCK = "block"  # the gateway ends a blocked group here (the codec writes how)


@dataclass(slots=True)
class Entry:
    kind: EntryKind
    event: Event
    group: Group | None = None  # None: belongs to the whole stream (usage, trailers)
    channel: Hashable | None = None  # TEXT: the channel its text extends
    text: str = ""  # TEXT: its piece of the channel's text
    channels: tuple[Hashable, ...] = ()  # TEXT_END: the channels it closes
    start: int = field(default=0)  # TEXT: where its piece starts in the channel
    split: bool = False  # TEXT: its head was sent already; ``text`` is the rest
    redacted: bool = False  # TEXT: redaction changed a part already sent
    decision: PolicyDecision | None = None  # BLOCK: why


class StreamCodec(Protocol):
    """One stream's protocol state. Methods that write events return them
    ready to send: the stream passes each through :meth:`sent` last."""

    # How output guards read, and decisions are written into, :meth:`answer`'s
    # result: the endpoint family's own (one part per group).
    shape: AnswerShape

    def split(self, event: Event) -> list[Entry]:
        """Entries for one upstream event, in the order they are to be sent.
        Raises :class:`~sluicegate.proxy.streaming.sse.SSEFormatError`."""
        ...

    def channel_path(self, channel: Hashable) -> Path:
        """Where the channel's text sits in :meth:`answer`'s result."""
        ...

    def answer(self, group: Group) -> Event:
        """The group's whole answer as assembled so far, shaped like the
        non-streamed response, with every channel's text as streamed."""
        ...

    def with_text(self, entry: Entry, text: str, *, tokens: bool) -> Event:
        """A TEXT entry's event carrying ``text`` (its piece, redacted, or a
        part of it); without ``tokens`` its token logprobs are left out."""
        ...

    def text_end(self, entry: Entry, texts: dict[Hashable, str]) -> Event:
        """A TEXT_END entry's event, with the channels' texts as sent."""
        ...

    def held(self, entry: Entry, answer: Event, *, allowed: bool) -> list[Event]:
        """What a HELD entry becomes once ``answer`` (checked, rewritten by
        the policy; ``allowed`` when the policy left it unchanged) is known:
        its event unchanged, rewritten, or nothing."""
        ...

    def group_end(self, entry: Entry, answer: Event) -> list[Event]:
        """A GROUP_END entry's events once the group's check allowed it."""
        ...

    def block(self, group: Group, message: str, decision: PolicyDecision) -> list[Event]:
        """Events that end ``group`` well-formed, saying ``message``, after a
        block (what the client was sent so far stays sent)."""
        ...

    def finish(self) -> list[Entry]:
        """The upstream ended: entries that end what it left open. Raises
        SSEFormatError when the stream cannot be completed."""
        ...

    def sent(self, event: Event) -> Event:
        """The last touch before ``event`` goes out (sequence numbers, the
        first delta's role); the codec tracks what the client has."""
        ...

    def encode(self, event: Event) -> bytes: ...

    def trailer(self) -> bytes:
        """What ends a complete stream on the wire (``data: [DONE]``)."""
        ...

    def error(self, message: str) -> bytes:
        """An error event the protocol's SDKs raise on."""
        ...
