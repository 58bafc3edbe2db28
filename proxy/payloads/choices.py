"""What chat and legacy completions share: answers with a ``choices`` list,
each guarded, blocked or redacted on its own."""

from __future__ import annotations

import time
from typing import Any

from ..sse import DONE_EVENT, encode_event
from .bundles import PayloadShapeError, TextBundle
from .openai import NO_USAGE, OpenAIErrors

__all__ = ["ChoicesFamily"]


class ChoicesFamily(OpenAIErrors):
    """Chat completions and completions: one output bundle per choice."""

    guards_output = True
    object_name: str  # the answer's ``object``
    id_prefix: str

    def choice_bundle(self, choice: dict[str, Any], index: int) -> TextBundle:
        raise NotImplementedError

    def blocked_choice(self, choice: dict[str, Any], message: str) -> None:
        """Write ``message`` as the choice's content."""
        raise NotImplementedError

    def blocked_deltas(self, message: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The first and last choice of a blocked stream's chunks."""
        raise NotImplementedError

    def output_bundles(self, answer: Any) -> list[TextBundle]:
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list):
            raise PayloadShapeError("completion has no 'choices' list")
        bundles = []
        for index, choice in enumerate(choices):
            if not isinstance(choice, dict):
                raise PayloadShapeError(f"choices[{index}] is not an object")
            bundles.append(self.choice_bundle(choice, index))
        return bundles

    def block_output(self, answer: dict[str, Any], part: int, message: str) -> None:
        """The policy's message and ``finish_reason: content_filter``."""
        choice = answer["choices"][part]
        self.blocked_choice(choice, message)
        choice["finish_reason"] = "content_filter"
        self.redacted_output(answer, part)

    def redacted_output(self, answer: dict[str, Any], part: int) -> None:
        # The tokens in logprobs spell out the original text.
        choice = answer["choices"][part]
        if "logprobs" in choice:
            choice["logprobs"] = None

    def blocked_answer(self, request_id: str, model: str, message: str) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0}
        self.blocked_choice(choice, message)
        choice.update(logprobs=None, finish_reason="content_filter")
        return {
            "id": f"{self.id_prefix}{request_id}",
            "object": self.object_name,
            "created": int(time.time()),
            "model": model,
            "choices": [choice],
            "usage": dict(NO_USAGE),
        }

    def blocked_stream(
        self, request_id: str, model: str, message: str, request: dict[str, Any]
    ) -> bytes:
        """With the client's ``stream_options.include_usage`` it ends, as
        OpenAI's streams do, with a chunk that has no choices and the usage,
        which some SDKs wait for."""
        head = {
            "id": f"{self.id_prefix}{request_id}",
            "object": self.chunk_object,
            "created": int(time.time()),
            "model": model,
        }
        first, last = self.blocked_deltas(message)
        events = [{**head, "choices": [first]}, {**head, "choices": [last]}]
        options = request.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage") is True:
            events.append({**head, "choices": [], "usage": dict(NO_USAGE)})
        return b"".join(encode_event(e) for e in events) + DONE_EVENT

    @property
    def chunk_object(self) -> str:
        return self.object_name
