"""The JSON bodies of each endpoint family: what the guards read in a request
and an answer, how a decision is written back, and the bodies the gateway
writes itself. No HTTP here: the LiteLLM guardrail uses them too."""

from collections.abc import Mapping

from .chat import ChatFamily
from .completions import CompletionsFamily
from .embeddings import EmbeddingsFamily
from .family import AnswerShape, PayloadFamily
from .kinds import EndpointKind
from .messages import MessagesFamily
from .responses import ResponsesFamily

__all__ = ["FAMILIES", "AnswerShape", "EndpointKind", "PayloadFamily", "family_for"]

FAMILIES: Mapping[EndpointKind, PayloadFamily] = {
    family.kind: family
    for family in (
        ChatFamily(),
        CompletionsFamily(),
        EmbeddingsFamily(),
        ResponsesFamily(),
        MessagesFamily(),
    )
}


def family_for(kind: EndpointKind) -> PayloadFamily:
    return FAMILIES[kind]
