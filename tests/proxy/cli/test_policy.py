"""``sluicegate policy``: check, test and schema (proxy/cli/policy.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluicegate.policies.packs import pack_path
from sluicegate.proxy.cli import app

runner = CliRunner()


def test_policy_check_ok_and_failure(tmp_path: Path) -> None:
    ok = runner.invoke(
        app, ["policy", "check", str(pack_path("default")), str(pack_path("strict"))]
    )
    assert ok.exit_code == 0, ok.output
    assert ok.output.count("ok ") == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nguards:\n  p: {type: pii}\nrules:\n"
        "  - {name: r, when: 'scores[\"p.nope\"] > 1', action: block}\n"
    )
    failed = runner.invoke(app, ["policy", "check", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:5: rules.0.when" in failed.output


@pytest.mark.parametrize("pack", ["default", "strict"])
def test_bundled_packs_pass_their_tests(pack: str) -> None:
    result = runner.invoke(app, ["policy", "test", "-v", str(pack_path(pack))])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output
    assert "PASS" in result.output


def test_policy_test_fails_on_wrong_expectation_and_on_no_cases(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\nguards:\n  k: {type: keywords, categories: {x: [boom]}}\n"
        "rules:\n  - {name: r, when: 'scores[\"k\"] > 0.0', action: block}\n"
    )
    none = runner.invoke(app, ["policy", "test", str(policy)])
    assert none.exit_code == 1
    assert "no test cases" in none.output
    (tmp_path / "p_test.yaml").write_text(
        "tests:\n  - {name: wrong, text: 'boom', expect: allow}\n"
        "  - {name: right, text: 'boom', expect: block, findings: [k.x]}\n"
    )
    result = runner.invoke(app, ["policy", "test", str(policy)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "wrong" in result.output
    assert "1 passed, 1 failed" in result.output


def test_published_schema_is_current() -> None:
    published = Path(__file__).resolve().parents[3] / "policies" / "policy.schema.json"
    result = runner.invoke(app, ["policy", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(published.read_text()), (
        "regenerate with: sluicegate policy schema --output policies/policy.schema.json"
    )


def test_schema_validates_packs_and_rejects_typos() -> None:
    import jsonschema
    import yaml

    schema = json.loads(runner.invoke(app, ["policy", "schema"]).output)
    for name in ("default", "strict"):
        jsonschema.validate(yaml.safe_load(pack_path(name).read_text()), schema)
    bad = {"version": 1, "guards": {"p": {"type": "pii", "entitiez": ["email"]}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
