from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.errors import PolicyError
from sluicegate.policies.loader import PolicyLoader
from tests.support.guards import trigger_registry

BASE = """\
version: 1
guards:
  t: {type: trigger, triggers: {"bad": harm}}
rules:
  - name: block-bad
    when: scores["t.harm"] >= 0.5
    action: block
"""


def load(text: str, tmp_path: Path | None = None) -> object:
    return PolicyLoader(trigger_registry()).load_text(text, path="p.yaml")


def error_of(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load(text)
    return info.value


def test_loads_valid_policy() -> None:
    policy = PolicyLoader(trigger_registry()).load_text(BASE, path="p.yaml")
    assert set(policy.guards) == {"t"}
    assert policy.score_keys == {"t", "t.harm"}
    assert [r.name for r in policy.rules_for(Stage.INPUT)] == ["block-bad"]
    assert policy.rules[0].action is Action.BLOCK
    assert len(policy.digest) == 12


def test_yaml_syntax_error_names_line() -> None:
    err = error_of("version: 1\nrules:\n  - name: [unclosed\n")
    assert err.path == "p.yaml"
    assert err.line == 3 or err.line == 4
    assert "invalid YAML" in str(err)


def test_unknown_top_level_key_names_line_and_key() -> None:
    err = error_of(BASE + "defualt_action: allow\n")
    assert err.line == 8
    assert err.key == "defualt_action"


def test_bad_action_names_rule_line() -> None:
    err = error_of(BASE.replace("action: block", "action: explode"))
    assert err.line == 7
    assert err.key == "rules.0.action"


def test_unknown_score_name_is_a_load_error() -> None:
    err = error_of(BASE.replace('scores["t.harm"]', 'scores["t.nope"]'))
    assert err.key == "rules.0.when"
    assert err.line == 6
    assert "t.nope" in str(err)


def test_cel_syntax_error_is_a_load_error() -> None:
    err = error_of(BASE.replace('scores["t.harm"] >= 0.5', 'scores["t.harm"] >='))
    assert err.key == "rules.0.when"


def test_cel_type_error_found_by_dry_run() -> None:
    err = error_of(BASE.replace('scores["t.harm"] >= 0.5', 'scores["t.harm"] > "x"'))
    assert "block-bad" in str(err)


def test_unknown_variable_is_a_load_error() -> None:
    err = error_of(BASE.replace('scores["t.harm"] >= 0.5', "score > 1.0"))
    assert "unknown variable" in str(err)


def test_finding_field_that_does_not_exist_is_caught() -> None:
    err = error_of(BASE.replace('scores["t.harm"] >= 0.5', 'findings.exists(f, f.text == "x")'))
    assert err.key == "rules.0.when"


def test_unknown_guard_type_names_guard() -> None:
    err = error_of(BASE.replace("type: trigger", "type: nonsense"))
    assert err.key == "guards.t.type"
    assert err.line == 3
    assert "unknown guard type" in str(err)


def test_bad_guard_setting_names_key() -> None:
    err = error_of(BASE.replace('triggers: {"bad": harm}', "triggers: {}, colour: red"))
    assert err.key is not None and err.key.startswith("guards.t")
    assert "colour" in str(err) or "Extra" in str(err)


def test_duplicate_rule_names_rejected() -> None:
    text = BASE + '  - name: block-bad\n    when: "true"\n    action: allow\n'
    assert "duplicate rule name" in str(error_of(text))


def test_duplicate_yaml_keys_rejected() -> None:
    err = error_of(BASE + "rules: []\n")
    assert "duplicate key" in str(err)


def test_escalation_guard_must_exist() -> None:
    err = error_of(BASE + "escalation: [judge]\n")
    assert err.key == "escalation.0"


def test_json_policy_is_accepted() -> None:
    text = (
        '{"version": 1, "guards": {"t": {"type": "trigger", "triggers": {"x": "c"}}},'
        ' "rules": [{"name": "r", "when": "scores[\\"t\\"] > 0.5", "action": "redact"}]}'
    )
    policy = PolicyLoader(trigger_registry()).load_text(text, path="p.json")
    assert policy.rules[0].action is Action.REDACT


def test_sidecar_tests_are_loaded(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(BASE)
    (tmp_path / "mine_test.yaml").write_text(
        "tests:\n  - {text: 'bad thing', expect: block, findings: [t.harm]}\n"
    )
    policy = PolicyLoader(trigger_registry()).load_file(tmp_path / "mine.yaml")
    assert policy.name == "mine"
    assert len(policy.tests) == 1
    assert policy.tests[0].expect is Action.BLOCK


def test_test_case_with_unknown_finding_rejected(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(BASE)
    (tmp_path / "mine_test.yaml").write_text(
        "tests:\n  - {text: a, expect: block, findings: [zz]}\n"
    )
    with pytest.raises(PolicyError, match="zz"):
        PolicyLoader(trigger_registry()).load_file(tmp_path / "mine.yaml")


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        PolicyLoader().load_file(tmp_path / "absent.yaml")
