"""What the sluicegate guardrail adds to LiteLLM's proxy: one mock upstream,
two LiteLLM proxies, in one run.

1. litellm            ``litellm --config``, the mock as an ``openai/`` model
2. litellm+noop       the same plus a guardrail whose hooks do nothing: what
                      LiteLLM's own guardrail machinery costs
3. litellm+sluicegate the same plus the sluicegate guardrail
                      (``mode: [pre_call, post_call]``, ``default_on``, the default pack)

Workload: the overhead benchmark's (workload.py): POST /v1/chat/completions
with a ~1 kB benign prompt, non-streaming; every guard scans it, none acts.
c=1: sequential requests on one keep-alive connection (p50/p90/p99); the added
p50 is a guarded proxy's minus the plain proxy's. c=N: req/s from wrk (or
loadgen.py). Both proxies stay up and are measured one at a time, in rounds,
alternating which goes first. Every load loop is bounded in count and time,
and everything runs on 127.0.0.1.

    python benchmarks/litellm_guardrail.py [--quick] [--litellm-bin PATH]

``--litellm-bin`` (default: ``litellm`` beside this Python, then on PATH) must
run on a Python where ``sluicegate`` imports too (``pip install -e
".[litellm]"``), or pass ``--guardrail-pythonpath`` to put it there.
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
from processes import ServerFailed, ServerProcess, free_port
from report import update_results_md
from servers import ServerSet, _version
from workload import BENCH_KEY, REQUEST, expected_content

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECTION = "## LiteLLM guardrail (benchmarks/litellm_guardrail.py)"
PLAIN, NOOP, GUARDED = "litellm", "litellm+noop", "litellm+sluicegate"
TARGET_ADDED_P50_MS = 2.0
GUARDRAIL = "sluicegate.proxy.integrations.litellm.SluicegateGuardrail"
# Written beside the config, where LiteLLM looks for a guardrail's module first.
NOOP_GUARDRAIL = """\
from litellm.integrations.custom_guardrail import CustomGuardrail


