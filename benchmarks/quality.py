"""Guard quality of a policy (default: the default pack) over every shared
evaluation set: regenerates benchmarks/QUALITY.md and results/quality.json.

    python benchmarks/quality.py [--policy pack:default] [--limit 2000] [--data-dir DIR]

Each set is evaluated in the stage its texts belong to (prompts on input,
responses on output) through `sluicegate eval`'s own code; `--limit` takes a
seeded per-label sample of the bigger sets so a run stays within minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default="pack:default")
    parser.add_argument("--limit", type=int, default=0, help="samples per set (0: all)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=HERE / "QUALITY.md")
    parser.add_argument("--only", nargs="*", default=None, help="dataset names to run")
    args = parser.parse_args()

    from sluicegate.policies.loader import PolicyLoader
    from sluicegate.policies.quality.datasets import DatasetError, dataset_names, load_dataset
    from sluicegate.policies.quality.evaluation import evaluate_samples, summarize
    from sluicegate.policies.quality.report import markdown_table
    from sluicegate.proxy.policy_store import resolve_policy_path

    policy = PolicyLoader().load_file(resolve_policy_path(args.policy))
    summaries, skipped = [], []
    started = time.perf_counter()
    for name in args.only or dataset_names():
        try:
            info, samples = load_dataset(name, root=args.data_dir, limit=args.limit or None)
        except DatasetError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        t0 = time.perf_counter()
        results = asyncio.run(evaluate_samples(policy, samples))
        summary = summarize(info, results)
        summaries.append(summary)
        took = time.perf_counter() - t0
        print(f"{name}: {len(samples)} samples in {took:.1f} s", file=sys.stderr)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True, check=False).stdout.strip()
    header = [
        "# Guard quality",
        "",
        f"- policy: `{args.policy}` (digest {policy.digest}); git {commit}; "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{time.perf_counter() - started:.0f} s",
        f"- every set in `shared/datasets` the adapters know, at most {args.limit or 'all'} "
        "samples each (seeded, per label); prompts on the input stage, responses on the output "
        "stage. Detection counts a text as caught when the policy blocks it (redaction is not "
        "detection); FPR is blocks on safe texts.",
        "- regenerate: `python benchmarks/quality.py`",
        "",
    ]
    if skipped:
        header += ["Skipped: " + "; ".join(skipped), ""]
    (HERE / "results").mkdir(exist_ok=True)
    for summary in summaries:
        summary.pop("guard_scores", None)  # per-text scores: large, and in eval.json runs anyway
    (HERE / "results" / "quality.json").write_text(
        json.dumps({"policy": args.policy, "limit": args.limit, "datasets": summaries}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    args.output.write_text("\n".join(header) + "\n" + markdown_table(summaries), encoding="utf-8")
    print(args.output.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
