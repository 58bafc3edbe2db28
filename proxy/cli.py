"""The ``sluicegate`` command: serve, check, policy check/test/schema, eval,
calibrate, datasets."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..policies.decisions import Stage
from ..policies.engine import RequestInfo
from ..policies.errors import PolicyError
from ..policies.evaluator import PolicyEvaluator
from ..policies.loader import PolicyLoader
from ..policies.redaction import redact
from .config import GatewayConfig, load_config
from .policy_store import resolve_policy_path

__all__ = ["app", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="sluicegate: a safety gateway for LLM applications.",
)
policy_app = typer.Typer(no_args_is_help=True, help="Lint, test and describe policy files.")
app.add_typer(policy_app, name="policy")
CONFIG_ENV = "SLUICEGATE_CONFIG_JSON"


def _gateway_config(
    config: Path | None, policy: str | None, upstream: str | None, api_key_env: str | None
) -> GatewayConfig:
    cfg = load_config(config) if config else GatewayConfig()
    if policy:
        cfg.policies[cfg.default_policy] = policy
    if upstream:
        cfg.upstream.url = upstream
    if api_key_env:
        cfg.upstream.api_key_env = api_key_env
    return cfg


def app_from_env() -> Any:
    """uvicorn factory for ``--workers N``: each worker rebuilds the app from
    the configuration the parent process serialised."""
    from .app import create_app

    return create_app(GatewayConfig.model_validate_json(os.environ[CONFIG_ENV]))


@app.command()
def serve(
    policy: Annotated[
        str | None, typer.Option(help="Policy file (or pack:NAME) for the default policy.")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Gateway config YAML.")] = None,
    upstream: Annotated[str | None, typer.Option(help='Upstream base URL, or "demo".')] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Env var holding the upstream API key.")
    ] = None,
    host: str = "127.0.0.1",
    port: int = 8787,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Run the gateway (the embedded demo model when no upstream is given)."""
    import uvicorn

    try:
        cfg = _gateway_config(config, policy, upstream, api_key_env)
        # Load once here so a bad policy fails before any worker starts.
        from .policy_store import PolicyStore

        PolicyStore(cfg).load_all()
    except (PolicyError, ValueError, OSError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    Console(stderr=True).print(
        f"sluicegate on http://{host}:{port}/v1 -> upstream {cfg.upstream.url} "
        f"(policy {cfg.policies.get(cfg.default_policy, 'pack:' + cfg.default_policy)})"
    )
    os.environ[CONFIG_ENV] = cfg.model_dump_json()
    uvicorn.run(
        "sluicegate.proxy.cli:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )


@app.command()
def check(
    text: Annotated[str, typer.Argument(help='Text to check ("-" reads stdin).')],
    policy: Annotated[str, typer.Option(help="Policy file or pack:NAME.")] = "pack:default",
    stage: Annotated[Stage, typer.Option(help="input or output.")] = Stage.INPUT,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the decision, scores and findings a policy gives a text."""
    if text == "-":
        text = sys.stdin.read()
    try:
        loaded = PolicyLoader().load_file(resolve_policy_path(policy))
    except (PolicyError, FileNotFoundError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    [evaluation] = asyncio.run(PolicyEvaluator().evaluate(loaded, stage, [text], RequestInfo()))
    decision = evaluation.decision
    findings = [
        {
            "guard": name,
            "category": f.category,
            "score": round(f.score, 4),
            "start": f.span.start if f.span else None,
            "end": f.span.end if f.span else None,
        }
        for name, o in evaluation.outcomes.items()
        if o.result
        for f in o.result.findings
    ]
    result = {
        "decision": decision.label,
        "action": decision.action.value,
        "reason": decision.reason.value,
        "rules": decision.rule_names,
        "message": decision.message,
        "findings": findings,
        "errors": {n: o.error for n, o in evaluation.outcomes.items() if o.error},
    }
    if evaluation.redactions:
        result["redacted"] = redact(text, evaluation.redactions)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console = Console()
    console.print(f"decision: [bold]{decision.label}[/bold] ({decision.reason.value})")
    if decision.rule_names:
        console.print(f"rules: {', '.join(decision.rule_names)}")
    table = Table("guard", "category", "score", "span")
    for f in findings:
        span = f"{f['start']}-{f['end']}" if f["start"] is not None else ""
        table.add_row(str(f["guard"]), str(f["category"]), f"{f['score']:.3f}", span)
    if findings:
        console.print(table)
    if "redacted" in result:
        console.print(f"redacted: {result['redacted']}")


@policy_app.command("check")
def policy_check(files: Annotated[list[Path], typer.Argument(help="Policy files.")]) -> None:
    """Validate schema, compile every rule, check guard and category names."""
    failed = False
    for path in files:
        try:
            loaded = PolicyLoader().load_file(path)
        except PolicyError as exc:
            typer.echo(f"FAIL {exc}", err=True)
            failed = True
            continue
        typer.echo(
            f"ok   {path}: {len(loaded.guards)} guards, {len(loaded.rules)} rules, "
            f"{len(loaded.tests)} tests (digest {loaded.digest})"
        )
    raise typer.Exit(1 if failed else 0)


@policy_app.command("test")
def policy_test(
    files: Annotated[
        list[Path], typer.Argument(help="Policy files (tests inline or in NAME_test.yaml).")
    ],
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Run the policy's own test cases; exits 1 on a failure or when there are none."""
    from ..policies.testing import run_policy_tests

    total_failed = 0
    for path in files:
        try:
            loaded = PolicyLoader().load_file(path)
        except PolicyError as exc:
            typer.echo(f"FAIL {exc}", err=True)
            total_failed += 1
            continue
        report = asyncio.run(run_policy_tests(loaded))
        for case in report.cases:
            if verbose or not case.passed:
                status = "PASS" if case.passed else "FAIL"
                typer.echo(
                    f"{status} {path}: {case.name}" + ("" if case.passed else f": {case.problem}")
                )
        if not report.cases:
            typer.echo(f"FAIL {path}: no test cases found (add tests: or {path.stem}_test.yaml)")
            total_failed += 1
        else:
            typer.echo(f"{path}: {report.passed} passed, {report.failed} failed")
            total_failed += report.failed
        uncovered = report.uncovered_rules
        if uncovered:
            typer.echo(f"note {path}: rules no test exercised: {', '.join(uncovered)}")
    raise typer.Exit(1 if total_failed else 0)


@policy_app.command("schema")
def policy_schema(
    output: Annotated[Path | None, typer.Option(help="Write to a file.")] = None,
) -> None:
    """Print the policy JSON Schema (built-in guard types included)."""
    from ..policies.jsonschema import policy_json_schema

    text = json.dumps(policy_json_schema(), indent=2, sort_keys=True) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


def _load_policy(ref: str) -> Any:
    try:
        return PolicyLoader().load_file(resolve_policy_path(ref))
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _load_sets(
    names: list[str], data_dir: Path | None, split: str | None, limit: int | None
) -> list[tuple[Any, list[Any]]]:
    from ..policies.quality.datasets import DatasetError, load_dataset

    try:
        return [load_dataset(n, root=data_dir, split=split, limit=limit) for n in names]
    except DatasetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("eval")
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
        typer.Option(help="Where the named datasets live; default $SLUICEGATE_DATASETS, "
        "./shared/datasets or ../shared/datasets."),
    ] = None,
    output_dir: Annotated[Path, typer.Option(help="Where eval.json, eval.md and PNGs go.")] = Path(
        "eval-results"
    ),
    plots: Annotated[bool, typer.Option(help="Write PNG plots (needs matplotlib).")] = True,
) -> None:
    """Run a policy's guards and rules over labelled datasets and report
    detection, false positives, F1, per-category/language figures and latency."""
    from rich.progress import Progress

    from ..policies.quality.evaluation import evaluate_samples, summarize
    from ..policies.quality.report import markdown_table, write_json, write_plots

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


@app.command("datasets")
def datasets_command() -> None:
    """List the dataset names `eval` and `calibrate` know."""
    from ..policies.quality.datasets import dataset_info, dataset_names

    table = Table("name", "task", "stage", "languages", "licence", "train on it")
    for name in dataset_names():
        info = dataset_info(name)
        table.add_row(
            name, info.task, info.stage, ",".join(info.languages), info.licence,
            "yes" if info.redistributable else "no",
        )  # fmt: skip
    Console().print(table)


@app.command()
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
    from ..policies.quality.calibration import benign_scores, calibrate_policy_text

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


def main() -> None:
    app()
