"""The conformance scenarios, as data: what a client asks and what the upstream answers.

Each chat scenario holds the upstream's answer once, per choice, and renders it
both ways: as a chat.completion body and as the SSE chunks OpenAI's API sends
for it (role, ``content: ""`` and ``refusal: null`` on a choice's first delta;
a tool call's id, type and name first, then its argument fragments; a
finish_reason chunk; with ``stream_options.include_usage`` a ``usage: null`` on
every chunk and a last chunk with ``choices: []`` and the usage). ``expected``
is the parsed result every client must produce, directly and through the
gateway, in the canonical shape of :mod:`tests.conformance.canonical`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Final

from tests.support.servers import Reply

__all__ = [
    "BLOCK_NOTICE",
    "CHAT_SCENARIOS",
    "EMBEDDINGS",
    "RESPONSES_SCENARIOS",
    "TRIGGER",
    "ChatScenario",
    "ChoiceSpec",
    "EmbeddingsScenario",
    "ResponsesScenario",
    "ToolCallSpec",
    "pieces",
]

#: The test policy blocks any text containing this; no scenario's allowed text does.
TRIGGER: Final = "BLOCKME"
BLOCK_NOTICE: Final = "Stopped by the conformance policy."

USAGE: Final = {"prompt_tokens": 11, "completion_tokens": 17, "total_tokens": 28}
_HEAD: Final = {
    "id": "chatcmpl-conformance",
    "object": "chat.completion.chunk",
    "created": 1_700_000_000,
    "model": "gpt-4o-mini-2024-07-18",
    "system_fingerprint": "fp_conformance",
    "service_tier": "default",
}


def pieces(text: str, size: int = 7) -> list[str]:
    """``text`` cut every ``size`` characters, as a model's tokens would cut it."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


@dataclass(frozen=True)
class ToolCallSpec:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ChoiceSpec:
    content: str | None = None
    tool_calls: tuple[ToolCallSpec, ...] = ()
    finish_reason: str = "stop"
    logprobs: bool = False

    def content_pieces(self) -> list[str]:
        return pieces(self.content) if self.content else []

    def logprob_entries(self, texts: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "token": t,
                "logprob": -round(0.01 * (i + 1), 4),
                "bytes": list(t.encode()),
                "top_logprobs": [],
            }
            for i, t in enumerate(texts)
        ]


@dataclass(frozen=True)
class ChatScenario:
    name: str
    request: dict[str, Any]  # create() keywords besides model and stream
    choices: tuple[ChoiceSpec, ...]
    structured: bool = False  # response_format is City's json_schema

    @property
    def include_usage(self) -> bool:
        return bool(self.request.get("stream_options", {}).get("include_usage"))

    def body(self) -> dict[str, Any]:
        choices = []
        for index, choice in enumerate(self.choices):
            message: dict[str, Any] = {
                "role": "assistant",
                "content": choice.content,
                "refusal": None,
                "annotations": [],
            }
            if choice.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments},
                    }
                    for call in choice.tool_calls
                ]
            logprobs = None
            if choice.logprobs:
                entries = choice.logprob_entries(choice.content_pieces())
                logprobs = {"content": entries, "refusal": None}
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "logprobs": logprobs,
                    "finish_reason": choice.finish_reason,
                }
            )
        return {
            **_HEAD,
            "object": "chat.completion",
            "choices": choices,
            "usage": dict(USAGE),
        }

    def events(self) -> list[Any]:
        """Chunks in OpenAI's order; with n > 1 the choices' chunks interleave."""
        per_choice = [self._choice_chunks(i, c) for i, c in enumerate(self.choices)]
        events: list[Any] = []
        for round_ in itertools.zip_longest(*per_choice):
            events += [chunk for chunk in round_ if chunk is not None]
        if self.include_usage:
            events = [{**chunk, "usage": None} for chunk in events]
            events.append({**_HEAD, "choices": [], "usage": dict(USAGE)})
        events.append("[DONE]")
        return events

    def _choice_chunks(self, index: int, choice: ChoiceSpec) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
            body = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**_HEAD, "choices": [{**body, **extra}]}

        first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
        if choice.content is None:
            first["content"] = None
        chunks = []
        texts = choice.content_pieces()
        if choice.logprobs:
            chunks.append(chunk(first, logprobs={"content": [], "refusal": None}))
            for text, entry in zip(texts, choice.logprob_entries(texts), strict=True):
                logprobs = {"content": [entry], "refusal": None}
                chunks.append(chunk({"content": text}, logprobs=logprobs))
        else:
            if choice.content is None and choice.tool_calls:
                # OpenAI puts the first tool call's head in the role delta itself.
                first["tool_calls"] = [self._call_head(0, choice.tool_calls[0])]
            chunks.append(chunk(first))
            chunks += [chunk({"content": text}) for text in texts]
        for position, call in enumerate(choice.tool_calls):
            if not (position == 0 and "tool_calls" in first):
                chunks.append(chunk({"tool_calls": [self._call_head(position, call)]}))
            for fragment in pieces(call.arguments, 5):
                delta = {"tool_calls": [{"index": position, "function": {"arguments": fragment}}]}
                chunks.append(chunk(delta))
        chunks.append(chunk({}, choice.finish_reason))
        return chunks

    @staticmethod
    def _call_head(position: int, call: ToolCallSpec) -> dict[str, Any]:
        return {
            "index": position,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }

    def reply(self, *, stream: bool) -> Reply:
        return Reply(events=self.events()) if stream else Reply(body=self.body())

    def expected(self, *, stream: bool) -> dict[str, Any]:
        """The canonical parsed result (see :func:`canonical.from_completion`)."""
        return {
            "choices": [
                {
                    "index": index,
                    "content": choice.content or None,
                    "tool_calls": [
                        {"id": c.id, "name": c.name, "arguments": c.arguments}
                        for c in choice.tool_calls
                    ],
                    "finish_reason": choice.finish_reason,
                    "logprobs": (
                        [[e["token"], e["logprob"]] for e in choice.logprob_entries(
                            choice.content_pieces()
                        )]
                        if choice.logprobs
                        else None
                    ),
                }
                for index, choice in enumerate(self.choices)
            ],
            "usage": dict(USAGE) if (not stream or self.include_usage) else None,
        }