class NoopGuardrail(CustomGuardrail):
    use_native_lifecycle_hooks = True

    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        return data

    async def async_post_call_success_hook(self, data, user_api_key_dict, response):
        return response
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 round, 50 requests, 3 s; prints, writes nothing")
    parser.add_argument("--litellm-bin", help="litellm executable (see above)")
    parser.add_argument("--guardrail-pythonpath",
                        help="prepended to PYTHONPATH of the guarded proxy only")
    parser.add_argument("--policy", default="pack:default",
                        help="the guardrail's policy: a file or pack:NAME (default pack:default)")
    parser.add_argument("--rounds", type=int, help="measurement rounds (3; quick 1)")
    parser.add_argument("--requests", type=int, help="c=1 requests per round (300; quick 50)")
    parser.add_argument("--warmup", type=int, help="c=1 warm-up requests (30; quick 10)")
    parser.add_argument("--duration", type=float, help="c=N seconds per round (8; quick 3)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--no-wrk", action="store_true", help="use loadgen.py even if wrk exists")
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    parser.add_argument("--results-md", type=Path, default=HERE / "RESULTS.md")
    return parser.parse_args()


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def find_litellm(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    beside = Path(sys.executable).with_name("litellm")
    return str(beside) if beside.exists() else shutil.which("litellm")


class GuardrailRun:
    def __init__(self, args: argparse.Namespace, workdir: Path, litellm_bin: str) -> None:
        quick = args.quick
        self.args = args
        self.workdir = workdir
        self.litellm_bin = litellm_bin
        self.rounds = args.rounds or (1 if quick else 3)
        self.count = args.requests or (50 if quick else 300)
        self.warmup = args.warmup if args.warmup is not None else (10 if quick else 30)
        self.duration = args.duration or (3.0 if quick else 8.0)
        self.warmup_duration = 1.0 if quick else 2.0
        self.c1_limit = 60.0 if quick else 180.0
        self.loadgen = LoadGenerator(REQUEST, workdir, force_fallback=args.no_wrk)
        self.servers = ServerSet(workdir)
        self.warnings: list[str] = []
        self.background_busy: list[float] = []

    def python_env(self) -> dict[str, str]:
        return self.servers.python_env()

    def litellm(self, name: str, mock: ServerProcess, *, guardrail: str | None) -> ServerProcess:
        config: dict[str, Any] = {
            "model_list": [{"model_name": "mock-model", "litellm_params": {
                "model": "openai/mock-model", "api_base": f"{mock.base_url}/v1",
                "api_key": "sk-mock"}}],
            "litellm_settings": {"telemetry": False, "drop_params": True},
        }
        env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR",
                   LITELLM_MASTER_KEY=BENCH_KEY)
        env.pop("PYTHONPATH", None)
        if guardrail is not None:
            params: dict[str, Any] = {"guardrail": guardrail, "mode": ["pre_call", "post_call"],
                                      "default_on": True}
            if guardrail == GUARDRAIL:
                policy = self.args.policy
                params["policy"] = policy if policy.startswith("pack:") else str(
                    Path(policy).resolve())
                if self.args.guardrail_pythonpath:
                    env["PYTHONPATH"] = self.args.guardrail_pythonpath
            else:
                (self.workdir / "noop_guardrail.py").write_text(NOOP_GUARDRAIL)
            config["guardrails"] = [{"guardrail_name": name, "litellm_params": params}]
        path = self.workdir / f"{name}.yaml"
        path.write_text(json.dumps(config))  # JSON is YAML
        port = free_port()
        argv = [self.litellm_bin, "--config", str(path), "--host", "127.0.0.1",
                "--port", str(port)]
        return self.servers.start(name, argv, port, "/health/liveliness", env=env, ready_s=240.0)

    def once(self, key: str, server: ServerProcess) -> dict[str, Any]:
        print(f"  {key}: c=1 x{self.count}, c={self.args.concurrency} "
              f"{self.duration:g} s", flush=True)
        sequential_latency(server.port, REQUEST, count=0, warmup=self.warmup,
                           time_limit_s=self.c1_limit)
        cpu = server.cpu_seconds()
        samples, errors = sequential_latency(server.port, REQUEST, count=self.count, warmup=0,
                                             time_limit_s=self.c1_limit)
        c1_cpu = server.cpu_seconds() - cpu
        self.loadgen.run(server.port, self.args.concurrency, self.warmup_duration)
        cpu = server.cpu_seconds()
        cn = self.loadgen.run(server.port, self.args.concurrency, self.duration)
        cn["server_cpu_s"] = server.cpu_seconds() - cpu
        return {"samples": samples, "errors": errors, "c1_cpu_s": c1_cpu, "cn": cn,
                "sent": len(samples) + errors}

    def aggregate(self, key: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
        samples = [ms for r in rounds for ms in r["samples"]]
        if len(samples) < self.count * len(rounds):
            self.warnings.append(f"{key}: c=1 measured {len(samples)} of "
                                 f"{self.count * len(rounds)} requests")
        runs = [r["cn"] for r in rounds]
        served = max(sum(r["requests"] for r in runs), 1)
        errors = sum(r["errors"] for r in runs)
        if errors:
            self.warnings.append(f"{key}: {errors} errors under load")
        return {
            "c1": {"requests": len(samples), "errors": sum(r["errors"] for r in rounds),
                   **latency_summary(samples),
                   "round_p50_ms": [latency_summary(r["samples"])["p50_ms"] for r in rounds],
                   "server_cpu_ms_per_req": sum(r["c1_cpu_s"] for r in rounds) * 1000
                   / max(sum(r["sent"] for r in rounds), 1)},
            "cn": {"rps": statistics.median(r["rps"] for r in runs),
                   "round_rps": [round(r["rps"], 1) for r in runs],
                   "p50_ms": statistics.median(r["p50_ms"] for r in runs),
                   "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                   "errors": errors,
                   "server_cpu_ms_per_req": sum(r["server_cpu_s"] for r in runs) * 1000
                   / served},
        }

    def run(self) -> dict[str, Any]:
        self.background_busy.append(cpu_busy_over(1.0))
        print("starting mock upstream ...", flush=True)
        mock = self.servers.mock()
        live: dict[str, ServerProcess] = {}
        failed: dict[str, str] = {}
        starts = ((PLAIN, None), (NOOP, "noop_guardrail.NoopGuardrail"), (GUARDED, GUARDRAIL))
        for key, guardrail in starts:
            print(f"starting {key} (slow start) ...", flush=True)
            try:
                live[key] = self.litellm(key.replace("+", "-"), mock, guardrail=guardrail)
            except ServerFailed as exc:
                failed[key] = str(exc)
        replies = {}
        for key, server in live.items():
            reply = replies[key] = check_reply(server.port, REQUEST)
            if reply["status"] != 200 or reply.get("content") != expected_content():
                self.warnings.append(f"{key}: first reply differs from the mock's: {reply}")
        if GUARDED in live and replies[GUARDED].get("decision") != "allow":
            self.warnings.append(f"the guardrail did not just allow the request: "
                                 f"{replies[GUARDED]}")
        per_key: dict[str, list[dict[str, Any]]] = {key: [] for key in live}
        keys = list(live)
        for number in range(self.rounds):
            print(f"round {number + 1} of {self.rounds}", flush=True)
            for key in keys[number % len(keys):] + keys[:number % len(keys)]:
                per_key[key].append(self.once(key, live[key]))
            time.sleep(1.0)
            self.background_busy.append(cpu_busy_over(1.0))
        targets: dict[str, Any] = {}
        for key in (PLAIN, NOOP, GUARDED):
            if key in failed:
                targets[key] = {"status": "failed", "reason": failed[key]}
            elif key in live:
                targets[key] = {"status": "ok", **self.aggregate(key, per_key[key]),
                                "reply": replies[key]}
        plain = targets.get(PLAIN, {})
        for key in (NOOP, GUARDED):
            target = targets.get(key, {})
            if plain.get("status") != "ok" or target.get("status") != "ok":
                continue
            target["added_p50_ms"] = target["c1"]["p50_ms"] - plain["c1"]["p50_ms"]
            target["round_added_p50_ms"] = [
                g - p for g, p in zip(target["c1"]["round_p50_ms"], plain["c1"]["round_p50_ms"],
                                      strict=True)]
            target["added_cpu_ms_per_req"] = (target["cn"]["server_cpu_ms_per_req"]
                                              - plain["cn"]["server_cpu_ms_per_req"])
            target["rps_ratio"] = (target["cn"]["rps"] / plain["cn"]["rps"]
                                   if plain["cn"]["rps"] else None)
        return targets


def _ms(value: Any) -> str:
    return "-" if not isinstance(value, (int, float)) else f"{value:.3f}" if abs(value) < 10 \
        else f"{value:.1f}"


def render_section(results: dict[str, Any]) -> str:
    env, run, targets = results["environment"], results["settings"], results["targets"]
    conc = run["concurrency"]
    lines = [
        SECTION, "",
        f"- date: {results['date']}" + (" (quick smoke run)" if results["quick"] else ""),
        f"- machine: {env['nproc']} cores ({env['cpu_model']}), {env['memory']}; "
        f"Python {env['python']}; git {env['git']}",
        f"- litellm: `{results['litellm_bin']}`, {results['litellm_version']}; stack: "
        f"{env['stacks'].get('litellm', 'unknown')}",
        f"- guardrail: `{GUARDRAIL}`, mode [pre_call, post_call], default_on, "
        f"policy {run['policy']}",
        f"- workload: POST /v1/chat/completions, {run['prompt_bytes']} B benign prompt "
        "(ten letters differ per request), "
        f"non-streaming; {run['rounds']} round(s), proxies alternating; per round: c=1 "
        f"{run['requests']} sequential requests after {run['warmup']} warm-up on one "
        f"keep-alive connection, then c={conc} for {run['duration_s']:g} s; load from "
        f"{env['load_generator']}; everything shares the {env['nproc']} cores "
        f"(CPU busy before/between rounds: "
        + ", ".join(f"{x:.0%}" for x in results["cpu_busy_between_rounds"]) + ")",
        "",
        f"| target | c=1 p50 ms | c=1 p90 ms | c=1 p99 ms | p50 per round | c=1 server CPU "
        f"ms/req | c={conc} req/s | req/s per round | c={conc} p50 ms | c={conc} server CPU "
        "ms/req | errors |",
        "|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|",
    ]
    for key, target in targets.items():
        if target["status"] != "ok":
            reason = target.get("reason", "").splitlines()[0][:120]
            lines.append(f"| {key} | {target['status']}: {reason} | | | | | | | | | |")
            continue
        c1, cn = target["c1"], target["cn"]
        lines.append(
            f"| {key} | {_ms(c1['p50_ms'])} | {_ms(c1['p90_ms'])} | {_ms(c1['p99_ms'])} "
            f"| {' / '.join(_ms(x) for x in c1['round_p50_ms'])} "
            f"| {_ms(c1['server_cpu_ms_per_req'])} | {cn['rps']:,.0f} "
            f"| {' / '.join(f'{x:,.0f}' for x in cn['round_rps'])} | {_ms(cn['p50_ms'])} "
            f"| {_ms(cn['server_cpu_ms_per_req'])} | {c1['errors'] + cn['errors']} |")
    guarded, noop = targets.get(GUARDED, {}), targets.get(NOOP, {})
    added = guarded.get("added_p50_ms")
    lines.append("")
    if added is None:
        lines.append(f"Target: added p50 <= {TARGET_ADDED_P50_MS:g} ms: not measured.")
    else:
        met = "met" if added <= TARGET_ADDED_P50_MS else "not met"
        rounds = " / ".join(_ms(x) for x in guarded["round_added_p50_ms"])
        lines.append(
            f"The sluicegate guardrail adds **{added:.3f} ms p50** at c=1 over the plain proxy "
            f"(per round: {rounds}; target <= {TARGET_ADDED_P50_MS:g} ms: {met}) and "
            f"{guarded['added_cpu_ms_per_req']:.3f} ms of server CPU per request at c={conc}, "
            f"where it serves {guarded['rps_ratio']:.2f}x the plain proxy's req/s.")
        if noop.get("added_p50_ms") is not None:
            lines.append(
                f"A guardrail that does nothing adds {noop['added_p50_ms']:.3f} ms p50 and "
                f"{noop['added_cpu_ms_per_req']:.3f} ms CPU per request (LiteLLM's own "
                "guardrail dispatch); the rest comes with the sluicegate guardrail: its hooks "
                "and guards, and what LiteLLM does with what it adds (the decisions it "
                "records in LiteLLM's guardrail logging, its response-header hook).")
    if results["warnings"]:
        lines += ["", "Notes:", *(f"- {w}" for w in results["warnings"])]
    return "\n".join(lines) + "\n"


def main() -> int:
    args = parse_args()
    litellm_bin = find_litellm(args.litellm_bin)
    if not litellm_bin or not os.access(litellm_bin, os.X_OK):
        print("no litellm executable: pip install -e '.[litellm]' or pass --litellm-bin",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="sluicegate-litellm-bench-") as tmp:
        bench = GuardrailRun(args, Path(tmp), litellm_bin)
        try:
            targets = bench.run()
        finally:
            bench.servers.stop_all()
        env = describe(REPO, bench, litellm_bin=litellm_bin)

    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "environment": env,
        "litellm_bin": litellm_bin,
        "litellm_version": "litellm " + _version(
            litellm_bin, dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True")),
        "cpu_busy_between_rounds": bench.background_busy,
        "settings": {
            "rounds": bench.rounds, "requests": bench.count, "warmup": bench.warmup,
            "duration_s": bench.duration, "concurrency": args.concurrency,
            "policy": args.policy,
            "prompt_bytes": len(json.loads(REQUEST.body)["messages"][-1]["content"].encode()),
        },
        "targets": targets,
        "warnings": bench.warnings,
    }
    section = render_section(results)
    print("\n" + section)
    if args.quick:
        print(f"quick run: nothing written; {args.results_md} left as it was")
    else:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        out = args.results_dir / "litellm_guardrail.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
        update_results_md(args.results_md, section, heading=SECTION)
        print(f"wrote {out} and updated {args.results_md}")
    return 0 if targets.get(GUARDED, {}).get("status") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
