"""A fake OpenAI upstream that streams chat completions at a fixed token rate.

Each POST to ``.../chat/completions`` with ``stream: true`` gets ``--tokens``
content deltas, ``1 / --rate`` seconds apart, then a finish chunk and
``[DONE]``: one short word each, or with ``--chunk-chars N`` ordinary prose
cut every N characters (as providers that do not stream whole tokens send
it). ``GET /healthz`` answers ok.

    python benchmarks/stream_upstream.py --port 9001 --tokens 200 --rate 100
    python benchmarks/stream_upstream.py --port 9001 --tokens 200 --rate 50 --chunk-chars 4
"""

from __future__ import annotations

import argparse
import asyncio
import json

from aiohttp import web

from lifetime import exit_with_parent

HEAD = {"id": "chatcmpl-stream", "object": "chat.completion.chunk", "created": 1,
        "model": "mock-model"}
WORDS = ("the", "river", "runs", "past", "old", "mills", "and", "quiet", "fields", "toward")


def event(delta: dict[str, str], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + json.dumps({**HEAD, "choices": [choice]}).encode() + b"\n\n"


def pieces(tokens: int, chunk_chars: int) -> list[str]:
    if not chunk_chars:
        return [" " + WORDS[i % len(WORDS)] for i in range(tokens)]
    words = " ".join(WORDS[i % len(WORDS)] for i in range(tokens * chunk_chars))
    prose = f"The {words}."
    return [prose[i : i + chunk_chars] for i in range(0, tokens * chunk_chars, chunk_chars)]


def make_handler(tokens: int, rate: float, chunk_chars: int):  # type: ignore[no-untyped-def]
    deltas = pieces(tokens, chunk_chars)

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/healthz":
            return web.Response(body=b'{"status":"ok"}', content_type="application/json")
        await request.read()
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        await response.write(event({"role": "assistant", "content": ""}))
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, piece in enumerate(deltas):
            # Paced against the start, so write costs do not slow the rate.
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            await response.write(event({"content": piece}))
        await response.write(event({}, "stop"))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    return handle


async def serve(
    host: str, port: int, tokens: int, rate: float, chunk_chars: int, max_seconds: float
) -> None:
    handler = make_handler(tokens, rate, chunk_chars)
    runner = web.ServerRunner(web.Server(handler, access_log=None))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await asyncio.sleep(max_seconds)
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="tokens per second")
    parser.add_argument("--chunk-chars", type=int, default=0, help="prose in N-char pieces")
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args()
    exit_with_parent(args.max_seconds)
    asyncio.run(
        serve(args.host, args.port, args.tokens, args.rate, args.chunk_chars, args.max_seconds)
    )


if __name__ == "__main__":
    main()
