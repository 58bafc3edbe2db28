"""Model guard speed: a base-size GLiClass guard (Opir-multitask-multilang's
shapes, random weights; see gliclass_base.py) loaded and run through the
guard classes a policy uses.

For each text length (tokens of text; the label block comes on top):
- latency p50/p95 of one request at a time,
- throughput at concurrency 16, each request one text, without and with
  micro-batching (MicroBatchingGuard, as `batch:` in a policy), same run,
- cache-hit latency (CachingGuard, as `cache:` in a policy).

    python benchmarks/guards.py                         # CPU: 128 and 512 tokens
    python benchmarks/guards.py --device cuda --tokens 1024 --dtype float16 --output X.json

The GPU run is what guards_gpu.sh does on a lent GPU machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECTION = "## Model guards (benchmarks/guards.py)"
GPU_SECTION = "## Model guards on a GPU (benchmarks/guards_gpu.sh)"
OPIR_CARD_P50_MS = 13.30  # Opir-multitask-multilang at 1024 tokens, its card
LABELS = ["safe", "unsafe"]  # the card's binary safe/unsafe use


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--tokens", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-requests", type=int, default=20)
    parser.add_argument("--throughput-requests", type=int, default=None,
                        help="per mode and length; default: 4 x concurrency")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "guards.json")
    parser.add_argument("--no-results-md", action="store_true")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only rewrite the CPU section of RESULTS.md from a results file")
    parser.add_argument("--render-gpu", type=Path, nargs="+", metavar="JSON",
                        help="only write the GPU section of RESULTS.md from guards_gpu.sh's files")
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def latency(guard: Any, texts: list[str], sync: Any) -> dict[str, float]:
    times = []
    for text in texts:
        start = time.perf_counter()
        await guard.scan([text])
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
            "n": len(times)}


async def throughput(guard: Any, texts: list[str], concurrency: int) -> dict[str, float]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for text in texts:
        queue.put_nowait(text)
    times: list[float] = []

    async def client() -> None:
        while not queue.empty():
            text = queue.get_nowait()
            start = time.perf_counter()
            await guard.scan([text])
            times.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    return {"req_s": len(texts) / wall, "p50_ms": statistics.median(times),
            "p95_ms": percentile(times, 0.95), "n": len(texts)}


async def cache_hits(guard: Any, text: str, n: int = 2000) -> dict[str, float]:
    from sluicegate.guards.caching import CachingGuard

    cached = CachingGuard(guard, max_entries=1000, ttl_s=600)
    await cached.scan([text])  # the one miss
    times = []
    for _ in range(n):
        start = time.perf_counter()
        await cached.scan([text])
        times.append((time.perf_counter() - start) * 1000)
    assert cached.misses == 1 and cached.hits == n
    return {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95), "n": n}


async def run(args: argparse.Namespace, model_dir: Path) -> dict[str, Any]:
    import torch

    from gliclass_base import text_of
    from sluicegate.guards.batching import MicroBatchingGuard
    from sluicegate.guards.gliclass import GLiClassGuard, GLiClassSettings

    def sync() -> None:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    longest = max(args.tokens)
    settings = GLiClassSettings(model=str(model_dir), labels=LABELS, classification="single-label",
                                max_length=longest + 16, device=args.device, dtype=args.dtype,
                                batch_size=args.concurrency)
    load_start = time.perf_counter()
    guard = GLiClassGuard("opir", settings)
    guard.load()  # constructing reads settings only; the weights load here
    load_s = time.perf_counter() - load_start
    requests = args.throughput_requests or 4 * args.concurrency
    rows = []
    for tokens in args.tokens:
        seed = tokens * 1000
        warm = [text_of(tokens, seed + i) for i in range(3)]
        for text in warm:
            await guard.scan([text])
        [window] = guard.windows(0, warm[0])
        sequence = len(window.input_ids)
        lat = await latency(guard, [text_of(tokens, seed + 10 + i)
                                    for i in range(args.latency_requests)], sync)
        texts = [text_of(tokens, seed + 100 + i) for i in range(requests)]
        plain = await throughput(guard, texts, args.concurrency)
        batcher = MicroBatchingGuard(guard, max_batch=args.concurrency, max_wait_ms=2)
        batched = await throughput(batcher, texts, args.concurrency)
        hit = await cache_hits(guard, texts[0])
        row = {"text_tokens": tokens, "sequence_tokens": sequence, "latency": lat,
               "unbatched": plain, "batched": batched, "batches": batcher.batches,
               "batching_speedup": batched["req_s"] / plain["req_s"], "cache_hit": hit}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return {"load_s": load_s, "rows": rows}


def describe(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    device = args.device
    name = (torch.cuda.get_device_name(0) if device.startswith("cuda")
            else _cpu_model() or platform.processor())
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "device": device, "device_name": name, "dtype": args.dtype,
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__,
            "concurrency": args.concurrency, "labels": LABELS}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def render(results: dict[str, Any]) -> str:
    env = results["environment"]
    lines = [
        SECTION, "",
        f"- date: {env['date']}; device: {env['device']} ({env['device_name']}), {env['dtype']}, "
        f"torch {env['torch']} with {env['torch_threads']} threads, {env['cpu_count']} cores",
        "- model: GLiClass uni-encoder with mDeBERTa-v3-base shapes (12 layers, hidden 768, "
        "250,105-token embedding), random weights, saved and loaded through `GLiClassGuard` "
        "(the `gliclass` guard type); labels `safe`, `unsafe`, single-label; "
        f"load {results['load_s']:.1f} s",
        f"- throughput: {env['concurrency']} concurrent clients, one text per request; "
        "batched = `MicroBatchingGuard` (policy `batch: {max_size: "
        f"{env['concurrency']}, max_wait_ms: 2}}`), same run, same texts",
        "",
        "| text tokens | sequence tokens | latency p50 ms | p95 ms | c=16 unbatched req/s "
        "| c=16 batched req/s | batching speedup | batched p50 ms | cache hit p50 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['text_tokens']} | {row['sequence_tokens']} | {row['latency']['p50_ms']:.1f} "
            f"| {row['latency']['p95_ms']:.1f} | {row['unbatched']['req_s']:.1f} "
            f"| {row['batched']['req_s']:.1f} | {row['batching_speedup']:.2f}x "
            f"| {row['batched']['p50_ms']:.1f} | {row['cache_hit']['p50_ms']:.4f} |"
        )
    lines += ["", "| target | goal | measured | status |", "|---|---|---:|---|"]
    for row in results["rows"]:
        speedup = row["batching_speedup"]
        lines.append(
            f"| c=16 throughput with batching, {row['text_tokens']} tokens | >= 2x without "
            f"| {speedup:.2f}x | {'met' if speedup >= 2 else 'not met'} |"
        )
    worst_hit = max(row["cache_hit"]["p50_ms"] for row in results["rows"])
    lines.append(
        f"| cache-hit latency p50 | <= 0.1 ms | {worst_hit:.4f} ms "
        f"| {'met' if worst_hit <= 0.1 else 'not met'} |"
    )
    if env["device"] == "cpu":
        lines += [
            "",
            "On this CPU, batching cannot reach 2x for this architecture: a forward pass is "
            "compute-bound already at batch 1, and the only work a batch shares is DeBERTa's "
            "relative-position projections (about 7 of the 20 GMAC of a 135-token pass), which "
            "keeps the gain well under 2x (1.5-1.7x at 128 tokens); at 512 tokens bigger batches "
            "even cost more per text (attention over relative positions outgrows the caches), so "
            "the guard caps a CPU forward pass at 1024 padded tokens (`batch_tokens`). On a GPU "
            "the same guard gains 2-13x from batching (next section).",
        ]
    return "\n".join(lines) + "\n"


def render_gpu(files: list[Path]) -> str:
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    env = runs[0]["environment"]
    lines = [
        GPU_SECTION, "",
        f"- date: {env['date']}; {env['device_name']}, torch {env['torch']}; the same model, "
        "guard and measurements as the CPU section above, run by `benchmarks/guards_gpu.sh` on "
        "a lent GPU machine (one run); 50 latency requests, 256 requests per throughput run",
        f"- the Opir card reports {OPIR_CARD_P50_MS} ms p50 at 1024 tokens for "
        "Opir-multitask-multilang (its precision and serving stack are not stated)",
        "",
        "| dtype | text tokens | latency p50 ms | p95 ms | c=16 unbatched req/s "
        "| c=16 batched req/s | batching speedup | batched p50 ms | cache hit p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for row in run["rows"]:
            lines.append(
                f"| {run['environment']['dtype']} | {row['text_tokens']} "
                f"| {row['latency']['p50_ms']:.1f} | {row['latency']['p95_ms']:.1f} "
                f"| {row['unbatched']['req_s']:.1f} | {row['batched']['req_s']:.1f} "
                f"| {row['batching_speedup']:.2f}x | {row['batched']['p50_ms']:.1f} "
                f"| {row['cache_hit']['p50_ms']:.4f} |"
            )
    lines += ["", "| target | goal | measured | status |", "|---|---|---:|---|"]
    for run in runs:
        dtype = run["environment"]["dtype"]
        for row in run["rows"]:
            speedup = row["batching_speedup"]
            lines.append(
                f"| c=16 batching, {dtype}, {row['text_tokens']} tokens | >= 2x "
                f"| {speedup:.2f}x | {'met' if speedup >= 2 else 'not met'} |"
            )
        at_1024 = [r for r in run["rows"] if r["text_tokens"] == 1024]
        if at_1024:
            p50 = at_1024[0]["latency"]["p50_ms"]
            lines.append(
                f"| p50 at 1024 tokens, {dtype}, vs the card's {OPIR_CARD_P50_MS} ms | "
                f"comparison | {p50:.1f} ms ({p50 / OPIR_CARD_P50_MS:.2f}x) | - |"
            )
    lines += [
        "",
        "At batch 1 the GPU latency hardly depends on length (14-25 ms from 128 to 1024 "
        "tokens): it is bound by launching DeBERTa's many small kernels from Python and the "
        "worker-thread hop, not by arithmetic, which is also why batching pays so well there. "
        "CUDA graphs or torch.compile could cut that floor; not tried yet.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(HERE))
    if args.render:
        from report import update_results_md

        section = render(json.loads(args.render.read_text(encoding="utf-8")))
        print(section)
        update_results_md(HERE / "RESULTS.md", section, heading=SECTION)
        return
    if args.render_gpu:
        from report import update_results_md

        section = render_gpu(args.render_gpu)
        print(section)
        update_results_md(HERE / "RESULTS.md", section, heading=GPU_SECTION)
        return
    from gliclass_base import build

    with tempfile.TemporaryDirectory(prefix="sluicegate-gliclass-") as tmp:
        model_dir = build(Path(tmp) / "opir-base")
        measured = asyncio.run(run(args, model_dir))
    results = {"environment": describe(args), **measured}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    section = render(results)
    print(section)
    if not args.no_results_md:
        from report import update_results_md

        update_results_md(HERE / "RESULTS.md", section, heading=SECTION)


if __name__ == "__main__":
    main()
