"""Render overhead results: the markdown table, the targets, the RESULTS.md section."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

__all__ = ["evaluate_targets", "render_section", "render_table", "update_results_md"]

SECTION = "## Gateway overhead (benchmarks/overhead.py)"
GATEWAY, DIRECT, BARE, LITELLM = "sluicegate", "direct", "bare-httpx", "litellm"
# The same gateway on a second policy (by default the deterministic pack, no
# classifier), so one run separates the gateway's cost from the classifier's.
COMPARED = "sluicegate-deterministic"


def _ms(value: Any) -> str:
    if not isinstance(value, (int, float)) or math.isnan(value):
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def _num(value: Any, digits: int = 0) -> str:
    if not isinstance(value, (int, float)) or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(results: dict[str, Any], a: str, b: str) -> float | None:
    ta, tb = results["targets"].get(a, {}), results["targets"].get(b, {})
    if ta.get("status") != "ok" or tb.get("status") != "ok":
        return None
    rps_b = tb["c32"]["rps"]
    return float(ta["c32"]["rps"] / rps_b) if rps_b else None


def ratios(results: dict[str, Any], gateway: str = GATEWAY) -> dict[str, float | None]:
    return {"sluicegate/bare-httpx": _ratio(results, gateway, BARE),
            "sluicegate/litellm": _ratio(results, gateway, LITELLM)}


def cpu_ratio(results: dict[str, Any], other: str, gateway: str = GATEWAY) -> float | None:
    """CPU per request of ``other`` over the gateway's: throughput per core,
    which background load on the shared cores disturbs less than req/s."""
    ta, tb = results["targets"].get(gateway, {}), results["targets"].get(other, {})
    if ta.get("status") != "ok" or tb.get("status") != "ok":
        return None
    own = ta["c32"]["server_cpu_ms_per_req"]
    return float(tb["c32"]["server_cpu_ms_per_req"] / own) if own else None


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The gateway core's targets for each gateway target measured, each met
    (True), not met (False) or not measured (None)."""
    rows = []
    for key in (GATEWAY, COMPARED):
        gateway = results["targets"].get(key)
        if gateway is None or (key == COMPARED and gateway.get("status") != "ok"):
            continue
        added = gateway.get("added_p50_ms") if gateway.get("status") == "ok" else None
        found = ratios(results, key)
        tag = f" ({gateway['label'].removeprefix('gateway, ')})"
        rows += [
            ("added p50 at c=1, 1 kB prompt" + tag, "<= 1 ms", added,
             added is not None and added <= 1.0, "ms"),
            ("throughput at c=32 vs LiteLLM proxy" + tag, ">= 10x", found["sluicegate/litellm"],
             (found["sluicegate/litellm"] or 0) >= 10, "x"),
            ("throughput at c=32 vs bare httpx pass-through" + tag, ">= 2x",
             found["sluicegate/bare-httpx"], (found["sluicegate/bare-httpx"] or 0) >= 2, "x"),
        ]
    return [{"target": name, "goal": goal, "value": value, "unit": unit,
             "met": None if value is None else bool(met)}
            for name, goal, value, met, unit in rows]


def policy_cost(results: dict[str, Any]) -> str | None:
    """What the main gateway's policy costs over the compared one's, in the same run."""
    main, other = results["targets"].get(GATEWAY, {}), results["targets"].get(COMPARED, {})
    if main.get("status") != "ok" or other.get("status") != "ok":
        return None
    added = main["added_p50_ms"] - other["added_p50_ms"]
    c1_cpu = main["c1"]["server_cpu_ms_per_req"] - other["c1"]["server_cpu_ms_per_req"]
    c32_cpu = main["c32"]["server_cpu_ms_per_req"] - other["c32"]["server_cpu_ms_per_req"]
    return (f"{main['label']} over {other['label']} (same run): {added:+.3f} ms added p50 at "
            f"c=1; server CPU per request {c1_cpu:+.3f} ms at c=1, {c32_cpu:+.3f} ms at "
            f"c={results['settings']['concurrency']}.")


