"""The endpoint families the gateway guards."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EndpointKind"]


class EndpointKind(StrEnum):
    """What a guarded route speaks; it decides how bodies and streams are read."""

    CHAT = "chat"  # /v1/chat/completions
    COMPLETIONS = "text"  # /v1/completions (legacy prompt)
    EMBEDDINGS = "embeddings"  # /v1/embeddings (input only)
    RESPONSES = "responses"  # /v1/responses
    MESSAGES = "messages"  # /v1/messages (Anthropic)
