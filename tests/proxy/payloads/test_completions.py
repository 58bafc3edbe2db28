"""The legacy completions family (proxy/payloads/completions.py) as a pure
unit: prompts as strings, lists, token ids (through a tokenizer or
unscanned) and the suffix; choices read, blocked and written."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.policies.schema import PolicySpec
from sluicegate.proxy.payloads.bundles import PayloadShapeError
from sluicegate.proxy.payloads.completions import CompletionsFamily
from sluicegate.proxy.payloads.tokens import Tokenizer
from tests.proxy.payloads.test_tokens import byte_encoding

FAMILY = CompletionsFamily()
SPEC = PolicySpec.model_validate({"version": 1})


def read(body: dict[str, Any], tokenizer: Tokenizer | None = None) -> list[Any]:
    bundles = FAMILY.input_bundles({"model": "m", **body}, SPEC, tokenizer)
    return [([(s.path, s.text) for s in b.segments], b.unscanned) for b in bundles]


def test_each_prompt_is_a_bundle_and_the_suffix_too() -> None:
    assert read({"prompt": "hi", "suffix": "end"}) == [
        ([(("prompt",), "hi")], 0),
        ([(("suffix",), "end")], 0),
    ]
    assert read({"prompt": ["a", "", "b"]}) == [
        ([(("prompt", 0), "a")], 0),
        ([(("prompt", 2), "b")], 0),
    ]


def test_token_ids_are_decoded_with_a_tokenizer_and_unscanned_without() -> None:
    tokenizer = Tokenizer("tiny", byte_encoding("tiny"))
    assert read({"prompt": list(b"hi")}, tokenizer) == [([(("prompt",), "hi")], 0)]
    assert read({"prompt": [list(b"a"), list(b"b")]}) == [([], 1), ([], 1)]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "prompt"),
        ({"prompt": 3}, "prompt"),
        ({"prompt": [1, "a"]}, "prompt"),
        ({"prompt": [[1.5]]}, "prompt"),
        ({"prompt": "x", "suffix": 1}, "suffix"),
    ],
    ids=["missing", "number", "mixed", "floats", "suffix"],
)
def test_malformed_prompts_name_their_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(PayloadShapeError) as caught:
        read(body)
    assert caught.value.param == param


def test_choices_are_read_and_blocked_one_by_one() -> None:
    answer = {
        "choices": [
            {"index": 0, "text": "fine", "finish_reason": "stop", "logprobs": {"tokens": []}},
            {"index": 1, "text": "bad", "finish_reason": "stop", "logprobs": {"tokens": []}},
        ]
    }
    assert [[s.text for s in b.segments] for b in FAMILY.output_bundles(answer)] == [
        ["fine"],
        ["bad"],
    ]
    FAMILY.block_output(answer, 1, "Stopped.")
    assert answer["choices"][0]["text"] == "fine"
    assert answer["choices"][1] == {
        "index": 1,
        "text": "Stopped.",
        "finish_reason": "content_filter",
        "logprobs": None,
    }
    with pytest.raises(PayloadShapeError):
        FAMILY.output_bundles({"choices": [{"index": 0, "text": 42}]})


def test_the_blocked_answer_is_a_text_completion() -> None:
    body = FAMILY.blocked_answer("r1", "m", "Stopped.")
    assert (body["id"], body["object"]) == ("cmpl-sg-r1", "text_completion")
    assert body["choices"][0]["text"] == "Stopped."
    assert body["choices"][0]["finish_reason"] == "content_filter"
    assert FAMILY.input_block_error("Stopped.")["error"]["param"] == "prompt"
