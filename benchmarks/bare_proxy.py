"""The floor for a Python pass-through: Starlette + ``httpx.AsyncClient``.

No guards, no policy, no parsing: read the body, forward it, return the answer.
It uses httpx's default transport (its own connection pool) with the same pool
limits as the gateway, so the comparison isolates what the gateway adds.

    python benchmarks/bare_proxy.py --upstream http://127.0.0.1:9000 --port 9001
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lifetime import exit_with_parent

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "host", "content-length"})


def create_app(upstream: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=128)
        async with httpx.AsyncClient(base_url=upstream, limits=limits) as client:
            yield {"client": client}

    async def forward(request: Request) -> Response:
        client: httpx.AsyncClient = request.state.client
        headers = {k: v for k, v in request.headers.items() if k not in HOP_BY_HOP}
        reply = await client.post(request.url.path, content=await request.body(), headers=headers)
        return Response(reply.content, reply.status_code,
                        media_type=reply.headers.get("content-type"))

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(routes=[Route("/v1/chat/completions", forward, methods=["POST"]),
                             Route("/healthz", health)], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args()
    exit_with_parent(args.max_seconds)
    uvicorn.run(create_app(args.upstream), host=args.host, port=args.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
