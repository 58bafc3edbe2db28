"""``sluicegate policy``: lint, test and describe policy files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from ...policies.errors import PolicyError
from ...policies.loader import PolicyLoader

__all__ = ["policy_app"]

policy_app = typer.Typer(no_args_is_help=True, help="Lint, test and describe policy files.")


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
    from ...policies.testing import run_policy_tests

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
    from ...policies.jsonschema import policy_json_schema

    text = json.dumps(policy_json_schema(), indent=2, sort_keys=True) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)
