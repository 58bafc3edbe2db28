"""The text gate's one release check."""

from __future__ import annotations

from sluicegate.policies.schema import StreamingSpec
from sluicegate.proxy.streaming.gate import TextGate

SPEC = StreamingSpec(holdback_chars=8, first_window_chars=4, window_chars=16)


def test_settled_prefix_is_the_limit() -> None:
    gate = TextGate(SPEC)
    gate.add("Hello there, mail bob@exa")
    gate.advance([], settled=18)
    assert gate.cut == 18


def test_without_settled_the_holdback_applies_at_whitespace() -> None:
    gate = TextGate(SPEC)
    gate.add("one two three four five")  # 23 characters; 15 is the limit
    gate.advance([], settled=None)
    assert gate.cut == len("one two three ")


def test_the_cut_never_falls_inside_a_span() -> None:
    gate = TextGate(SPEC)
    gate.add("call 4111 1111 1111 1111 now")
    gate.advance([(5, 24, "[CARD]")], settled=12)
    assert gate.cut == 5
    gate.advance([(5, 24, "[CARD]")], settled=26)
    assert gate.cut == 26
    assert gate.piece(0, 26) == ("call [CARD] n", True)


def test_a_span_over_two_pieces_has_its_placeholder_in_the_first() -> None:
    gate = TextGate(SPEC)
    a = gate.add("write to jane@ex")
    b = gate.add("ample.com today")
    gate.advance([(9, 25, "[EMAIL]")], None, final=True)
    assert gate.piece(a, b) == ("write to [EMAIL]", True)
    assert gate.piece(b, len(gate.text)) == (" today", True)
    assert gate.sent_text() == "write to [EMAIL] today"


def test_the_cut_only_moves_forward_and_late_spans_are_counted() -> None:
    gate = TextGate(SPEC)
    gate.add("secret code is plain here")
    gate.advance([], settled=20)
    gate.advance([(0, 6, "[X]")], settled=3)
    assert gate.cut == 20
    assert gate.late_spans == 1


def test_checks_are_due_on_every_piece_when_incremental() -> None:
    gate = TextGate(SPEC)
    gate.add("Hi")
    assert gate.due(incremental=True)
    assert not gate.due(incremental=False)  # waits for first window + holdback
    gate.add(" there, it is me")
    assert gate.due(incremental=False)
    gate.advance([], settled=None)
    assert not gate.due(incremental=True)
