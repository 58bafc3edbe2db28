"""Streaming benchmark: time to first released token and token throughput,
direct vs through the gateway in ``window`` and ``buffer`` mode, in one run
against one mock upstream that streams at a fixed token rate.

    python benchmarks/streaming.py            # ~1 min
    python benchmarks/streaming.py --quick    # smoke test

Writes ``results/streaming.json`` and the "Streaming" section of RESULTS.md
(not with --quick).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from processes import free_port
from report import update_results_md
from servers import ServerSet

HERE = Path(__file__).resolve().parent
HEADING = "## Streaming (benchmarks/streaming.py)"
PROMPT = {"model": "mock-model", "stream": True,
          "messages": [{"role": "user", "content": "Tell me about rivers."}]}


def policy_file(workdir: Path, mode: str) -> Path:
    """The default pack with ``streaming`` set to ``mode``."""
    from sluicegate.policies.packs import pack_path

    text = pack_path("default").read_text(encoding="utf-8")
    path = workdir / f"default-{mode}.yaml"
    path.write_text(text.replace("streaming: window", f"streaming: {mode}"), encoding="utf-8")
    return path


def measure(url: str, requests: int) -> dict[str, Any]:
    """Sequential streamed requests: first released token, last token, chars."""
    first, total, rates = [], [], []
    with httpx.Client(timeout=60) as client:
        for _ in range(requests):
            started = time.perf_counter()
            first_at = None
            chars = 0
            with client.stream("POST", f"{url}/v1/chat/completions", json=PROMPT) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    for choice in json.loads(line[6:]).get("choices", []):
                        content = (choice.get("delta") or {}).get("content") or ""
                        if content and first_at is None:
                            first_at = time.perf_counter()
                        chars += len(content)
            ended = time.perf_counter()
            assert first_at is not None, "no content was released"
            first.append((first_at - started) * 1000)
            total.append((ended - started) * 1000)
            rates.append(chars / max(ended - first_at, 1e-9))
    return {
        "ttft_ms_p50": statistics.median(first),
        "ttft_ms_max": max(first),
        "total_ms_p50": statistics.median(total),
        "chars_per_s_after_first_p50": statistics.median(rates),
        "requests": requests,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="upstream tokens per second")
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.tokens, args.requests = 60, 2
    results: dict[str, Any] = {"tokens": args.tokens, "rate": args.rate}
    with tempfile.TemporaryDirectory(prefix="sluicegate-stream-") as tmp:
        workdir = Path(tmp)
        servers = ServerSet(workdir)
        try:
            port = free_port()
            upstream = servers.start(
                "stream-upstream",
                [sys.executable, str(HERE / "stream_upstream.py"), "--port", str(port),
                 "--tokens", str(args.tokens), "--rate", str(args.rate)],
                port, "/healthz")
            targets = {"direct": upstream.base_url}
            for mode in ("window", "buffer"):
                gateway = servers.gateway(upstream, policy=str(policy_file(workdir, mode)),
                                          audit=None)
                servers.live[-1].name = f"sluicegate-{mode}"
                targets[f"sluicegate-{mode}"] = gateway.base_url
            for name, url in targets.items():
                measure(url, 1)  # warm-up
                results[name] = measure(url, args.requests)
        finally:
            servers.stop_all()
    direct = results["direct"]
    chars_per_token = 1 + sum(len(w) for w in ("the", "river", "runs", "past", "old", "mills",
                                                "and", "quiet", "fields", "toward")) / 10
    window_chars = 32 + 48  # default first_window_chars + holdback_chars
    results["window_budget_ms"] = window_chars / chars_per_token / args.rate * 1000
    lines = [
        HEADING, "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; mock upstream streams "
        f"{args.tokens} one-word tokens at {args.rate:.0f} tokens/s; {args.requests} sequential "
        "requests per target; the gateway runs the default pack (audit off) with "
        "`streaming: window` and `streaming: buffer`.",
        "",
        "| target | TTFT p50 ms | TTFT max ms | added TTFT ms | total p50 ms "
        "| chars/s after first token |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("direct", "sluicegate-window", "sluicegate-buffer"):
        r = results[name]
        lines.append(
            f"| {name} | {r['ttft_ms_p50']:.1f} | {r['ttft_ms_max']:.1f} | "
            f"{r['ttft_ms_p50'] - direct['ttft_ms_p50']:.1f} | {r['total_ms_p50']:.1f} | "
            f"{r['chars_per_s_after_first_p50']:.0f} |")
    added = results["sluicegate-window"]["ttft_ms_p50"] - direct["ttft_ms_p50"]
    budget = results["window_budget_ms"]
    rate_ratio = results["sluicegate-window"]["chars_per_s_after_first_p50"] / max(
        direct["chars_per_s_after_first_p50"], 1e-9)
    lines += [
        "",
        f"Target: window mode adds no more than the time to fill the first window (the "
        f"{window_chars} characters of first_window_chars + holdback_chars, {budget:.0f} ms at "
        f"this rate) plus one window's guard time: added {added:.1f} ms, "
        f"{'met' if added <= budget + 5 else 'not met'} (5 ms allowed for guard time). "
        f"After the first token, window mode streams at {rate_ratio:.2f}x the direct rate.",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.quick:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "streaming.json").write_text(json.dumps(results, indent=2) + "\n")
        update_results_md(HERE / "RESULTS.md", section, HEADING)
    return 0


if __name__ == "__main__":
    sys.exit(main())
