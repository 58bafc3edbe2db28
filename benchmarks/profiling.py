"""Sample the gateway with py-spy while it is under load; summarise hot spots."""

from __future__ import annotations

import re
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from load import LoadGenerator
from processes import ServerProcess

__all__ = ["profile_under_load", "summarise_folded"]

_LINE = re.compile(r":\d+\)$")
#: a sample belongs to the layer of its innermost frame that matches one of
#: these (stdlib frames count for the layer that called them)
LAYERS = (
    ("sluicegate guards + policies", re.compile(r"\((guards|policies|re2)/")),
    ("sluicegate proxy", re.compile(r"\(proxy/")),
    ("httpx client (Request/Response models)", re.compile(r"\(httpx/")),
    ("aiohttp transport (httpx_aiohttp, aiohttp)", re.compile(r"\((aiohttp|httpx_aiohttp)/")),
    ("uvicorn + h11/httptools", re.compile(r"\((uvicorn|h11|httptools)/")),
    ("starlette", re.compile(r"\(starlette/")),
    ("asyncio loop + socket I/O", re.compile(r"\((asyncio|uvloop)/")),
)


def summarise_folded(text: str, top: int = 20) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's ``raw``
    (collapsed stack) output; line numbers are dropped."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_LINE.sub(")", f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        layers[_layer(frames)] += count

    def shares(counter: Counter[str]) -> list[dict[str, Any]]:
        return [{"function": f, "share": round(n / total, 4)} for f, n in counter.most_common(top)]

    return {"samples": total, "layers": shares(layers) if total else [],
            "self": shares(own) if total else [],
            "inclusive": shares(inclusive) if total else []}


def _layer(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in LAYERS:
            if pattern.search(frame):
                return name
    return "other"


def profile_under_load(py_spy: str | None, server: ServerProcess, loadgen: LoadGenerator,
                       concurrency: int, seconds: float, output: Path) -> dict[str, Any]:
    """Record ``seconds`` of samples while the load generator keeps the server busy.
    The run is extra: its throughput is not reported."""
    if not py_spy:
        return {"status": "skipped", "reason": "py-spy not found (pass --py-spy PATH)"}
    output.parent.mkdir(parents=True, exist_ok=True)
    load = threading.Thread(target=loadgen.run, args=(server.port, concurrency, seconds + 2),
                            daemon=True)
    load.start()
    try:
        done = subprocess.run(
            [py_spy, "record", "--pid", str(server.process.pid), "--duration", str(round(seconds)),
             "--rate", "200", "--format", "raw", "--output", str(output)],
            capture_output=True, text=True, timeout=seconds + 60,
        )
    finally:
        load.join(seconds + 90)
    if done.returncode != 0 or not output.exists():
        return {"status": "failed", "reason": (done.stdout + done.stderr)[-500:]}
    summary = summarise_folded(output.read_text(encoding="utf-8", errors="replace"))
    return {"status": "ok", "file": output.name, **summary}
