"""AuditMiddleware in process, through httpx's ASGI transport: one record per
routed request, written once the response is out; request ids; errors the
routes did not expect answered in the route's own shape."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from sluicegate.proxy.audit import AuditLog, AuditMiddleware, audit_record
from sluicegate.proxy.http.routing import GatewayRoute
from sluicegate.proxy.payloads.messages import MessagesFamily


class Spawned:
    """Runs after-response work at once when awaited by the test."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []

    def __call__(self, work: Coroutine[Any, Any, None]) -> None:
        self.tasks.append(asyncio.ensure_future(work))

    async def drain(self) -> None:
        await asyncio.gather(*self.tasks)


def make_app(
    routes: list[Any], stream: io.BytesIO, spawn: Callable[[Coroutine[Any, Any, None]], None]
) -> Starlette:
    sink = AuditLog(stream=stream)
    return Starlette(
        routes=routes, middleware=[Middleware(AuditMiddleware, sink=sink, spawn=spawn)]
    )


def lines(stream: io.BytesIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


async def claimed(request: Request) -> Response:
    record = audit_record(request)
    record.route = "/claimed"
    record.policy = "p"
    return JSONResponse({"ok": True}, headers={"x-request-id": "upstream-id"})


async def unclaimed(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def broken(request: Request) -> Response:
    audit_record(request).route = request.url.path
    raise RuntimeError("boom")


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


async def test_routed_requests_get_one_line_and_ids() -> None:
    stream = io.BytesIO()
    app = make_app([Route("/claimed", claimed), Route("/free", unclaimed)], stream, Spawned())
    async with client(app) as http:
        reply = await http.get("/claimed", headers={"x-request-id": "mine"})
        free = await http.get("/free")
    [line] = lines(stream)  # the unclaimed route writes nothing
    assert line["route"] == "/claimed"
    assert line["policy"] == "p"
    assert line["status"] == 200
    assert line["client_request_id"] == "mine"
    assert line["total_ms"] >= 0
    assert reply.headers["x-sluicegate-request-id"] == line["request_id"]
    # The client's id wins the common header; the upstream's is kept beside it.
    assert reply.headers["x-request-id"] == "mine"
    assert reply.headers["x-upstream-request-id"] == "upstream-id"
    assert len(free.headers["x-sluicegate-request-id"]) == 32
    assert "x-upstream-request-id" not in free.headers


async def test_unexpected_error_is_500_in_the_routes_shape_and_audited() -> None:
    stream = io.BytesIO()
    routes = [
        GatewayRoute("/openai", broken, methods=["GET"]),
        GatewayRoute("/anthropic", broken, methods=["GET"], errors=MessagesFamily()),
    ]
    app = make_app(routes, stream, Spawned())
    async with client(app) as http:
        openai = await http.get("/openai")
        anthropic = await http.get("/anthropic")
    assert openai.status_code == 500
    assert openai.json()["error"]["code"] == "internal_error"
    assert anthropic.status_code == 500
    assert anthropic.json() == {
        "type": "error",
        "error": {"type": "api_error", "message": "internal gateway error"},
    }
    first, second = lines(stream)
    assert (first["route"], first["status"], first["error"]) == (
        "/openai",
        500,
        "RuntimeError: boom",
    )
    assert (second["route"], second["status"]) == ("/anthropic", 500)
    assert anthropic.headers["x-sluicegate-request-id"] == second["request_id"]


async def test_a_stream_is_audited_after_its_last_byte_and_pending_work_after_that() -> None:
    stream = io.BytesIO()
    spawn = Spawned()
    checked = asyncio.Event()

    async def streamed(request: Request) -> Response:
        record = audit_record(request)
        record.route = "/stream"

        async def body() -> AsyncIterator[bytes]:
            yield b"one "
            assert lines(stream) == []  # nothing written while the stream runs
            yield b"two"
            record.stream_status = "complete"

            async def settle() -> None:
                await checked.wait()
                record.output = {"decision": "allow"}

            record.finish_later(settle())

        return StreamingResponse(body(), media_type="text/plain")

    app = make_app([Route("/stream", streamed)], stream, spawn)
    async with client(app) as http:
        reply = await http.get("/stream")
    assert reply.text == "one two"
    assert lines(stream) == []  # waits for the after-response check
    checked.set()
    await spawn.drain()
    [line] = lines(stream)
    assert line["stream_status"] == "complete"
    assert line["output"] == {"decision": "allow"}
    assert line["status"] == 200
