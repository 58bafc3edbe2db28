"""The two workloads: sequential keep-alive latency (c=1) and throughput (c=N).

Throughput uses ``wrk`` when it is on PATH (C, one thread, far cheaper per
request than any Python server) and falls back to ``loadgen.py`` (asyncio +
aiohttp in its own process) otherwise.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "LoadGenerator", "PostRequest", "check_reply", "latency_summary", "percentile",
    "sequential_latency",
]

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"

_WRK_SCRIPT = """\
wrk.method = "POST"
local head, tail = [==[{head}]==], [==[{tail}]==]
{headers}
-- a different body per request (see PostRequest.variant), from a random start
math.randomseed(os.time() + os.clock() * 1e6)
local counter = math.random(0, 2^40)
local function tag(n)
  local s = ""
  for _ = 1, {tag_length} do
    s = string.char(97 + n % 26) .. s
    n = math.floor(n / 26)
  end
  return s
end
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, head .. tag(counter) .. tail)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {{"requests":%.0f,"duration_us":%.0f,"connect":%.0f,' ..
    '"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50_us":%.0f,"p90_us":%.0f,' ..
    '"p99_us":%.0f,"mean_us":%.1f}}\\n', summary.requests, summary.duration, e.connect, e.read,
    e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean))
end
"""


@dataclass(frozen=True)
class PostRequest:
    """A POST whose body differs per request: ``marker`` in ``body`` is replaced
    by a tag of as many lowercase letters, so that no cache or memo in a target
    sees the same text twice and every request pays for its guards in full."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    marker: bytes = b"QQQQQQQQQQ"

    def __post_init__(self) -> None:
        if self.body.count(self.marker) != 1:
            raise ValueError("the body must contain the marker exactly once")

    def variant(self, number: int) -> bytes:
        return self.body.replace(self.marker, variant_tag(number, len(self.marker)).encode())


def variant_tag(number: int, length: int) -> str:
    """``number`` in base 26, as ``length`` letters a-z (what the wrk script does)."""
    letters = []
    for _ in range(length):
        number, digit = divmod(number, 26)
        letters.append(chr(97 + digit))
    return "".join(reversed(letters))


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def check_reply(port: int, request: PostRequest) -> dict[str, Any]:
    """Send one request and describe the answer: status, decision header, content."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("POST", request.path, body=request.variant(0), headers=request.headers)
        reply = conn.getresponse()
        raw = reply.read()
        headers = {k.lower(): v for k, v in reply.getheaders()}
    finally:
        conn.close()
    result: dict[str, Any] = {"status": reply.status,
                              "decision": headers.get("x-sluicegate-decision")}
    try:
        result["content"] = json.loads(raw)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        result["body"] = raw[:300].decode("utf-8", "replace")
    return result


def sequential_latency(port: int, request: PostRequest, *, count: int, warmup: int,
                       time_limit_s: float) -> tuple[list[float], int]:
    """``warmup`` + ``count`` requests one after another on one keep-alive
    connection, stopping early at ``time_limit_s``: (latencies in ms, errors)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    samples: list[float] = []
    errors = 0
    deadline = time.monotonic() + time_limit_s
    first = random.randrange(2**40)
    try:
        for i in range(warmup + count):
            if time.monotonic() > deadline:
                break
            body = request.variant(first + i)
            started = time.perf_counter_ns()
            try:
                conn.request("POST", request.path, body=body, headers=request.headers)
                reply = conn.getresponse()
                reply.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()  # reconnects on the next request
                continue
            elapsed_ms = (time.perf_counter_ns() - started) / 1e6
            if reply.status != 200:
                errors += 1
            elif i >= warmup:
                samples.append(elapsed_ms)
    finally:
        conn.close()
    return samples, errors


def latency_summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": percentile(ordered, 50), "p90_ms": percentile(ordered, 90),
        "p99_ms": percentile(ordered, 99), "min_ms": ordered[0] if ordered else math.nan,
        "mean_ms": sum(ordered) / len(ordered) if ordered else math.nan,
    }


class LoadGenerator:
    """Fixed-duration closed-loop load at a given concurrency."""

    def __init__(
        self, request: PostRequest, workdir: Path, *, force_fallback: bool = False
    ) -> None:
        self.request = request
        self.wrk = None if force_fallback else shutil.which("wrk")
        self.body_file = workdir / "body.json"
        self.body_file.write_bytes(request.body)
        self.lua_file = workdir / "post.lua"
        headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in request.headers.items())
        body = request.body.decode()
        if "]==]" in body:
            raise ValueError("request body cannot be embedded in the wrk script")
        head, tail = body.split(request.marker.decode())
        self.lua_file.write_text(_WRK_SCRIPT.format(
            head=head, tail=tail, headers=headers, tag_length=len(request.marker)))

    @property
    def name(self) -> str:
        if self.wrk is None:
            return "loadgen.py (asyncio + aiohttp, separate process)"
        probe = subprocess.run([self.wrk, "-v"], capture_output=True, text=True, timeout=10)
        version = (probe.stdout + probe.stderr).split("Copyright")[0].strip()
        return f"{version} (1 thread)"

    def run(self, port: int, concurrency: int, duration_s: float) -> dict[str, Any]:
        url = f"http://{HOST}:{port}{self.request.path}"
        if self.wrk is not None:
            seconds = max(1, round(duration_s))
            argv = [self.wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s",
                    "-s", str(self.lua_file), url]
        else:
            argv = [sys.executable, str(HERE / "loadgen.py"), "--url", url,
                    "--body-file", str(self.body_file), "--marker", self.request.marker.decode(),
                    "--concurrency", str(concurrency), "--duration", str(duration_s),
                    *(f"--header={k}: {v}" for k, v in self.request.headers.items())]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 60)
        line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"load generator failed ({done.returncode}): "
                               f"{(done.stdout + done.stderr)[-800:]}")
        raw = json.loads(line.removeprefix("BENCH_JSON "))
        seconds = raw["duration_us"] / 1e6
        errors = sum(int(raw[k]) for k in ("connect", "read", "write", "status", "timeout"))
        return {
            "requests": int(raw["requests"]), "seconds": round(seconds, 3),
            "rps": raw["requests"] / seconds if seconds else 0.0,
            "errors": errors, "non_2xx": int(raw["status"]),
            "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "mean_ms": raw["mean_us"] / 1000,
        }
