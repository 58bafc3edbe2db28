"""The ``sluicegate`` command: serve and check here; ``policy`` in
:mod:`.policy`; eval, calibrate and datasets in :mod:`.quality`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ...policies.decisions import Stage
from ...policies.engine import RequestInfo
from ...policies.errors import PolicyError
from ...policies.evaluator import PolicyEvaluator
from ...policies.loader import PolicyLoader
from ...policies.redaction import redact
from ..audit.metrics import MULTIPROC_ENV
from ..config import GatewayConfig, load_config
from ..policy_store import resolve_policy_path
from .policy import policy_app
from .quality import register as register_quality

__all__ = ["app", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="sluicegate: a safety gateway for LLM applications.",
)
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
    from ..http.app import create_app

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
        from ..policy_store import PolicyStore

        PolicyStore(cfg).load_all()
    except (PolicyError, ValueError, OSError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    Console(stderr=True).print(
        f"sluicegate on http://{host}:{port}/v1 -> upstream {cfg.upstream.url} "
        f"(policy {cfg.policies.get(cfg.default_policy, 'pack:' + cfg.default_policy)})"
    )
    os.environ[CONFIG_ENV] = cfg.model_dump_json()
    if workers > 1 and cfg.metrics and not os.environ.get(MULTIPROC_ENV):
        # Each worker counts into files here; /metrics, on any worker, sums them.
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="sluicegate-metrics-")
    uvicorn.run(
        "sluicegate.proxy.cli.main:app_from_env",
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


app.add_typer(policy_app, name="policy")
register_quality(app)


def main() -> None:
    app()
