"""Text bundles (proxy/payloads/bundles.py) on their own: how segments join
into the text the guards read, how spans map back onto segments and are
written into the body, and the readers every family builds on."""

from __future__ import annotations

import pytest

from sluicegate.proxy.payloads.bundles import (
    SEPARATOR,
    PayloadShapeError,
    RedactionConflict,
    TextBundle,
    TextSegment,
    arguments_segment,
    content_segments,
    json_string_segments,
)

TEXT = frozenset({"text"})


def test_segments_are_read_as_one_text_and_spans_are_cut_at_their_edges() -> None:
    bundle = TextBundle((TextSegment(("a",), "step one"), TextSegment(("b",), "step two")))
    assert bundle.text == "step one" + SEPARATOR + "step two"
    # One span from "one" to "step" of the second segment: a piece in each.
    start = bundle.text.index("one")
    end = bundle.text.index("two")
    assert bundle.spans_by_segment([(start, end, "[X]")]) == [[(5, 8, "[X]")], [(0, 5, "[X]")]]


def test_apply_writes_each_segment_back_at_its_path() -> None:
    body = {"messages": [{"content": [{"text": "mail jane@example.com"}]}], "other": "kept"}
    bundle = TextBundle(
        (TextSegment(("messages", 0, "content", 0, "text"), "mail jane@example.com"),)
    )
    start = bundle.text.index("jane")
    bundle.apply(body, [(start, len(bundle.text), "[EMAIL]")])
    assert body == {"messages": [{"content": [{"text": "mail [EMAIL]"}]}], "other": "kept"}


def test_a_redaction_that_breaks_tool_arguments_raises_and_leaves_the_body() -> None:
    body = {"first": "a secret", "args": '{"a": "x", "b": "y"}'}
    segment = arguments_segment(body["args"], ("args",))
    assert segment is not None and segment.json_arguments
    bundle = TextBundle((TextSegment(("first",), body["first"]), segment))
    text = bundle.text
    spans = [(text.index("secret"), text.index("secret") + 6, "[S]")]
    spans.append((text.index('x"'), text.index('x"') + 2, "[X]"))  # takes a closing quote
    with pytest.raises(RedactionConflict):
        bundle.apply(body, spans)
    assert body == {"first": "a secret", "args": '{"a": "x", "b": "y"}'}


def test_token_id_segments_are_written_back_as_ids() -> None:
    body = {"input": [104, 105]}
    segment = TextSegment(("input",), "hi", encode=lambda text: list(text.encode()))
    TextBundle((segment,)).apply(body, [(0, 2, "[G]")])
    assert body == {"input": list(b"[G]")}


def test_arguments_are_read_in_canonical_form() -> None:
    escaped = arguments_segment('{"q": "nerve \\u0061gent"}', ("f",))
    assert escaped is not None
    assert (escaped.text, escaped.json_arguments) == ('{"q":"nerve agent"}', True)
    loose = arguments_segment("not json {", ("f",))
    assert loose is not None and (loose.text, loose.json_arguments) == ("not json {", False)
    assert arguments_segment("", ("f",)) is None
    with pytest.raises(PayloadShapeError) as caught:
        arguments_segment({"q": 1}, ("messages", 0, "arguments"))
    assert caught.value.param == "messages"


def test_content_parts_are_read_counted_or_refused() -> None:
    parts = [
        {"type": "text", "text": "hello"},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        {"type": "refusal", "refusal": "no"},
    ]
    segments, unscanned = content_segments(parts, ("messages", 0, "content"), text_types=TEXT)
    assert [(s.path, s.text) for s in segments] == [
        (("messages", 0, "content", 0, "text"), "hello"),
        (("messages", 0, "content", 2, "refusal"), "no"),
    ]
    assert unscanned == 1
    # read_unknown: an unfamiliar part is read whole instead of counted.
    unknown = [{"type": "thinking", "thinking": "a plan"}]
    read, skipped = content_segments(unknown, ("c",), text_types=TEXT, read_unknown=True)
    assert ([s.text for s in read], skipped) == (["a plan"], 0)
    for bad in ([{"type": {}}], [None], [{"type": "text", "text": 1}], 42):
        with pytest.raises(PayloadShapeError) as caught:
            content_segments(bad, ("messages", 0, "content"), text_types=TEXT)
        assert caught.value.param == "messages"


def test_every_string_in_a_json_value_is_a_segment() -> None:
    schema = {"name": "f", "parameters": {"properties": {"x": {"enum": ["a", ""]}}}, "n": 3}
    assert [(s.path, s.text) for s in json_string_segments(schema, ("tools", 0))] == [
        (("tools", 0, "name"), "f"),
        (("tools", 0, "parameters", "properties", "x", "enum", 0), "a"),
    ]
