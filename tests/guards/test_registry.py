from __future__ import annotations

import pytest

from sluicegate.guards.errors import GuardConfigError, MissingExtraError
from sluicegate.guards.registry import GuardType, default_registry
from sluicegate.policies.errors import PolicyError
from sluicegate.policies.loader import PolicyLoader


def test_builtin_types_are_registered() -> None:
    assert default_registry().names() == [
        "default-classifier",
        "gliclass",
        "injection",
        "judge",
        "keywords",
        "language",
        "peft-head",
        "pii",
        "refusal",
        "regex",
        "remote",
        "secrets",
        "sequence-classifier",
    ]


def test_guard_is_built_with_its_instance_name() -> None:
    guard = default_registry().create("my_pii", "pii", {"entities": ["email"]})
    assert guard.name == "my_pii"
    assert guard.categories == ("email",)


def test_unknown_type_lists_known_types() -> None:
    with pytest.raises(GuardConfigError, match="known types: default-classifier, gliclass, inj"):
        default_registry().create("x", "nope", {})


def test_type_whose_extra_is_missing_names_the_extra() -> None:
    registry = default_registry()
    registry.register(GuardType("heavy", "sluicegate_not_installed_module", "X", extra="models"))
    with pytest.raises(MissingExtraError, match=r"pip install 'sluicegate\[models\]'"):
        registry.create("h", "heavy", {})
    policy = "version: 1\nguards:\n  h: {type: heavy}\n"
    with pytest.raises(PolicyError) as info:
        PolicyLoader(registry).load_text(policy, path="p.yaml")
    assert info.value.line == 3
    assert "sluicegate[models]" in str(info.value)


def test_broken_guard_module_is_a_config_error_not_a_traceback() -> None:
    registry = default_registry()
    registry.register(GuardType("broken", "sluicegate_missing_guard_module", "X"))
    with pytest.raises(PolicyError, match="cannot be imported") as info:
        PolicyLoader(registry).load_text("version: 1\nguards:\n  b: {type: broken}\n")
    assert info.value.key == "guards.b.type"
