"""The text gate: one streamed text field, and the one check that decides how
much of it may leave.

Text arrives in the upstream's pieces (one per event). A guard check reads the
whole text so far; :meth:`TextGate.advance` then moves the cut, the point up to
which text may be sent, as far as

* what no later text can change the findings of: the output guards' *settled*
  prefix when every guard can tell it (pattern guards know whether the tail
  could still grow into a match), else ``holdback_chars`` short of the end at
  a whitespace boundary;
* and never into a redaction span (a span is sent whole, redacted, or not yet).

The stream sends each upstream piece once it is wholly before the cut, so the
client gets the upstream's events back with only redacted text rewritten; a
piece the cut falls inside is sent in two.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...policies.redaction import RedactionSpan, merge_spans
from ...policies.schema import StreamingSpec

__all__ = ["TextGate"]

# Up to this length every new piece gets a check (deterministic guards read a
# few kB in tens of microseconds); beyond it checks come every 1/64th of the
# text so far, so the rescans of a very long answer stay linear in total.
_CHECK_EVERY_PIECE_CHARS = 4096


class TextGate:
    def __init__(self, spec: StreamingSpec) -> None:
        self.spec = spec
        self.text = ""
        self.cut = 0  # text before this may be sent
        self.checked = 0  # length of the text at the last check
        self.final = False  # the upstream said this text is complete
        self.spans: list[RedactionSpan] = []  # the last check's, merged, whole-text offsets
        self.max_held = 0  # most characters held back at any check, for the audit line
        self.late_spans = 0  # spans found reaching into text already sent

    def add(self, piece: str) -> int:
        """Append one upstream piece; returns where it starts."""
        start = len(self.text)
        self.text += piece
        return start

    def due(self, *, incremental: bool) -> bool:
        """Whether a window check should run now. With incremental guards
        (each can say what is settled) every new piece is worth a check; else
        the first check waits until ``first_window_chars`` could be released
        past the holdback, then one runs every ``window_chars``."""
        new = len(self.text) - self.checked
        if self.final or new <= 0:
            return False
        if incremental:
            return len(self.text) <= _CHECK_EVERY_PIECE_CHARS or new >= len(self.text) // 64
        if self.checked == 0:
            return len(self.text) >= self.spec.first_window_chars + self.spec.holdback_chars
        return new >= self.spec.window_chars

    def stable_end(self, settled: int | None) -> int:
        """How far the reading of the text can no longer change: a phrase at
        the growing end ("forbidden phrase" before an "s") may yet run on."""
        if settled is not None:
            return min(settled, len(self.text))
        limit = len(self.text) - self.spec.holdback_chars
        if limit <= 0:
            return 0
        # After whitespace, so a word (or an identifier) is never split.
        space = max(self.text.rfind(" ", 0, limit), self.text.rfind("\n", 0, limit))
        return space + 1

    def advance(
        self, spans: Sequence[RedactionSpan], settled: int | None, *, final: bool = False
    ) -> None:
        """The release check. ``spans`` are the check's redaction spans over
        the whole text; with ``final`` the whole text may go."""
        merged = merge_spans(spans, len(self.text))
        known = set(self.spans)
        self.late_spans += sum(1 for s in merged if s[0] < self.cut and s not in known)
        self.spans = merged
        self.checked = len(self.text)
        if final:
            self.final = True
        limit = len(self.text) if final else self.stable_end(settled)
        for start, end, _ in reversed(merged):  # merged: disjoint, sorted
            if start < limit < end:
                limit = start
        self.cut = max(self.cut, limit)
        self.max_held = max(self.max_held, len(self.text) - self.cut)

    def hold(self) -> None:
        """Mark the text checked without letting any more of it out."""
        self.checked = len(self.text)
        self.max_held = max(self.max_held, len(self.text) - self.cut)

    def open(self) -> None:
        """Let everything out unchecked (``audit`` and ``passthrough``)."""
        self.cut = len(self.text)

    def piece(self, start: int, end: int) -> tuple[str, bool]:
        """The text of ``[start, end)`` as it may be sent, and whether
        redaction changed it. A span's placeholder goes in the piece where the
        span starts; the pieces it continues into lose that text."""
        text = self.text[start:end]
        out: list[str] = []
        cursor = start
        changed = False
        for s, e, placeholder in self.spans:
            if e <= start or s >= end:
                continue
            changed = True
            lo, hi = max(s, start), min(e, end)
            out.append(self.text[cursor:lo])
            out.append(placeholder if s >= start else "")
            cursor = hi
        if not changed:
            return text, False
        out.append(self.text[cursor:end])
        return "".join(out), True

    def sent_text(self) -> str:
        """The whole text, redacted, as the client has it once all is sent."""
        return self.piece(0, len(self.text))[0]
