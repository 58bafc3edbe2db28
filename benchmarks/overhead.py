"""Gateway overhead: one mock upstream, reached five ways, in one run.

1. direct      the mock upstream itself (mock_upstream.py, aiohttp)
2. bare-httpx  Starlette + httpx.AsyncClient pass-through (bare_proxy.py)
3. sluicegate  ``sluicegate serve`` with the default pack, audit off
4. sluicegate-deterministic  the same with ``pack:deterministic`` (no
               classifier): the gateway's own cost, apart from the classifier's
5. litellm     LiteLLM's proxy with the mock as an openai-compatible model

Workload: POST /v1/chat/completions with a ~1 kB benign prompt, non-streaming.
c=1: sequential requests on one keep-alive connection (p50/p90/p99). c=32:
req/s from wrk (or loadgen.py). All servers stay up; the targets are measured
one at a time, in rounds, so that a burst of background load hits every target
alike. Everything shares this machine's cores.

    python benchmarks/overhead.py [--quick] [--skip-litellm] [--litellm-bin PATH]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

from environment import cpu_busy_over, describe
from load import LoadGenerator, check_reply, latency_summary, sequential_latency
from processes import ServerFailed, ServerProcess, machine_cpu_jiffies
from profiling import profile_under_load
from report import render_section, update_results_md
from servers import ServerSet
from workload import REQUEST, expected_content

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LABELS = {"direct": "mock upstream", "bare-httpx": "Starlette + httpx",
          "litellm": "LiteLLM proxy"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 round, 50 requests, 3 s; writes overhead-quick.json")
    parser.add_argument("--skip-litellm", action="store_true")
    parser.add_argument("--litellm-bin", help="litellm executable (default: litellm on PATH)")
    parser.add_argument("--policy", default="pack:default",
                        help="gateway policy file or pack:NAME (default pack:default)")
    parser.add_argument("--compare-policy", default="pack:deterministic",
                        help="a second gateway target's policy, measured in the same run "
                             "(default pack:deterministic; '' skips it)")
    parser.add_argument("--audit", help="gateway audit path, e.g. /dev/null (default: off)")
    parser.add_argument("--rounds", type=int, help="measurement rounds (3; quick 1)")
    parser.add_argument("--requests", type=int, help="c=1 requests per round (500; quick 50)")
    parser.add_argument("--warmup", type=int, help="c=1 warm-up requests (50; quick 10)")
    parser.add_argument("--duration", type=float, help="c=32 seconds per round (10; quick 3)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--extra-pythonpath",
                        help="prepended to PYTHONPATH of the gateway and bare-httpx (e.g. a dir "
                             "where pip install --target put httptools and uvloop)")
    parser.add_argument("--no-wrk", action="store_true", help="use loadgen.py even if wrk exists")
    parser.add_argument("--profile", type=float, default=0.0, metavar="SECONDS",
                        help="afterwards, record the gateway under load with py-spy")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="py-spy executable")
    parser.add_argument("--profile-output", type=Path,
                        help="keep py-spy's collapsed stacks here (default: discarded)")
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    parser.add_argument("--results-md", type=Path, default=HERE / "RESULTS.md")
    return parser.parse_args()


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


class OverheadRun:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        quick = args.quick
        self.args = args
        self.workdir = workdir
        self.rounds = args.rounds or (1 if quick else 3)
        self.count = args.requests or (50 if quick else 500)
        self.warmup = args.warmup if args.warmup is not None else (10 if quick else 50)
        self.duration = args.duration or (3.0 if quick else 10.0)
        self.warmup_duration = 1.0 if quick else 2.0
        self.c1_limit = 30.0 if quick else 120.0
        self.loadgen = LoadGenerator(REQUEST, workdir, force_fallback=args.no_wrk)
        self.servers = ServerSet(workdir, extra_pythonpath=args.extra_pythonpath)
        self.labels = {**LABELS, "sluicegate": f"gateway, {args.policy}",
                       "sluicegate-deterministic": f"gateway, {args.compare_policy}"}
        self.warnings: list[str] = []
        self.background_busy: list[float] = []

    def python_env(self) -> dict[str, str]:
        return self.servers.python_env()

    def once(self, key: str, server: ServerProcess, mock: ServerProcess) -> dict[str, Any]:
        """One round for one target: c=1 samples, then c=N throughput with CPU use."""
        print(f"  {key}: c=1 x{self.count}, c={self.args.concurrency} "
              f"{self.duration:g} s", flush=True)
        sequential_latency(server.port, REQUEST, count=0, warmup=self.warmup,
                           time_limit_s=self.c1_limit)
        c1_cpu = server.cpu_seconds()
        samples, c1_errors = sequential_latency(
            server.port, REQUEST, count=self.count, warmup=0, time_limit_s=self.c1_limit)
        c1_cpu = server.cpu_seconds() - c1_cpu
        self.loadgen.run(server.port, self.args.concurrency, self.warmup_duration)
        cpu = (server.cpu_seconds(), mock.cpu_seconds(), machine_cpu_jiffies())
        c32 = self.loadgen.run(server.port, self.args.concurrency, self.duration)
        busy, total = machine_cpu_jiffies()
        c32["server_cpu_s"] = server.cpu_seconds() - cpu[0]
        c32["mock_cpu_s"] = mock.cpu_seconds() - cpu[1]
        c32["machine_busy"] = round((busy - cpu[2][0]) / max(total - cpu[2][1], 1), 3)
        return {"samples": samples, "c1_errors": c1_errors, "c32": c32, "c1_cpu_s": c1_cpu,
                "c1_sent": len(samples) + c1_errors}

    def aggregate(self, key: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
        samples = [ms for r in rounds for ms in r["samples"]]
        c1 = {"requests": len(samples), "errors": sum(r["c1_errors"] for r in rounds),
              **latency_summary(samples),
              "round_p50_ms": [latency_summary(r["samples"])["p50_ms"] for r in rounds],
              "server_cpu_ms_per_req": sum(r["c1_cpu_s"] for r in rounds) * 1000
              / max(sum(r["c1_sent"] for r in rounds), 1)}
        if len(samples) < self.count * len(rounds):
            self.warnings.append(f"{key}: c=1 measured {len(samples)} of "
                                 f"{self.count * len(rounds)} requests (errors, or the "
                                 f"{self.c1_limit:g} s limit per round)")
        runs = [r["c32"] for r in rounds]
        served = max(sum(r["requests"] for r in runs), 1)
        c32 = {
            "rps": statistics.median(r["rps"] for r in runs),
            "round_rps": [round(r["rps"], 1) for r in runs],
            "requests": sum(r["requests"] for r in runs),
            "errors": sum(r["errors"] for r in runs), "non_2xx": sum(r["non_2xx"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "server_cpu_ms_per_req": sum(r["server_cpu_s"] for r in runs) * 1000 / served,
            "mock_cpu_ms_per_req": sum(r["mock_cpu_s"] for r in runs) * 1000 / served,
            "machine_busy": statistics.median(r["machine_busy"] for r in runs),
        }
        if c32["errors"]:
            self.warnings.append(f"{key}: {c32['errors']} errors under load "
                                 f"({c32['non_2xx']} non-2xx)")
        return {"label": self.labels[key], "status": "ok", "c1": c1, "c32": c32}

    def run(self) -> dict[str, dict[str, Any]]:
        self.background_busy.append(cpu_busy_over(1.0))
        targets: dict[str, dict[str, Any]] = {}
        live: dict[str, ServerProcess] = {}
        print("starting mock upstream ...", flush=True)
        mock = live["direct"] = self.servers.mock()
        starters = {"bare-httpx": self.servers.bare, "sluicegate": self.gateway,
                    "sluicegate-deterministic": self.compared_gateway, "litellm": self.litellm}
        for key, start in starters.items():
            try:
                server = start(mock)
            except ServerFailed as exc:
                targets[key] = {"label": self.labels[key], "status": "failed", "reason": str(exc)}
                continue
            if isinstance(server, str):
                targets[key] = {"label": self.labels[key], "status": "skipped", "reason": server}
            else:
                live[key] = server
        replies = {key: check_reply(server.port, REQUEST) for key, server in live.items()}
        for key, reply in replies.items():
            if reply["status"] != 200 or reply.get("content") != expected_content():
                self.warnings.append(f"{key}: first reply differs from the mock's: {reply}")
            if reply["decision"] not in (None, "allow"):
                self.warnings.append(f"{key}: the policy did not just allow it: {reply}")
        keys = list(live)
        per_key: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
        for number in range(self.rounds):
            print(f"round {number + 1} of {self.rounds}", flush=True)
            for key in keys[number % len(keys):] + keys[:number % len(keys)]:
                per_key[key].append(self.once(key, live[key], mock))
            time.sleep(1.0)  # let the last target drain what wrk left in flight
            self.background_busy.append(cpu_busy_over(1.0))
        for key in keys:
            targets[key] = {**self.aggregate(key, per_key[key]), "reply": replies[key]}
        direct_p50 = targets["direct"]["c1"]["p50_ms"]
        for target in targets.values():
            if target["status"] == "ok":
                target["added_p50_ms"] = target["c1"]["p50_ms"] - direct_p50
        if "litellm" in live:
            targets["litellm"]["version"] = self.servers.litellm_version
        if self.args.profile > 0 and "sluicegate" in live:
            targets["sluicegate"]["profile"] = profile_under_load(
                self.args.py_spy, live["sluicegate"], self.loadgen, self.args.concurrency,
                self.args.profile, self.args.profile_output or self.workdir / "profile.folded")
        order = ("direct", "bare-httpx", "sluicegate", "sluicegate-deterministic", "litellm")
        return {key: targets[key] for key in order if key in targets}

    def gateway(self, mock: ServerProcess) -> ServerProcess:
        return self.servers.gateway(mock, policy=self.args.policy, audit=self.args.audit)

    def compared_gateway(self, mock: ServerProcess) -> ServerProcess | str:
        if not self.args.compare_policy:
            return "--compare-policy ''"
        return self.servers.gateway(mock, policy=self.args.compare_policy, audit=self.args.audit,
                                    name="sluicegate-deterministic")

    def litellm(self, mock: ServerProcess) -> ServerProcess | str:
        """The LiteLLM server, or why it was not started."""
        if self.args.skip_litellm:
            return "--skip-litellm"
        executable = self.args.litellm_bin or shutil.which("litellm")
        if not executable:
            return "litellm not on PATH; install it in its own venv and pass --litellm-bin"
        if not os.access(executable, os.X_OK):
            return f"{executable} is not executable"
        print("starting litellm (slow start) ...", flush=True)
        return self.servers.litellm(mock, executable)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="sluicegate-bench-") as tmp:
        bench = OverheadRun(args, Path(tmp))
        try:
            targets = bench.run()
        finally:
            bench.servers.stop_all()
        env = describe(REPO, bench, litellm_bin=args.litellm_bin or shutil.which("litellm"))
    env["cpu_busy_between_rounds"] = bench.background_busy
    env["loadavg_after_run"] = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "environment": env,
        "settings": {
            "rounds": bench.rounds, "requests": bench.count, "warmup": bench.warmup,
            "duration_s": bench.duration, "warmup_duration_s": bench.warmup_duration,
            "concurrency": args.concurrency, "policy": bench.servers.policy_arg(args.policy),
            "compare_policy": args.compare_policy and bench.servers.policy_arg(args.compare_policy),
            "audit": args.audit,
            "prompt_bytes": len(json.loads(REQUEST.body)["messages"][-1]["content"].encode()),
            "body_bytes": len(REQUEST.body),
        },
        "gateway_commands": bench.servers.gateway_commands,
        "targets": targets,
        "warnings": bench.warnings,
    }
    if targets.get("litellm", {}).get("status") == "ok":
        env["stacks"]["litellm"] += f"; litellm {targets['litellm']['version']}"
    args.results_dir.mkdir(parents=True, exist_ok=True)
    name = "overhead-quick.json" if args.quick else "overhead.json"
    (args.results_dir / name).write_text(json.dumps(results, indent=2) + "\n")
    section = render_section(results)
    print("\n" + section)
    if args.quick:
        print(f"quick run: wrote {args.results_dir / name}; {args.results_md} left as it was")
    else:
        update_results_md(args.results_md, section)
        print(f"wrote {args.results_dir / name} and updated {args.results_md}")
    return 0 if targets["sluicegate"]["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
