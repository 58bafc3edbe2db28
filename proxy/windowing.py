"""Windowed release of streamed text: nothing leaves before a guard has read
it, and redaction gives the same text whatever the chunking.

Each check scans the whole text accumulated so far (deterministic guards read
a few kB in microseconds), so findings in already-released text are exactly
the findings the non-streamed path would see, provided no span reaches back
further than ``holdback_chars`` from the end. Release stops ``holdback_chars``
short of the end, at a whitespace boundary, and never inside a redaction span.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..policies.redaction import RedactionSpan, redact
from ..policies.schema import StreamingSpec

__all__ = ["TextWindow"]


class TextWindow:
    """One streamed text field of one choice."""

    def __init__(self, spec: StreamingSpec) -> None:
        self.spec = spec
        self.text = ""
        self.released = 0  # source characters already sent, redacted
        self.checked = 0  # source length at the last check
        self.max_held = 0  # most characters ever held back, for the audit line
        self.late_spans = 0  # spans found reaching into released text (holdback too short)

    def add(self, piece: str) -> None:
        self.text += piece

    @property
    def check_due(self) -> bool:
        """Enough new text since the last check. The first check waits only
        until ``first_window_chars`` could be released past the holdback, so
        the first tokens go out soon."""
        if self.checked == 0:
            return len(self.text) >= self.spec.first_window_chars + self.spec.holdback_chars
        return len(self.text) - self.checked >= self.spec.window_chars

    def release(self, spans: Sequence[RedactionSpan], *, final: bool) -> str:
        """Mark the text checked and return the next piece to send: the
        redacted text from the last release up to a safe cut (the end, when
        ``final``). ``spans`` are redaction spans over the whole text."""
        self.checked = len(self.text)
        self.max_held = max(self.max_held, len(self.text) - self.released)
        start = self.released
        cut = len(self.text) if final else self._safe_cut(spans)
        if cut <= start:
            return ""
        local = []
        for s, e, placeholder in spans:
            if s < cut and e > start:
                if s < start:
                    self.late_spans += 1  # its head already left: cannot be unsent
                local.append((max(s, start) - start, min(e, cut) - start, placeholder))
        self.released = cut
        return redact(self.text[start:cut], local)

    def hold(self) -> None:
        """Mark the text checked without releasing any of it."""
        self.checked = len(self.text)
        self.max_held = max(self.max_held, len(self.text) - self.released)

    def stable_text(self) -> str:
        """The text up to the last whitespace before the holdback: what the
        rest of the stream can no longer change the reading of. A phrase at
        the very end of the text so far may yet run on ("forbidden phrase"
        becoming "forbidden phrases"), so a block is confirmed on this part."""
        return self.text[: self._whitespace_cut(0)]

    def _whitespace_cut(self, floor: int) -> int:
        limit = len(self.text) - self.spec.holdback_chars
        if limit <= floor:
            return floor
        # Cut after whitespace, so a word (or an identifier) is never split and
        # the held tail starts at a token's beginning.
        space = max(self.text.rfind(" ", floor, limit), self.text.rfind("\n", floor, limit))
        return space + 1 if space >= 0 else floor

    def _safe_cut(self, spans: Sequence[RedactionSpan]) -> int:
        cut = self._whitespace_cut(self.released)
        moved = True
        while moved:  # never split a span: hold all of it (overlaps may chain)
            moved = False
            for s, e, _ in spans:
                if s < cut < e:
                    cut, moved = s, True
        return max(cut, self.released)
