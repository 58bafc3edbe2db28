"""Chat completions (``POST /v1/chat/completions``): what the guards read in
a request (every field a client controls that reaches the model as text) and
in an answer, and the answers the gateway writes itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...policies.schema import InputScope, PolicySpec
from .bundles import (
    PayloadShapeError,
    TextBundle,
    TextSegment,
    call_segments,
    content_segments,
    json_string_segments,
)
from .choices import ChoicesFamily
from .kinds import EndpointKind
from .tokens import Tokenizer

__all__ = ["ROLES", "ChatFamily", "chat_input_bundles", "message_list", "scoped_messages"]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_TEXT_PARTS = frozenset({"text", "input_text"})
_ANSWER_PARTS = frozenset({"text", "output_text"})
# Message fields that carry model-written text besides content and tool calls.
_ANSWER_FIELDS = ("refusal", "reasoning_content", "reasoning")


def chat_input_bundles(
    body: dict[str, Any], scope: InputScope, roles: Sequence[str]
) -> list[TextBundle]:
    """One bundle: the scoped messages plus the request-level text the model
    also reads (tool and function schemas, predicted output)."""
    messages = message_list(body, ROLES)
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


def message_list(
    body: dict[str, Any], roles: frozenset[str], *, content_required: bool = False
) -> list[dict[str, Any]]:
    """``body["messages"]``, checked: a non-empty list of objects, each with
    one of ``roles`` (chat and Anthropic Messages alike). An unknown role
    would be skipped by role-based scopes, so it is refused."""
    messages = body.get("messages")
    if messages is None:
        raise PayloadShapeError("'messages' is required", "messages")
    if not isinstance(messages, list) or not messages:
        raise PayloadShapeError("'messages' must be a non-empty list", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise PayloadShapeError(f"messages[{i}] must be an object with a 'role'", "messages")
        if message["role"] not in roles:
            raise PayloadShapeError(
                f"messages[{i}].role {message['role']!r} is not one of {sorted(roles)}", "messages"
            )
        if content_required and "content" not in message:
            raise PayloadShapeError(f"messages[{i}].content is required", "messages")
    return messages


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


def answer_bundle(choice: dict[str, Any], index: int) -> TextBundle:
    """One choice of an answer: its message's content, refusal, reasoning,
    audio transcript and tool-call arguments. Unfamiliar content parts are
    read whole, so no shape carries text past the output guards."""
    message = choice.get("message")
    if message is None:
        return TextBundle(())
    if not isinstance(message, dict):
        raise PayloadShapeError(f"choices[{index}].message is not an object")
    path: tuple[str | int, ...] = ("choices", index, "message")
    segments, _ = content_segments(
        message.get("content"), (*path, "content"), text_types=_ANSWER_PARTS, read_unknown=True
    )
    for field in _ANSWER_FIELDS:
        value = message.get(field)
        if isinstance(value, str) and value:
            segments.append(TextSegment((*path, field), value))
    audio = message.get("audio")
    if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
        segments.append(TextSegment((*path, "audio", "transcript"), audio["transcript"]))
    segments += call_segments(message, path)
    return TextBundle(tuple(segments))


class ChatFamily(ChoicesFamily):
    kind = EndpointKind.CHAT
    path = "/v1/chat/completions"
    input_field = "messages"
    object_name = "chat.completion"
    id_prefix = "chatcmpl-sg-"

    def input_bundles(
        self, body: dict[str, Any], spec: PolicySpec, tokenizer: Tokenizer | None
    ) -> list[TextBundle]:
        return chat_input_bundles(body, spec.input_scope, spec.input_roles)

    def choice_bundle(self, choice: dict[str, Any], index: int) -> TextBundle:
        return answer_bundle(choice, index)

    def blocked_choice(self, choice: dict[str, Any], message: str) -> None:
        choice["message"] = {"role": "assistant", "content": message, "refusal": None}

    def blocked_deltas(self, message: str) -> tuple[dict[str, Any], dict[str, Any]]:
        delta = {"role": "assistant", "content": message}
        return (
            {"index": 0, "finish_reason": None, "delta": delta},
            {"index": 0, "delta": {}, "finish_reason": "content_filter"},
        )

    @property
    def chunk_object(self) -> str:
        return "chat.completion.chunk"
