"""A fast fake OpenAI upstream for the benchmarks.

Every POST to a path ending in ``/chat/completions`` gets the same small,
benign chat completion; ``GET /healthz`` answers ok. It runs on aiohttp's
low-level server (C HTTP parser, no routing) so that it costs far less CPU per
request than anything measured through it.

    python benchmarks/mock_upstream.py --port 9000
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from lifetime import exit_with_parent
from workload import COMPLETION

HEALTH = b'{"status":"ok"}'


async def handle(request: web.BaseRequest) -> web.StreamResponse:
    if request.method == "POST":
        await request.read()
        if request.path.endswith("/chat/completions"):
            return web.Response(body=COMPLETION, content_type="application/json")
    elif request.path == "/healthz":
        return web.Response(body=HEALTH, content_type="application/json")
    return web.Response(status=404, body=b'{"error":{"message":"not found"}}',
                        content_type="application/json")


async def serve(host: str, port: int, max_seconds: float) -> None:
    runner = web.ServerRunner(web.Server(handle, access_log=None))
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=1024).start()
    try:
        await asyncio.sleep(max_seconds)  # normally killed long before
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="exit by itself after this long (default 3600)")
    args = parser.parse_args()
    exit_with_parent(args.max_seconds)
    asyncio.run(serve(args.host, args.port, args.max_seconds))


if __name__ == "__main__":
    main()
