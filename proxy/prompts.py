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

__all__ = ["ROLES", "chat_input_bundles", "prompt_input_bundles"]

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
    for i in _scoped(messages, scope, roles):
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


def _scoped(messages: list[dict[str, Any]], scope: InputScope, roles: Sequence[str]) -> list[int]:
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


def prompt_input_bundles(body: dict[str, Any], field: str) -> list[TextBundle]:
    """``prompt`` (completions, with its ``suffix``) or ``input`` (embeddings): a
    string or a list of strings, one bundle each. Token-id inputs cannot be
    read, so they are refused."""
    value = body.get(field)
    if value is None:
        raise PayloadShapeError(f"'{field}' is required", field)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise PayloadShapeError(
            f"'{field}' must be a string or a list of strings; token-id input cannot be "
            "checked by the gateway's guards and is not accepted",
            field,
        )
    paths: list[tuple[str | int, ...]] = (
        [(field,)] if isinstance(value, str) else [(field, i) for i in range(len(items))]
    )
    bundles = [TextBundle((TextSegment(p, t),)) for p, t in zip(paths, items, strict=True) if t]
    suffix = body.get("suffix") if field == "prompt" else None
    if suffix is not None:
        if not isinstance(suffix, str):
            raise PayloadShapeError("'suffix' must be a string", "suffix")
        bundles.append(TextBundle((TextSegment(("suffix",), suffix),)))
    return bundles