def render_table(results: dict[str, Any]) -> str:
    conc = results["settings"]["concurrency"]
    lines = [
        f"| target | c=1 p50 ms | c=1 p90 ms | c=1 p99 ms | added p50 vs direct ms "
        "| c=1 server CPU ms/req "
        f"| c={conc} req/s (median) | req/s per round | c={conc} p50 ms | c={conc} p99 ms "
        f"| c={conc} server CPU ms/req | c={conc} mock CPU ms/req | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, target in results["targets"].items():
        label = f"{key} ({target['label']})"
        if target["status"] != "ok":
            reason = target.get("reason", "").splitlines()[0][:120]
            lines.append(f"| {label} | {target['status']}: {reason} | | | | | | | | | | | |")
            continue
        c1, c32 = target["c1"], target["c32"]
        rounds = " / ".join(_num(x) for x in c32["round_rps"])
        lines.append(
            f"| {label} | {_ms(c1['p50_ms'])} | {_ms(c1['p90_ms'])} | {_ms(c1['p99_ms'])} "
            f"| {_ms(target.get('added_p50_ms'))} "
            f"| {_ms(c1['server_cpu_ms_per_req']) if key != DIRECT else '-'} "
            f"| {_num(c32['rps'])} | {rounds} "
            f"| {_ms(c32['p50_ms'])} | {_ms(c32['p99_ms'])} "
            f"| {_ms(c32['server_cpu_ms_per_req']) if key != DIRECT else '-'} "
            f"| {_ms(c32['mock_cpu_ms_per_req'])} | {c1['errors'] + c32['errors']} |"
        )
    return "\n".join(lines)


def _targets_table(results: dict[str, Any]) -> str:
    lines = ["| target | goal | measured | status |", "|---|---|---:|---|"]
    for row in evaluate_targets(results):
        value = "-" if row["value"] is None else f"{row['value']:.3f} {row['unit']}"
        status = {True: "met", False: "not met", None: "not measured"}[row["met"]]
        lines.append(f"| {row['target']} | {row['goal']} | {value} | {status} |")
    return "\n".join(lines)


def _profile_lines(results: dict[str, Any]) -> list[str]:
    profile = results["targets"].get(GATEWAY, {}).get("profile")
    if not profile:
        return []
    if profile.get("status") != "ok":
        return [f"Gateway profile: {profile.get('status')} ({profile.get('reason', '')})", ""]
    lines = [f"Where the gateway's CPU goes under c={results['settings']['concurrency']} load "
             f"(py-spy, {profile['samples']} samples of the busy process):", "",
             "| share | layer |", "|---:|---|"]
    lines += [f"| {row['share']:.1%} | {row['function']} |" for row in profile["layers"]]
    lines += ["", "| self | hottest functions |", "|---:|---|"]
    lines += [f"| {row['share']:.1%} | `{row['function']}` |" for row in profile["self"][:10]]
    return [*lines, ""]


def render_section(results: dict[str, Any]) -> str:
    env, run = results["environment"], results["settings"]
    found = ratios(results)

    def times(value: float | None) -> str:
        return "not measured" if value is None else f"{value:.2f}x"

    notes = [f"- {key} {t['status']}: " + " / ".join(t["reason"].splitlines())[-400:]
             for key, t in results["targets"].items() if t["status"] != "ok"]
    notes += [f"- {w}" for w in results.get("warnings", [])]
    busy = ", ".join(f"{k} {t['c32']['machine_busy']:.0%}" for k, t in results["targets"].items()
                     if t["status"] == "ok")
    idle = ", ".join(f"{x:.0%}" for x in env["cpu_busy_between_rounds"])
    parts = [
        SECTION, "",
        f"- date: {results['date']}" + (" (quick smoke run)" if results["quick"] else ""),
        f"- machine: {env['nproc']} cores ({env['cpu_model']}), {env['memory']}; "
        f"Python {env['python']}, kernel {env['kernel']}",
        f"- git: {env['git']}",
        f"- workload: POST /v1/chat/completions, {run['prompt_bytes']} B user prompt "
        f"({run['body_bytes']} B body), non-streaming, benign (the gateway allows it "
        "unchanged); ten letters of it differ per request, so no cache helps",
        f"- {run['rounds']} round(s), targets interleaved; per round and target: c=1 "
        f"{run['requests']} sequential requests after {run['warmup']} warm-up on one keep-alive "
        f"connection, then c={run['concurrency']} for {run['duration_s']:g} s after "
        f"{run['warmup_duration_s']:g} s warm-up; load from {env['load_generator']}",
        *(f"- {name}: `{command}` (ports and temp paths vary), audit {run['audit'] or 'off'}"
          for name, command in results["gateway_commands"].items()),
        "- server stacks: " + "; ".join(f"{k}: {v}" for k, v in env["stacks"].items()),
        f"- load generator, proxy and mock upstream share the {env['nproc']} cores, and so does "
        f"anything else running on the machine: CPU busy before/between rounds {idle}; "
        f"during the c={run['concurrency']} runs (median): {busy}",
        "",
        render_table(results), "",
        "Ratios (same run): throughput sluicegate / bare httpx = "
        f"{times(found['sluicegate/bare-httpx'])}, sluicegate / LiteLLM = "
        f"{times(found['sluicegate/litellm'])}; CPU per request bare httpx / sluicegate = "
        f"{times(cpu_ratio(results, BARE))}, LiteLLM / sluicegate = "
        f"{times(cpu_ratio(results, LITELLM))}.", "",
        *([cost, ""] if (cost := policy_cost(results)) else []),
        _targets_table(results), "",
        *_profile_lines(results),
    ]
    if notes:
        parts += ["Notes:", *notes, ""]
    return "\n".join(parts)


def update_results_md(path: Path, section: str, heading: str = SECTION) -> None:
    """Replace the section under ``heading`` in ``path`` (or add it), keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
