"""Token-id input: the tiktoken encoding that turns a model's token ids back
into the text the guards read, and the redacted text into ids again.

OpenAI's embeddings and completions accept ``[1, 2, 3]`` (or a list of such)
in place of text; LangChain's ``OpenAIEmbeddings`` sends it by default."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["EncodingFactory", "TokenIdError", "Tokenizer", "TokenizerRegistry"]

# Encoding name -> a ``tiktoken.Encoding`` (or anything with its ``n_vocab``,
# ``decode`` and ``encode``). Tests pass one that builds a small encoding.
EncodingFactory = Callable[[str], Any]


class TokenIdError(ValueError):
    """A token id the model's encoding does not have."""


class Tokenizer:
    """One encoding, for decoding ids to text and encoding text back."""

    __slots__ = ("encoding", "name")

    def __init__(self, name: str, encoding: Any) -> None:
        self.name = name
        self.encoding = encoding

    def decode(self, ids: Sequence[int]) -> str:
        vocab = int(self.encoding.n_vocab)
        for token in ids:
            if not 0 <= token < vocab:
                raise TokenIdError(f"token id {token} is not in encoding {self.name}")
        try:
            return str(self.encoding.decode(list(ids)))
        except (KeyError, ValueError) as exc:  # a gap in the vocabulary
            raise TokenIdError(f"token ids are not valid in encoding {self.name}: {exc}") from None

    def encode(self, text: str) -> list[int]:
        # Special-token text that came from the client is encoded as plain text.
        return list(self.encoding.encode(text, disallowed_special=()))


def tiktoken_encoding(name: str) -> Any:
    """``tiktoken.get_encoding``: needs the BPE file, fetched once from
    openaipublic.blob.core.windows.net or found in ``TIKTOKEN_CACHE_DIR``."""
    import tiktoken

    return tiktoken.get_encoding(name)


class TokenizerRegistry:
    """``model -> encoding`` from the config's ``tokenizers:``; keys are model
    names or shell-style globs, exact names first, then globs in order. Every
    encoding is loaded when the registry is built, so a missing BPE file fails
    at start-up rather than on a request."""

    def __init__(self, mapping: Mapping[str, str], load: EncodingFactory | None = None) -> None:
        load = load or tiktoken_encoding
        self._mapping = dict(mapping)
        self._tokenizers: dict[str, Tokenizer] = {}
        for name in dict.fromkeys(self._mapping.values()):
            try:
                self._tokenizers[name] = Tokenizer(name, load(name))
            except Exception as exc:
                raise ValueError(
                    f"tokenizers: cannot load tiktoken encoding {name!r} ({exc}); offline, "
                    "put its file in TIKTOKEN_CACHE_DIR"
                ) from exc

    def for_model(self, model: str) -> Tokenizer | None:
        name = self._mapping.get(model)
        if name is None:
            name = next(
                (v for k, v in self._mapping.items() if fnmatch.fnmatchcase(model, k)), None
            )
        return None if name is None else self._tokenizers[name]
