"""Real servers for tests: uvicorn on a random loopback port, in a thread,
and a mock upstream LLM that records every request it receives."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1:<random>; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    """What the mock upstream answers next: a JSON body, or SSE ``events``."""

    status: int = 200
    body: Any = None
    events: list[Any] | None = None  # dicts become data: JSON, "[DONE]" stays raw
    raw: bytes | None = None
    delay_s: float = 0.0
    event_delay_s: float = 0.0  # between SSE events
    headers: dict[str, str] = field(default_factory=dict)


def chat_reply(
    content: str | None, *, tool_calls: list[dict[str, Any]] | None = None, n: int = 1
) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return Reply(
        body={
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 1,
            "model": "mock-model",
            "choices": [
                {"index": i, "message": dict(message), "finish_reason": "stop", "logprobs": None}
                for i in range(n)
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        }
    )


def chat_stream(pieces: list[str], *, usage: bool = False) -> Reply:
    head = {
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "mock-model",
    }
    events: list[Any] = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}
    ]
    events += [
        {**head, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
        for p in pieces
    ]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage:
        events.append(
            {
                **head,
                "choices": [],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            }
        )
    events.append("[DONE]")
    return Reply(events=events)


class MockUpstream:
    """An OpenAI-like upstream. Queue replies with :meth:`push`; without one it
    echoes a fixed chat completion. ``requests`` holds what it received."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []
        self.streams_ended: list[str] = []  # "complete" or "cancelled", per SSE reply
        self.default = chat_reply("Hello from the mock upstream.")
        self.app = Starlette(
            routes=[
                Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "DELETE"]),
            ]
        )

    def push(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def reset(self) -> None:
        self.requests.clear()
        self.replies.clear()
        self.streams_ended.clear()

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = raw
        self.requests.append(
            Recorded(request.method, request.url.path, dict(request.headers), body)
        )
        reply = self.replies.pop(0) if self.replies else self.default
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.raw is not None:
            return Response(
                reply.raw,
                reply.status,
                reply.headers,
                media_type=reply.headers.get("content-type", "text/plain"),
            )
        if reply.events is not None:
            events = reply.events

            async def stream() -> Any:
                outcome = "cancelled"
                try:
                    for event in events:
                        if reply.event_delay_s:
                            await asyncio.sleep(reply.event_delay_s)
                        data = event.encode() if isinstance(event, str) else orjson.dumps(event)
                        yield b"data: " + data + b"\n\n"
                    outcome = "complete"
                finally:
                    self.streams_ended.append(outcome)

            return StreamingResponse(
                stream(), reply.status, reply.headers, media_type="text/event-stream"
            )
        return Response(
            orjson.dumps(reply.body), reply.status, reply.headers, media_type="application/json"
        )


def anthropic_message(
    *blocks: dict[str, Any], stop_reason: str = "end_turn", model: str = "claude-mock"
) -> dict[str, Any]:
    """An Anthropic Messages API answer holding ``blocks``."""
    return {
        "id": "msg_mock",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(blocks),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 11},
    }


def anthropic_reply(*blocks: dict[str, Any], stop_reason: str = "end_turn") -> Reply:
    return Reply(body=anthropic_message(*blocks, stop_reason=stop_reason))


def anthropic_events(message: dict[str, Any], *, piece: int = 4) -> list[dict[str, Any]]:
    """The event stream the Messages API sends for ``message``: text, thinking
    and tool input cut into ``piece``-character deltas, pings in between."""
    head = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    head["usage"] = {**message["usage"], "output_tokens": 1}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": head}, {"type": "ping"}]
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        if kind == "text":
            start = {**block, "text": ""}
            field, delta_type, text = "text", "text_delta", block["text"]
        elif kind == "thinking":
            start = {**block, "thinking": "", "signature": ""}
            field, delta_type, text = "thinking", "thinking_delta", block["thinking"]
        elif kind == "tool_use":
            start, field, delta_type = {**block, "input": {}}, "partial_json", "input_json_delta"
            text = orjson.dumps(block["input"]).decode()
        else:
            start, field, delta_type, text = block, "", "", ""
        events.append({"type": "content_block_start", "index": index, "content_block": start})
        for i in range(0, len(text), piece):
            delta = {"type": delta_type, field: text[i : i + piece]}
            events.append({"type": "content_block_delta", "index": index, "delta": delta})
        if kind == "thinking" and block.get("signature"):
            delta = {"type": "signature_delta", "signature": block["signature"]}
            events.append({"type": "content_block_delta", "index": index, "delta": delta})
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return events


def sse_reply(events: list[dict[str, Any]]) -> Reply:
    """SSE with ``event:`` lines, as Anthropic (and the Responses API) write it."""
    raw = b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events
    )
    return Reply(raw=raw, headers={"content-type": "text/event-stream"})
