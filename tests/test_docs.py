"""The documentation's examples run against the code (README.md, docs/*.md).

Every fenced block is checked by what it is, so a renamed key, flag or file
breaks a test rather than a reader:

- ``yaml``: a policy (``version:`` or ``rules:``) loads with the real loader and
  its inline test cases pass; a fragment of policy keys loads inside the page's
  last full policy (a ``tests:`` list) or inside ``version: 1`` (a ``streaming:``
  mapping, say); a gateway config validates as :class:`GatewayConfig`; a LiteLLM
  ``guardrails:`` config names an importable guardrail class and a policy that
  loads. A YAML block that is none of these fails, so nothing is skipped by
  accident.
- ``json``: parses.
- ``python``: compiles, and runs unless the block is marked
  ``<!-- test: skip-run (why) -->`` (it needs a running gateway or network).
- every ``sluicegate ...`` command line, in any block: its subcommand exists and
  every flag it shows is one the typer app accepts.
- every relative link: the file exists, and a ``#anchor`` into a Markdown file
  names one of its headings.

A block can opt out with ``<!-- test: skip (why) -->`` on the line before it.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from sluicegate.policies.errors import PolicyError
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.schema import PolicySpec
from sluicegate.policies.testing import run_policy_tests
from sluicegate.proxy.cli import app
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.policy_store import resolve_policy_path
from tests.support.guards import trigger_registry

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MODEL_GUARD_TYPES = {"sequence-classifier", "gliclass", "peft-head"}

FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*test:\s*(skip-run|skip)\b(.*?)-->\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: str | None  # "skip" or "skip-run"

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
        assert end is not None, f"{page.name}:{i + 1}: unclosed code block"
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.match(before.strip())
        found.append(
            Block(page, i + 1, opening.group(1), "\n".join(lines[i + 1 : end]) + "\n",
                  marker.group(1) if marker else None)
        )  # fmt: skip
        i = end + 1
    return found


BLOCKS = [block for page in PAGES for block in blocks_of(page)]


def of_kind(*langs: str) -> list[Any]:
    return [pytest.param(b, id=b.where) for b in BLOCKS if b.lang in langs]


def test_the_pages_have_examples_to_check() -> None:
    # Guards against the collection silently finding nothing (a moved folder,
    # a changed fence style): the README alone has YAML, Python and shell.
    langs = {b.lang for b in BLOCKS if b.page.name == "README.md"}
    assert {"yaml", "python", "bash"} <= langs
    assert len(PAGES) >= 6


# -- YAML ------------------------------------------------------------------

POLICY_KEYS = set(PolicySpec.model_fields)
GATEWAY_KEYS = set(GatewayConfig.model_fields)


def _last_policy_before(block: Block) -> dict[str, Any] | None:
    last = None
    for other in BLOCKS:
        if other.page != block.page or other.line >= block.line or other.lang != "yaml":
            continue
        data = yaml.safe_load(other.text)
        if isinstance(data, dict) and ("version" in data or "rules" in data):
            last = data
    return last


def _model_guard_names(data: dict[str, Any]) -> set[str]:
    return {
        name
        for name, spec in (data.get("guards") or {}).items()
        if isinstance(spec, dict) and spec.get("type") in MODEL_GUARD_TYPES
    }


def _load_policy(data: dict[str, Any], where: str) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        policy = PolicyLoader(trigger_registry()).load_text(text, path=where, name="doc")
    except PolicyError as exc:
        # Only a model guard whose extra or weights are absent here may fail,
        # and only with the loader's error naming it and what is missing.
        message = str(exc)
        models = _model_guard_names(data)
        missing = any(w in message.lower() for w in ("sluicegate[models]", "download", "weights"))
        if models and missing and any(f"guards.{name}" in message for name in models):
            pytest.skip(f"model guard not available here: {message}")
        raise
    report = asyncio.run(run_policy_tests(policy))
    problems = [f"{case.name}: {case.problem}" for case in report.cases if not case.passed]
    assert not problems, problems


@pytest.mark.parametrize("block", of_kind("yaml", "yml"))
def test_yaml_example(block: Block) -> None:
    if block.marker == "skip":
        pytest.skip("marked skip in the page")
    data = yaml.safe_load(block.text)
    assert isinstance(data, dict), f"{block.where}: a YAML example should be a mapping"
    keys = set(data)
    if "version" in keys or "rules" in keys:
        _load_policy(data, block.where)
    elif keys <= POLICY_KEYS:
        base = _last_policy_before(block) if keys == {"tests"} else None
        _load_policy({**(base or {"version": 1}), **data}, block.where)
    elif keys <= GATEWAY_KEYS:
        GatewayConfig.model_validate(data)
    elif "guardrails" in keys:
        for entry in data["guardrails"]:
            params = entry["litellm_params"]
            module, _, name = params["guardrail"].rpartition(".")
            pytest.importorskip("litellm")
            assert isinstance(getattr(importlib.import_module(module), name), type)
            PolicyLoader().load_file(resolve_policy_path(params.get("policy", "pack:default")))
    else:
        pytest.fail(f"{block.where}: a YAML block that is no policy, fragment or config: {keys}")


# -- JSON and Python -------------------------------------------------------


@pytest.mark.parametrize("block", of_kind("json"))
def test_json_example_parses(block: Block) -> None:
    json.loads(block.text)


@pytest.mark.parametrize("block", of_kind("python", "py"))
def test_python_example(block: Block) -> None:
    if block.marker == "skip":
        pytest.skip("marked skip in the page")
    code = compile(block.text, block.where, "exec")
    if block.marker == "skip-run":
        return
    exec(code, {"__name__": "__doc_example__"})


# -- CLI lines -------------------------------------------------------------

CLI = get_command(app)


def _command_lines(text: str) -> list[str]:
    """Each ``sluicegate ...`` invocation in a shell or plain block, with line
    continuations joined, comments dropped and pipelines split."""
    joined = re.sub(r"\\\n\s*", " ", text)
    # A usage listing continues a command on lines indented under it.
    joined = re.sub(r"\n(?=\s{8,}\[)", " ", joined)
    found = []
    for line in joined.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            words = line.split()
        segment: list[str] = []
        for word in [*words, "&&"]:
            if word in ("&&", "||", "|", ";", "&"):
                if segment and segment[0] == "sluicegate":
                    found.append(shlex.join(segment))
                segment = []
            elif segment or "=" not in word:  # VAR=value before a command
                segment.append(word)
    return found


INLINE = re.compile(r"(?<!`)`(sluicegate [^`]+)`(?!`)")
COMMAND_LINES = [
    *(
        pytest.param(line, id=f"{b.where}: {line[:60]}")
        for b in BLOCKS
        if b.lang in ("", "bash", "sh", "shell", "console")
        for line in _command_lines(b.text)
    ),
    *(  # `sluicegate ...` in the prose too
        pytest.param(line, id=f"{page.relative_to(ROOT)}: {line[:60]}")
        for page in PAGES
        for line in INLINE.findall(
            re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        )
    ),
]


def test_the_pages_show_cli_lines() -> None:
    assert len(COMMAND_LINES) >= 10


@pytest.mark.parametrize("line", COMMAND_LINES)
def test_cli_line_names_real_commands_and_flags(line: str) -> None:
    words = shlex.split(line)[1:]
    command: Any = CLI  # typer vendors click: its groups are not click.Group
    path = ["sluicegate"]
    while hasattr(command, "commands") and words and not words[0].startswith("-"):
        name = words.pop(0)
        sub = command.commands.get(name)
        assert sub is not None, f"{' '.join(path)} has no subcommand {name!r}: {line}"
        command, path = sub, [*path, name]
    assert not hasattr(command, "commands"), f"incomplete command: {line}"
    accepted = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    accepted |= {"--help"}
    flags = {m for w in words for m in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", w)}
    unknown = sorted(flags - accepted)
    assert not unknown, f"{' '.join(path)} does not accept {unknown}: {line}"


# -- Links -----------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces
    to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6}\s+(.*)$", text, flags=re.M)}


LINKS = [
    pytest.param(page, target, id=f"{page.relative_to(ROOT)}: {target}")
    for page in PAGES
    for target in LINK.findall(
        re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    )
    if not re.match(r"[a-z]+:", target)
]


@pytest.mark.parametrize(("page", "target"), LINKS)
def test_relative_link_resolves(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    file = (page.parent / path).resolve() if path else page
    assert file.exists(), f"{page.name}: {target} does not exist"
    if anchor and file.suffix == ".md":
        assert anchor in _anchors(file), f"{page.name}: no heading #{anchor} in {file.name}"
