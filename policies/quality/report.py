"""An evaluation run as files: JSON (everything), a markdown table, and PNG
plots (per-dataset bars, and per guard a detection vs false-positive sweep)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .evaluation import sweep_of

__all__ = ["markdown_table", "write_json", "write_plots"]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown_table(summaries: Sequence[dict[str, Any]]) -> str:
    """One row per dataset; then per-category recall and per-language rows
    where the sets have them, and latency per guard."""
    lines = [
        "| dataset | task | stage | n | unsafe | detection | FPR | precision | F1 | macro-F1 |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        m = s["metrics"]
        lines.append(
            f"| {s['dataset']} | {s['task']} | {s['stage']} | {s['samples']} | {s['unsafe']} "
            f"| {_pct(m['detection_rate'])} | {_pct(m['false_positive_rate'])} "
            f"| {_num(m['precision'])} | {_num(m['f1'])} | {_num(m['macro_f1'])} |"
        )
    categories = [(s["dataset"], k, v) for s in summaries for k, v in s["per_category"].items()]
    if categories:
        lines += ["", "| dataset | category | n | recall |", "|---|---|---:|---:|"]
        lines += [f"| {d} | {k} | {v['n']} | {_pct(v['recall'])} |" for d, k, v in categories]
    languages = [
        (s["dataset"], k, v)
        for s in summaries
        for k, v in s["per_language"].items()
        if len(s["per_language"]) > 1
    ]
    if languages:
        lines += [
            "",
            "| dataset | language | n | detection | FPR |",
            "|---|---|---:|---:|---:|",
        ]
        lines += [
            f"| {d} | {k} | {v['n']} | {_pct(v['detection_rate'])} "
            f"| {_pct(v['false_positive_rate'])} |"
            for d, k, v in languages
        ]
    refusal = [(s["dataset"], s["refusal"]) for s in summaries if s["refusal"]]
    if refusal:
        lines += [
            "",
            "| dataset | refusal n | accuracy | precision | recall | F1 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {d} | {r['n']} | {_pct(r['accuracy'])} | {_pct(r.get('precision'))} "
            f"| {_pct(r.get('recall'))} | {_num(r.get('f1'))} |"
            for d, r in refusal
        ]
    latency: dict[str, list[dict[str, float | None]]] = {}
    for s in summaries:
        for guard, values in s["latency_ms"].items():
            latency.setdefault(guard, []).append(values)
    if latency:
        lines += [
            "",
            "| guard | datasets | latency p50 ms (median over sets) | worst p95 ms |",
            "|---|---:|---:|---:|",
        ]
        for guard, rows in sorted(latency.items()):
            p50s = sorted(v["p50"] for v in rows if v["p50"] is not None)
            p95s = [v["p95"] for v in rows if v["p95"] is not None]
            lines.append(
                f"| {guard} | {len(rows)} | {_num(p50s[len(p50s) // 2] if p50s else None)} "
                f"| {_num(max(p95s) if p95s else None)} |"
            )
    return "\n".join(lines) + "\n"


def write_json(path: Path, run: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_plots(directory: Path, summaries: Sequence[dict[str, Any]]) -> list[Path]:
    """``datasets.png`` (detection on sets with unsafe texts, false-positive
    rate on benign ones) and ``sweep-<guard>.png`` per guard. Needs
    matplotlib (``pip install 'sluicegate[eval]'``)."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never a window
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(summaries) + 2), 4))
    names = [s["dataset"] for s in summaries]
    values, colours = [], []
    for s in summaries:
        m = s["metrics"]
        if s["unsafe"]:
            values.append(m["detection_rate"] or 0.0)
            colours.append("tab:red")
        else:
            values.append(m["false_positive_rate"] or 0.0)
            colours.append("tab:blue")
    ax.bar(range(len(names)), values, color=colours)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("detection (red) / false-positive rate (blue)")
    ax.set_title("Policy decisions per dataset")
    fig.tight_layout()
    path = directory / "datasets.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)

    guards = sorted({g for s in summaries for g in s["guard_scores"]})
    for guard in guards:
        points = [
            (fpr, detection)
            for p in sweep_of(summaries, guard)
            if (fpr := p["false_positive_rate"]) is not None
            and (detection := p["detection_rate"]) is not None
        ]
        if not points:
            continue  # a sweep needs both unsafe and safe texts
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.plot([fpr for fpr, _ in points], [d for _, d in points], marker=".")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("false-positive rate")
        ax.set_ylabel("detection rate")
        ax.set_title(f"{guard}: threshold sweep (0 to 1)")
        fig.tight_layout()
        path = directory / f"sweep-{guard}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