CITY_SCHEMA: Final = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["name", "population"],
    "additionalProperties": False,
}
WEATHER_TOOL: Final = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME_TOOL: Final = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current local time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"tz": {"type": "string"}},
            "required": ["tz"],
        },
    },
}

_ASK = [{"role": "user", "content": "Tell me about Paris."}]
_PARIS = (
    "Paris is the capital of France. It sits on the Seine, has about two million "
    "residents and is known for its museums, cafes and bridges."
)
_WEATHER = ToolCallSpec("call_weather_1", "get_weather", '{"city": "Paris"}')
_TIME = ToolCallSpec("call_time_2", "get_time", '{"tz": "Europe/Paris"}')

CHAT_SCENARIOS: Final[tuple[ChatScenario, ...]] = (
    ChatScenario("plain-text", {"messages": _ASK}, (ChoiceSpec(_PARIS),)),
    ChatScenario(
        "unicode",
        {"messages": _ASK},
        (ChoiceSpec("Grüße aus Zürich! 東京は晴れ、気温は二十度です。 Ça va? 🌍🚀 Done."),),
    ),
    ChatScenario(
        "n2",
        {"messages": _ASK, "n": 2, "stream_options": {"include_usage": True}},
        (
            ChoiceSpec(_PARIS),
            ChoiceSpec("Paris, on the Seine, is France's capital and largest city."),
        ),
    ),
    ChatScenario(
        "parallel-tools",
        {
            "messages": [{"role": "user", "content": "Weather and time in Paris?"}],
            "tools": [WEATHER_TOOL, TIME_TOOL],
            "stream_options": {"include_usage": True},
        },
        (ChoiceSpec(None, (_WEATHER, _TIME), "tool_calls"),),
    ),
    ChatScenario(
        "content-then-tool",
        {
            "messages": [{"role": "user", "content": "What's the weather in Paris?"}],
            "tools": [WEATHER_TOOL],
        },
        (ChoiceSpec("Let me look up the current weather in Paris for you.", (_WEATHER,),
                    "tool_calls"),),
    ),
    ChatScenario(
        "structured",
        {
            "messages": [{"role": "user", "content": "Biggest city in France, as JSON."}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "City", "schema": CITY_SCHEMA, "strict": True},
            },
        },
        (ChoiceSpec('{"name":"Paris","population":2102650}'),),
        structured=True,
    ),
    ChatScenario(
        "logprobs",
        {"messages": _ASK, "logprobs": True},
        (ChoiceSpec("Paris is the capital of France, on the river Seine.", logprobs=True),),
    ),
    ChatScenario(
        "include-usage",
        {"messages": _ASK, "stream_options": {"include_usage": True}},
        (ChoiceSpec(_PARIS),),
    ),
)

#: Output blocked mid-stream by the trigger, after text that is fine.
BLOCKED_OUTPUT: Final = ChatScenario(
    "blocked-output",
    {"messages": _ASK},
    (
        ChoiceSpec(
            "Paris is the capital of France and sits on the Seine. "
            f"Then {TRIGGER} comes along, followed by more text that should never arrive."
        ),
    ),
)


