"""Fallback load generator when ``wrk`` is missing: asyncio + aiohttp.

Keeps ``--concurrency`` requests in flight on keep-alive connections for
``--duration`` seconds (or until ``--max-requests``), then prints one JSON line
in the same shape as the wrk script's summary. Run it in its own process so it
does not share an event loop with anything measured.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import time
from pathlib import Path

import aiohttp

from load import PostRequest


async def run(url: str, request: PostRequest, concurrency: int, duration: float,
              max_requests: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "status": 0, "timeout": 0}
    deadline = time.perf_counter() + duration
    numbers = itertools.count(random.randrange(2**40))  # a different body per request
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while time.perf_counter() < deadline and len(latencies) < max_requests:
                started = time.perf_counter()
                try:
                    body = request.variant(next(numbers))
                    async with session.post(url, data=body, headers=request.headers) as reply:
                        await reply.read()
                        if reply.status >= 400:
                            errors["status"] += 1
                except TimeoutError:
                    errors["timeout"] += 1
                except aiohttp.ClientConnectionError:
                    errors["connect"] += 1
                    await asyncio.sleep(0.01)
                except aiohttp.ClientError:
                    errors["read"] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "duration_us": elapsed * 1e6, **errors, "write": 0,
            "p50_us": cuts[49] * 1e6, "p90_us": cuts[89] * 1e6, "p99_us": cuts[98] * 1e6,
            "mean_us": statistics.fmean(latencies) * 1e6 if latencies else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--marker", required=True, help="replaced per request (load.py)")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    request = PostRequest("", args.body_file.read_bytes(), headers, args.marker.encode())
    summary = asyncio.run(run(args.url, request, args.concurrency, args.duration,
                              args.max_requests))
    print("BENCH_JSON " + json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
