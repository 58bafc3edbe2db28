"""``sluicegate eval``, ``calibrate`` and ``datasets``: measure a policy on
labelled sets and move its thresholds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ...policies.decisions import Stage
from ...policies.errors import PolicyError
from ...policies.loader import PolicyLoader
from ..policy_store import resolve_policy_path

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the quality commands to ``app``."""
    app.command("eval")(eval_command)
    app.command("datasets")(datasets_command)
    app.command()(calibrate)


def _load_policy(ref: str) -> Any:
    try:
        return PolicyLoader().load_file(resolve_policy_path(ref))
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _load_sets(
    names: list[str], data_dir: Path | None, split: str | None, limit: int | None
) -> list[tuple[Any, list[Any]]]:
    from ...policies.quality.datasets import DatasetError, load_dataset

    try:
        return [load_dataset(n, root=data_dir, split=split, limit=limit) for n in names]
    except DatasetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def eval_command(
    policy: Annotated[str, typer.Option(help="Policy file or pack:NAME.")],
    dataset: Annotated[
        list[str],
        typer.Option(
            help="Dataset name (see `sluicegate datasets`) or a JSONL/CSV file; repeatable."
        ),
    ],
    stage: Annotated[
        str | None, typer.Option(help="input or output; default: each sample's own.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="At most N samples per dataset (seeded, per label).")
    ] = None,
    split: Annotated[str | None, typer.Option(help="Dataset split, e.g. test.")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the named datasets live; default $SLUICEGATE_DATASETS, "
            "./shared/datasets or ../shared/datasets."
        ),
    ] = None,
    output_dir: Annotated[Path, typer.Option(help="Where eval.json, eval.md and PNGs go.")] = Path(
        "eval-results"
    ),
    plots: Annotated[bool, typer.Option(help="Write PNG plots (needs matplotlib).")] = True,
) -> None:
    """Run a policy's guards and rules over labelled datasets and report
    detection, false positives, F1, per-category/language figures and latency."""
    from rich.progress import Progress

    from ...policies.quality.evaluation import evaluate_samples, summarize
    from ...policies.quality.report import markdown_table, write_json, write_plots

    if stage not in (None, "input", "output"):
        typer.echo("error: --stage must be input or output", err=True)
        raise typer.Exit(2)
    loaded = _load_policy(policy)
    sets = _load_sets(dataset, data_dir, split, limit)
    summaries = []
    with Progress(console=Console(stderr=True), transient=True) as progress:
        for info, samples in sets:
            task = progress.add_task(info.name, total=len(samples))

            def advance(n: int, task: Any = task) -> None:
                progress.advance(task, n)

            results = asyncio.run(
                evaluate_samples(
                    loaded, samples, stage=Stage(stage) if stage else None, progress=advance
                )
            )
            summaries.append(summarize(info, results))
    table = markdown_table(summaries)
    run = {"policy": policy, "policy_digest": loaded.digest, "limit": limit, "split": split,
           "datasets": summaries}  # fmt: skip
    write_json(output_dir / "eval.json", run)
    (output_dir / "eval.md").write_text(table, encoding="utf-8")
    written = [output_dir / "eval.json", output_dir / "eval.md"]
    if plots:
        try:
            written += write_plots(output_dir, summaries)
        except ImportError:
            typer.echo("note: no plots: pip install 'sluicegate[eval]' for matplotlib", err=True)
    typer.echo(table)
    typer.echo("wrote " + ", ".join(str(p) for p in written))


def datasets_command() -> None:
    """List the dataset names `eval` and `calibrate` know."""
    from ...policies.quality.datasets import dataset_info, dataset_names

    table = Table("name", "task", "stage", "languages", "licence", "train on it")
    for name in dataset_names():
        info = dataset_info(name)
        table.add_row(
            name, info.task, info.stage, ",".join(info.languages), info.licence,
            "yes" if info.redistributable else "no",
        )  # fmt: skip
    Console().print(table)


def calibrate(
    policy: Annotated[str, typer.Option(help="Policy file or pack:NAME.")],
    benign: Annotated[
        list[str], typer.Option(help="Benign dataset name or file; repeatable (one source each).")
    ],
    output: Annotated[Path, typer.Option(help="Where to write the calibrated copy.")],
    target_fpr: Annotated[
        float, typer.Option(help="Highest false-positive rate allowed on any benign source.")
    ] = 0.05,
    limit: Annotated[int | None, typer.Option(help="At most N samples per dataset.")] = None,
    split: Annotated[str | None, typer.Option(help="Dataset split.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the named datasets live.")] = None,
) -> None:
    """Set each single-comparison block/escalate rule's threshold to the lowest
    value that keeps every benign source within --target-fpr, in a copy."""
    from ...policies.quality.calibration import benign_scores, calibrate_policy_text

    if not 0.0 <= target_fpr < 1.0:
        typer.echo("error: --target-fpr must be in [0, 1)", err=True)
        raise typer.Exit(2)
    loaded = _load_policy(policy)
    sets = _load_sets(benign, data_dir, split, limit)
    unsafe = [info.name for info, samples in sets if any(s.unsafe for s in samples)]
    if unsafe:
        typer.echo(f"error: not benign-only: {', '.join(unsafe)}", err=True)
        raise typer.Exit(2)
    scores = asyncio.run(benign_scores(loaded, {info.name: samples for info, samples in sets}))
    text = Path(loaded.path).read_text(encoding="utf-8")
    new_text, report = calibrate_policy_text(loaded, text, scores, target_fpr)
    output.write_text(new_text, encoding="utf-8")
    try:
        PolicyLoader().load_file(output)
    except PolicyError as exc:  # a bug here must not leave a broken policy unnoticed
        typer.echo(f"error: the calibrated copy does not load: {exc}", err=True)
        raise typer.Exit(1) from None
    table = Table("rule", "score", "old", "new", "FPR per source (new)", "note")
    for c in report:
        table.add_row(
            c.rule, c.key or "-", "-" if c.old is None else f"{c.old:g}",
            "-" if c.new is None else f"{c.new:g}",
            ", ".join(f"{k} {100 * v:.1f}%" for k, v in c.fpr_by_source.items()),
            c.skipped or "",
        )  # fmt: skip
    Console().print(table)
    typer.echo(f"wrote {output}")
