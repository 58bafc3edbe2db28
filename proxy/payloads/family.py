"""The contract of an endpoint family's payloads: everything the routes, the
stream relay and the LiteLLM guardrail need to know about one API's JSON,
so a new endpoint kind is one module in this folder.

A family is stateless; one instance serves every request of its kind.
"""

from __future__ import annotations

from typing import Any, Protocol

from ...policies.schema import PolicySpec
from .bundles import TextBundle
from .kinds import EndpointKind
from .tokens import Tokenizer

__all__ = ["AnswerShape", "ErrorBodies", "PayloadFamily"]


class AnswerShape(Protocol):
    """How output decisions are written into an answer: the part of a family
    :class:`~..enforcement.checks.OutputCheck` needs. Part ``i`` is the text of
    ``output_bundles(answer)[i]`` (a choice, or the whole answer)."""

    def output_bundles(self, answer: Any) -> list[TextBundle]:
        """What the output guards read, one bundle per part. Raises
        :class:`~.bundles.PayloadShapeError` for an answer of another shape."""
        ...

    def block_output(self, answer: dict[str, Any], part: int, message: str) -> None:
        """Replace part ``part`` with the policy's ``message``, marked as filtered."""
        ...

    def redacted_output(self, answer: dict[str, Any], part: int) -> None:
        """Tidy part ``part`` after its redactions were written (drop token
        logprobs that would spell out the original, restore JSON objects)."""
        ...


class ErrorBodies(Protocol):
    """Writes error bodies in one API's shape (every family does; the HTTP
    layer picks one per route)."""

    def error_body(
        self,
        status_code: int,
        message: str,
        *,
        error_type: str,
        code: str | None,
        param: str | None,
    ) -> dict[str, Any]:
        """An error in this API's shape, which its SDKs parse into exceptions."""
        ...


class PayloadFamily(AnswerShape, ErrorBodies, Protocol):
    """One endpoint family (chat, completions, embeddings, responses, messages)."""

    @property
    def kind(self) -> EndpointKind: ...

    @property
    def path(self) -> str:
        """Where the gateway serves it, as the API's clients call it."""
        ...

    @property
    def input_field(self) -> str:
        """The request field a blocked input is reported against (an error's ``param``)."""
        ...

    @property
    def guards_output(self) -> bool:
        """False where an answer carries no text to guard, and so cannot hold
        the policy's message either (embeddings)."""
        ...

    def input_bundles(
        self, body: dict[str, Any], spec: PolicySpec, tokenizer: Tokenizer | None
    ) -> list[TextBundle]:
        """What the input guards read in a request, in the scope ``spec`` sets.
        Raises :class:`~.bundles.PayloadShapeError` for a malformed body."""
        ...

    def blocked_answer(self, request_id: str, model: str, message: str) -> dict[str, Any]:
        """A normal-looking answer whose only content is the policy's message
        (``block_response: message``)."""
        ...

    def blocked_stream(
        self, request_id: str, model: str, message: str, request: dict[str, Any]
    ) -> bytes:
        """The same as a finished event stream, honouring what ``request`` asked
        for its stream (``stream_options.include_usage``)."""
        ...

    def input_block_error(self, message: str) -> dict[str, Any]:
        """The 400 body for a blocked input, shaped so SDKs raise their
        content-filter exception for it."""
        ...