@dataclass(frozen=True)
class ResponsesScenario:
    """A Responses API answer: output items as the final response holds them."""

    name: str
    request: dict[str, Any]
    output: tuple[dict[str, Any], ...]
    status: str = "completed"
    usage: dict[str, Any] = field(
        default_factory=lambda: {
            "input_tokens": 11,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 17,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 28,
        }
    )

    def response(self, *, status: str, output: list[dict[str, Any]], usage: bool) -> dict[str, Any]:
        return {
            "id": "resp_conformance",
            "object": "response",
            "created_at": 1_700_000_000,
            "status": status,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "max_output_tokens": None,
            "model": "gpt-4o-mini-2024-07-18",
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": self.request.get("tools", []),
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": self.usage if usage else None,
            "user": None,
            "metadata": {},
        }

    def body(self) -> dict[str, Any]:
        return self.response(status="completed", output=list(self.output), usage=True)

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []

        def emit(kind: str, **fields: Any) -> None:
            events.append({"type": kind, "sequence_number": len(events), **fields})

        start = self.response(status="in_progress", output=[], usage=False)
        emit("response.created", response=start)
        emit("response.in_progress", response=start)
        for index, item in enumerate(self.output):
            if item["type"] == "message":
                text = item["content"][0]["text"]
                emit("response.output_item.added", output_index=index,
                     item={**item, "status": "in_progress", "content": []})
                part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
                emit("response.content_part.added", item_id=item["id"], output_index=index,
                     content_index=0, part=part)
                for piece in pieces(text):
                    emit("response.output_text.delta", item_id=item["id"], output_index=index,
                         content_index=0, delta=piece, logprobs=[])
                emit("response.output_text.done", item_id=item["id"], output_index=index,
                     content_index=0, text=text, logprobs=[])
                emit("response.content_part.done", item_id=item["id"], output_index=index,
                     content_index=0, part={**part, "text": text})
            else:  # function_call
                emit("response.output_item.added", output_index=index,
                     item={**item, "status": "in_progress", "arguments": ""})
                for piece in pieces(item["arguments"], 5):
                    emit("response.function_call_arguments.delta", item_id=item["id"],
                         output_index=index, delta=piece)
                emit("response.function_call_arguments.done", item_id=item["id"],
                     output_index=index, arguments=item["arguments"])
            emit("response.output_item.done", output_index=index, item=item)
        emit("response.completed", response=self.body())
        return events

    def reply(self, *, stream: bool) -> Reply:
        return Reply(events=list(self.events())) if stream else Reply(body=self.body())

    def expected(self) -> dict[str, Any]:
        return {
            "status": "completed",
            "output": [_response_item(item) for item in self.output],
            "usage": [self.usage["input_tokens"], self.usage["output_tokens"]],
        }


def _response_item(item: dict[str, Any]) -> dict[str, Any]:
    if item["type"] == "message":
        return {"type": "message", "text": "".join(p["text"] for p in item["content"])}
    return {
        "type": "function_call",
        "call_id": item["call_id"],
        "name": item["name"],
        "arguments": item["arguments"],
    }


def _message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_conformance",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


RESPONSES_SCENARIOS: Final[tuple[ResponsesScenario, ...]] = (
    ResponsesScenario("responses-text", {"input": "Tell me about Paris."}, (_message(_PARIS),)),
    ResponsesScenario(
        "responses-function-call",
        {
            "input": "What's the weather in Paris?",
            "tools": [
                {
                    "type": "function",
                    "name": "get_weather",
                    "description": "Current weather for a city.",
                    "parameters": WEATHER_TOOL["function"]["parameters"],
                    "strict": False,
                }
            ],
        },
        (
            {
                "type": "function_call",
                "id": "fc_conformance",
                "call_id": "call_weather_1",
                "name": "get_weather",
                "arguments": '{"city": "Paris"}',
                "status": "completed",
            },
        ),
    ),
)
BLOCKED_RESPONSE: Final = ResponsesScenario(
    "responses-blocked",
    {"input": "Tell me about Paris."},
    (_message(f"Paris is the capital of France. Then {TRIGGER} arrives with more text after."),),
)


@dataclass(frozen=True)
class EmbeddingsScenario:
    name: str
    input: list[str]
    dimensions: int = 4

    def vector(self, index: int) -> list[float]:
        return [round(0.125 * (index + 1) * (d + 1), 6) for d in range(self.dimensions)]

    def body(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": self.vector(i)}
                for i in range(len(self.input))
            ],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 6, "total_tokens": 6},
        }

    def reply(self) -> Reply:
        return Reply(body=self.body())

    def expected(self) -> list[list[float]]:
        return [self.vector(i) for i in range(len(self.input))]


EMBEDDINGS: Final = EmbeddingsScenario("embeddings", ["Paris is in France.", "Rome is in Italy."])
