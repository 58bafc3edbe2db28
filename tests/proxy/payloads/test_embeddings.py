"""The embeddings family (proxy/payloads/embeddings.py) as a pure unit: the
input is read like a prompt; the answer holds no text, so nothing is read
from it and nothing can be written into it."""

from __future__ import annotations

import pytest

from sluicegate.policies.schema import PolicySpec
from sluicegate.proxy.payloads.bundles import PayloadShapeError
from sluicegate.proxy.payloads.embeddings import EmbeddingsFamily

FAMILY = EmbeddingsFamily()
SPEC = PolicySpec.model_validate({"version": 1})


def test_each_input_is_a_bundle() -> None:
    bundles = FAMILY.input_bundles({"model": "m", "input": ["one", "two"]}, SPEC, None)
    assert [[(s.path, s.text) for s in b.segments] for b in bundles] == [
        [(("input", 0), "one")],
        [(("input", 1), "two")],
    ]
    with pytest.raises(PayloadShapeError) as caught:
        FAMILY.input_bundles({"model": "m", "input": [[1, None]]}, SPEC, None)
    assert caught.value.param == "input"


def test_the_answer_is_not_guarded_and_a_block_is_always_an_error() -> None:
    vectors = {"object": "list", "data": [{"index": 0, "embedding": [0.1]}]}
    assert FAMILY.guards_output is False
    assert FAMILY.output_bundles(vectors) == []
    with pytest.raises(TypeError):
        FAMILY.block_output(vectors, 0, "Stopped.")
    with pytest.raises(TypeError):
        FAMILY.blocked_answer("r1", "m", "Stopped.")
    error = FAMILY.input_block_error("Stopped.")["error"]
    assert (error["code"], error["param"]) == ("content_filter", "input")
