"""Legacy completions (``POST /v1/completions``) and the ``prompt``/``input``
fields it shares with embeddings: strings, token ids, or lists of either."""

from __future__ import annotations

from typing import Any

from ...policies.schema import PolicySpec
from .bundles import PayloadShapeError, TextBundle, TextSegment
from .choices import ChoicesFamily
from .kinds import EndpointKind
from .tokens import TokenIdError, Tokenizer

__all__ = ["CompletionsFamily", "prompt_input_bundles"]


def prompt_input_bundles(
    body: dict[str, Any], field: str, tokenizer: Tokenizer | None = None
) -> list[TextBundle]:
    """``prompt`` (completions, with its ``suffix``) or ``input`` (embeddings): a
    string, a list of token ids, or a list of either; one bundle each. Token ids
    are read through ``tokenizer`` (the model's encoding); without one they
    count as unscanned parts, which the policy's ``non_text_content`` allows
    or blocks."""
    value = body.get(field)
    if value is None:
        raise PayloadShapeError(f"'{field}' is required", field)
    items: list[tuple[tuple[str | int, ...], Any]]
    if isinstance(value, str) or (isinstance(value, list) and value and _token_ids(value)):
        items = [((field,), value)]
    elif isinstance(value, list):
        items = [((field, i), item) for i, item in enumerate(value)]
    else:
        raise PayloadShapeError(
            f"'{field}' must be a string, a list of token ids, or a list of either", field
        )
    bundles = []
    for path, item in items:
        if isinstance(item, str):
            if item:
                bundles.append(TextBundle((TextSegment(path, item),)))
        elif isinstance(item, list) and _token_ids(item):
            bundles.append(_token_bundle(item, path, tokenizer, field))
        else:
            raise PayloadShapeError(
                f"{field}[{path[1]}] must be a string or a list of token ids (integers)", field
            )
    suffix = body.get("suffix") if field == "prompt" else None
    if suffix is not None:
        if not isinstance(suffix, str):
            raise PayloadShapeError("'suffix' must be a string", "suffix")
        bundles.append(TextBundle((TextSegment(("suffix",), suffix),)))
    return bundles


def _token_ids(value: list[Any]) -> bool:
    # bool is an int subclass in Python but not in JSON's eyes.
    return all(isinstance(x, int) and not isinstance(x, bool) for x in value)


def _token_bundle(
    ids: list[int], path: tuple[str | int, ...], tokenizer: Tokenizer | None, field: str
) -> TextBundle:
    if tokenizer is None:
        return TextBundle((), unscanned=1)
    try:
        text = tokenizer.decode(ids)
    except TokenIdError as exc:
        raise PayloadShapeError(f"'{field}' holds {exc}", field) from None
    return TextBundle((TextSegment(path, text, encode=tokenizer.encode),) if text else ())


class CompletionsFamily(ChoicesFamily):
    kind = EndpointKind.COMPLETIONS
    path = "/v1/completions"
    input_field = "prompt"
    object_name = "text_completion"
    id_prefix = "cmpl-sg-"

    def input_bundles(
        self, body: dict[str, Any], spec: PolicySpec, tokenizer: Tokenizer | None
    ) -> list[TextBundle]:
        return prompt_input_bundles(body, "prompt", tokenizer)

    def choice_bundle(self, choice: dict[str, Any], index: int) -> TextBundle:
        text = choice.get("text")
        if text is not None and not isinstance(text, str):
            raise PayloadShapeError(f"choices[{index}].text is not a string")
        return TextBundle((TextSegment(("choices", index, "text"), text),) if text else ())

    def blocked_choice(self, choice: dict[str, Any], message: str) -> None:
        choice["text"] = message

    def blocked_deltas(self, message: str) -> tuple[dict[str, Any], dict[str, Any]]:
        return (
            {"index": 0, "text": message, "finish_reason": None},
            {"index": 0, "text": "", "finish_reason": "content_filter"},
        )
