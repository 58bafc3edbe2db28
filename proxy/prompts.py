"""What the input guards read in a request: every field a client controls
that reaches the model as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..policies.schema import InputScope
from .payloads import (
    PayloadShapeError,
    TextBundle,
    TextSegment,
    call_segments,
    content_segments,
    json_string_segments,
)
from .tokens import TokenIdError, Tokenizer

__all__ = ["ROLES", "chat_input_bundles", "prompt_input_bundles", "scoped_messages"]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_TEXT_PARTS = frozenset({"text", "input_text"})


def chat_input_bundles(
    body: dict[str, Any], scope: InputScope, roles: Sequence[str]
) -> list[TextBundle]:
    """One bundle: the scoped messages plus the request-level text the model
    also reads (tool and function schemas, predicted output)."""
    messages = body.get("messages")
    if messages is None:
        raise PayloadShapeError("'messages' is required", "messages")
    if not isinstance(messages, list) or not messages:
        raise PayloadShapeError("'messages' must be a non-empty list", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise PayloadShapeError(f"messages[{i}] must be an object with a 'role'", "messages")
        if message["role"] not in ROLES:
            # An unknown role would be skipped by role-based scopes: refuse it.
            raise PayloadShapeError(
                f"messages[{i}].role {message['role']!r} is not one of {sorted(ROLES)}", "messages"
            )
    segments: list[TextSegment] = []
    unscanned = 0
    for i in scoped_messages(messages, scope, roles):
        found, skipped = _message_segments(messages[i], ("messages", i))
        segments += found
        unscanned += skipped
    for field in ("tools", "functions"):
        segments += _schema_segments(body.get(field), field)
    prediction = body.get("prediction")
    if isinstance(prediction, dict):
        found, skipped = content_segments(
            prediction.get("content"), ("prediction", "content"), text_types=_TEXT_PARTS
        )
        segments += found
        unscanned += skipped
    return [TextBundle(tuple(segments), unscanned)]


def _message_segments(
    message: dict[str, Any], path: tuple[str | int, ...]
) -> tuple[list[TextSegment], int]:
    segments, unscanned = content_segments(
        message.get("content"), (*path, "content"), text_types=_TEXT_PARTS
    )
    for field in ("name", "refusal"):
        value = message.get(field)
        if value is not None and not isinstance(value, str):
            raise PayloadShapeError(f"{path[0]}[{path[1]}].{field} must be a string", "messages")
        if value:
            segments.append(TextSegment((*path, field), value))
    segments += call_segments(message, path)
    return segments, unscanned


def _schema_segments(value: Any, field: str) -> list[TextSegment]:
    """Descriptions and other strings in tool schemas: the model reads them,
    so they are a place to hide instructions too."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadShapeError(f"'{field}' must be a list", field)
    return json_string_segments(value, (field,))


def scoped_messages(
    messages: list[dict[str, Any]], scope: InputScope, roles: Sequence[str]
) -> list[int]:
    """Indexes of the messages ``scope`` reads (chat and Anthropic Messages alike)."""
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if scope is InputScope.ALL_USER:
        return users
    if scope is InputScope.LAST_USER:
        # The last user turn and what followed it (tool results feed the model too).
        first = users[-1] if users else 0
        return [
            i for i in range(first, len(messages)) if i == first or messages[i]["role"] in roles
        ]
    return [i for i, m in enumerate(messages) if m["role"] in roles]


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
