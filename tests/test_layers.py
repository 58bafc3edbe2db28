"""The layering ARCHITECTURE.md states, checked on the source: data flows
proxy -> enforcement -> guards -> policy decision -> proxy, and no layer
reaches back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute ``sluicegate.*`` names where
    the import is relative."""
    package = "sluicegate." + ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def offenders(folder: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sources(folder):
        bad = sorted(n for n in imported(path) if n.startswith(forbidden))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_guards_know_only_text() -> None:
    assert sources("guards")
    assert offenders("guards", ("sluicegate.policies", "sluicegate.proxy")) == {}


def test_policies_know_guards_not_http() -> None:
    assert sources("policies")
    assert offenders("policies", ("sluicegate.proxy", "starlette", "httpx")) == {}


# The engine the LiteLLM guardrail shares with the routes: every module of
# these folders, so a new payload family or codec is covered when it lands.
ENGINE = ("proxy/enforcement", "proxy/payloads", "proxy/streaming")


@pytest.mark.parametrize(
    "module",
    [
        str(path.relative_to(ROOT))
        for path in [*(p for folder in ENGINE for p in sources(folder)), ROOT / "proxy/sse.py"]
        if path.name != "relay.py"  # the stream relay answers HTTP requests
    ],
)
def test_the_engine_the_litellm_guardrail_shares_has_no_http_server(module: str) -> None:
    """No Starlette below the routes: the guardrail runs these inside LiteLLM."""
    names = imported(ROOT / module)
    assert not [n for n in names if n.startswith("starlette")]


def test_streaming_never_imports_the_routes() -> None:
    assert offenders("proxy/streaming", ("sluicegate.proxy.routes",)) == {}


def test_only_the_checks_apply_redactions() -> None:
    """The guards → decision → redact/block sequence lives in one place: no
    other module writes redactions into a body or turns a conflict into a block."""
    allowed = {
        "proxy/enforcement/checks.py",
        "proxy/enforcement/stages.py",
        "proxy/payloads/bundles.py",
    }
    found = {}
    for path in sources("proxy"):
        relative = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        uses = [
            n for n in ("apply_redactions(", "RedactionConflict", "REDACTION_CONFLICT") if n in text
        ]
        if uses and relative not in allowed:
            found[relative] = uses
    assert found == {}
