"""PolicyEvaluator.settled and GuardStage.settled: the stage's guards decide
how much of a streamed answer is settled, or say that they cannot tell."""

from __future__ import annotations

from sluicegate.guards.base import IncrementalGuard
from sluicegate.policies.decisions import Stage
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.packs import pack_path
from sluicegate.policies.policy import Policy
from sluicegate.proxy.enforcement import InputGuardStage, OutputGuardStage
from tests.support.guards import trigger_registry


def load(text: str) -> Policy:
    return PolicyLoader(trigger_registry()).load_text(text, path="p.yaml")


BASE = """\
version: 1
guards:
  pii: {type: pii}
  t: {type: trigger, triggers: {"FORBIDDEN": bad, "<<STOP>>": stop}, stages: [output]}
"""


def settled(policy: Policy, text: str, stage: Stage = Stage.OUTPUT) -> int | None:
    return PolicyEvaluator().settled(policy, stage, text)


def test_the_least_of_the_stage_guards() -> None:
    policy = load(BASE)
    assert settled(policy, "mail bob@exa") == len("mail ")  # the pii guard holds
    assert settled(policy, "we say FORBI") == len("we say ")  # the trigger holds
    assert settled(policy, "all clear. ") == len("all clear.")  # the last character is held
    # The trigger guard runs on output only: on input only the pii guard holds "ST".
    assert settled(policy, "ok <<ST") == len("ok ")
    assert settled(policy, "ok <<ST", Stage.INPUT) == len("ok <<")


def test_a_guard_that_cannot_tell_makes_the_stage_unable_to_tell() -> None:
    policy = load(BASE + "  lang: {type: language, stages: [output]}\n")
    assert settled(policy, "hello there ") is None
    assert settled(policy, "hello there ", Stage.INPUT) == len("hello there")


def test_an_unavailable_optional_guard_is_not_incremental() -> None:
    policy = load(BASE + '  broken: {type: regex, patterns: {x: "("}, optional: true}\n')
    assert policy.unavailable_guards()
    assert settled(policy, "hello there ") is None


def test_escalation_guards_count_only_where_a_rule_escalates() -> None:
    guards = BASE + "  lang: {type: language, stages: [output]}\nescalation: [lang]\n"
    quiet = load(guards + "rules:\n  - {name: r, when: 'scores[\"t.bad\"] > 0.5', action: block}\n")
    assert settled(quiet, "hello there ") == len("hello there")
    escalating = load(
        guards + "rules:\n  - {name: r, when: 'scores[\"t.bad\"] > 0.5', action: escalate}\n"
    )
    assert settled(escalating, "hello there ") is None


def test_cache_and_batch_wrappers_delegate() -> None:
    policy = load(
        BASE.replace(
            "stages: [output]}",
            "stages: [output], cache: {max_entries: 10}, batch: {max_size: 4}}",
        )
    )
    guard = policy.guards["t"].guard
    assert type(guard).__name__ == "CachingGuard"
    assert isinstance(guard, IncrementalGuard)
    assert settled(policy, "we say FORBI") == len("we say ")


def test_category_map_delegates() -> None:
    policy = load(BASE.replace("stages: [output]}", "stages: [output], category_map: {bad: harm}}"))
    assert isinstance(policy.guards["t"].guard, IncrementalGuard)
    assert settled(policy, "we say FORBI") == len("we say ")


def test_guard_stage_delegates_to_the_evaluator() -> None:
    policy = load(BASE)
    evaluator = PolicyEvaluator()
    assert OutputGuardStage(evaluator).settled(policy, "we say FORBI") == len("we say ")
    assert InputGuardStage(evaluator).settled(policy, "ok <<ST") == len("ok <<")


def test_default_pack_output_guards_release_prose() -> None:
    policy = PolicyLoader().load_file(pack_path("default"))
    stage = OutputGuardStage(PolicyEvaluator())
    assert stage.settled(policy, "Hello there, how are") == len("Hello there, how ")
    assert stage.settled(policy, "Write to bob@example.com") == len("Write to ")
    assert stage.settled(policy, "Write to bob@example.com today") == len(
        "Write to bob@example.com "
    )
    # The input stage runs the classifier, which cannot tell.
    assert InputGuardStage(PolicyEvaluator()).settled(policy, "Hello there") is None
