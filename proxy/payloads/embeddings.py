"""Embeddings (``POST /v1/embeddings``): only the ``input`` is guarded; the
answer is vectors, relayed as the upstream sent them."""

from __future__ import annotations

from typing import Any

from ...policies.schema import PolicySpec
from .bundles import TextBundle
from .completions import prompt_input_bundles
from .kinds import EndpointKind
from .openai import OpenAIErrors
from .tokens import Tokenizer

__all__ = ["EmbeddingsFamily"]


class EmbeddingsFamily(OpenAIErrors):
    """A blocked input is always the content-filter 400: there is no
    normal-looking answer to hold a message."""

    kind = EndpointKind.EMBEDDINGS
    path = "/v1/embeddings"
    input_field = "input"
    guards_output = False

    def input_bundles(
        self, body: dict[str, Any], spec: PolicySpec, tokenizer: Tokenizer | None
    ) -> list[TextBundle]:
        return prompt_input_bundles(body, "input", tokenizer)

    def output_bundles(self, answer: Any) -> list[TextBundle]:
        return []

    def block_output(self, answer: dict[str, Any], part: int, message: str) -> None:
        raise TypeError("embeddings answers carry no text to block")

    def redacted_output(self, answer: dict[str, Any], part: int) -> None:
        raise TypeError("embeddings answers carry no text to redact")

    def blocked_answer(self, request_id: str, model: str, message: str) -> dict[str, Any]:
        raise TypeError("a blocked embeddings request is answered with an error")

    def blocked_stream(
        self, request_id: str, model: str, message: str, request: dict[str, Any]
    ) -> bytes:
        raise TypeError("embeddings are not streamed")
