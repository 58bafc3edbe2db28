"""An in-process stand-in for an LLM, so ``sluicegate serve`` works with no
API key and no network. It echoes the last user message back, which makes
input and output guarding easy to see."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .http.errors import openai_error
from .payloads.responses import response_stream

__all__ = ["create_demo_app"]

MODEL = "sluicegate-demo"


def _reply_text(body: dict[str, Any]) -> str:
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        return f"Demo completion of: {prompt}"
    said = ""
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            said = content if isinstance(content, str) else said
    return f"This is sluicegate's demo model. You said: {said}"


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


async def _chat(request: Request) -> Response:
    body = orjson.loads(await request.body())
    text = _reply_text(body)
    model = body.get("model") or MODEL
    head = {"id": "chatcmpl-demo", "created": int(time.time()), "model": model}
    if body.get("stream"):

        async def events() -> AsyncIterator[bytes]:
            chunk = {**head, "object": "chat.completion.chunk"}
            first = {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "finish_reason": None,
            }
            yield b"data: " + orjson.dumps({**chunk, "choices": [first]}) + b"\n\n"
            for word in text.split(" "):
                delta = {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
                yield b"data: " + orjson.dumps({**chunk, "choices": [delta]}) + b"\n\n"
            end = {"index": 0, "delta": {}, "finish_reason": "stop"}
            yield b"data: " + orjson.dumps({**chunk, "choices": [end]}) + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")
    return _json(
        {
            **head,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": 1,
                "completion_tokens": len(text.split()),
                "total_tokens": 1 + len(text.split()),
            },
        }
    )


async def _completions(request: Request) -> Response:
    body = orjson.loads(await request.body())
    text = _reply_text(body)
    return _json(
        {
            "id": "cmpl-demo",
            "object": "text_completion",
            "created": int(time.time()),
            "model": body.get("model") or MODEL,
            "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def _vector(text: str, size: int = 8) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    raw = [b / 255 - 0.5 for b in digest[:size]]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


async def _embeddings(request: Request) -> Response:
    body = orjson.loads(await request.body())
    items = body["input"] if isinstance(body["input"], list) else [body["input"]]
    return _json(
        {
            "object": "list",
            "model": body.get("model") or MODEL,
            "data": [
                {"object": "embedding", "index": i, "embedding": _vector(str(t))}
                for i, t in enumerate(items)
            ],
            "usage": {"prompt_tokens": len(items), "total_tokens": len(items)},
        }
    )


async def _responses(request: Request) -> Response:
    body = orjson.loads(await request.body())
    value = body.get("input")
    said = value if isinstance(value, str) else _reply_text({"messages": value or []})
    if not isinstance(value, str):
        said = said.removeprefix("This is sluicegate's demo model. You said: ")
    text = f"This is sluicegate's demo model. You said: {said}"
    response = {
        "id": "resp_demo",
        "object": "response",
        "created_at": int(time.time()),
        "model": body.get("model") or MODEL,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "metadata": {},
        "output": [
            {
                "type": "message",
                "id": "msg_demo",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
    }
    if body.get("stream"):
        return Response(response_stream(response), media_type="text/event-stream")
    return _json(response)


_MODEL = {"id": MODEL, "object": "model", "created": 0, "owned_by": "sluicegate"}


async def _models(request: Request) -> Response:
    return _json({"object": "list", "data": [_MODEL]})


async def _model(request: Request) -> Response:
    """``models.retrieve``: the demo model, or OpenAI's 404 for any other id."""
    if request.path_params["model"] == MODEL:
        return _json(_MODEL)
    error = openai_error(
        f"The model '{request.path_params['model']}' does not exist",
        error_type="invalid_request_error",
        code="model_not_found",
    )
    return Response(orjson.dumps(error), 404, media_type="application/json")


def create_demo_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/chat/completions", _chat, methods=["POST"]),
            Route("/v1/completions", _completions, methods=["POST"]),
            Route("/v1/embeddings", _embeddings, methods=["POST"]),
            Route("/v1/responses", _responses, methods=["POST"]),
            Route("/v1/models", _models, methods=["GET"]),
            Route("/v1/models/{model:path}", _model, methods=["GET"]),
        ]
    )
