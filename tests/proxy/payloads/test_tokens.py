"""The tokenizer registry (proxy/payloads/tokens.py): exact model names before
globs, encodings that cannot load fail at start-up, and the real cl100k_base
from an offline cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tiktoken

from sluicegate.proxy.payloads.tokens import TokenizerRegistry


def byte_encoding(name: str) -> tiktoken.Encoding:
    """A real tiktoken Encoding with one token per byte (no BPE file needed):
    the ids of a text are its UTF-8 bytes."""
    return tiktoken.Encoding(
        name=name,
        pat_str=r"\S+|\s+",
        mergeable_ranks={bytes([i]): i for i in range(256)},
        special_tokens={"<|endoftext|>": 256},
    )


LITELLM_TIKTOKEN = (
    Path(tiktoken.__file__).parent.parent / "litellm" / "litellm_core_utils" / "tokenizers"
)


def test_registry_matches_exact_names_before_globs() -> None:
    registry = TokenizerRegistry({"*": "a", "m": "b"}, load=byte_encoding)
    assert registry.for_model("m").name == "b"  # type: ignore[union-attr]
    assert registry.for_model("other").name == "a"  # type: ignore[union-attr]
    assert TokenizerRegistry({"x-*": "a"}, load=byte_encoding).for_model("y") is None


def test_an_encoding_that_cannot_load_fails_at_start_up() -> None:
    def offline(name: str) -> Any:
        raise ConnectionError("no network")

    with pytest.raises(ValueError, match="TIKTOKEN_CACHE_DIR"):
        TokenizerRegistry({"*": "cl100k_base"}, load=offline)


@pytest.mark.skipif(
    not (LITELLM_TIKTOKEN / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4").exists(),
    reason="no offline cl100k_base file (LiteLLM ships one)",
)
def test_real_cl100k_base_from_a_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(LITELLM_TIKTOKEN))
    tokenizer = TokenizerRegistry({"*": "cl100k_base"}).for_model("text-embedding-3-small")
    assert tokenizer is not None
    assert tokenizer.decode(tokenizer.encode("hello jane@example.com")) == "hello jane@example.com"
