"""Every bundled model pack loads through the same code path a user's gateway
takes, on tiny models of the same architectures (random weights) put where
the pack's model ids would be, and its category map matches what the model
reports. The packs' own cases need the real weights and run where those are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("gliclass")
pytest.importorskip("peft")

import jsonschema
import yaml

from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.jsonschema import policy_json_schema
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.packs import pack_names, pack_path
from tests.guards.models.tiny import bert_classifier, gliclass_model, llama_classifier
from tests.guards.models.tiny_peft import peft_head_adapter
from tests.guards.test_judge import completion
from tests.support.servers import MockUpstream

SHARED = {
    "violence", "weapons", "hate", "self_harm", "sexual", "child_safety", "crime", "cyber",
    "privacy", "jailbreak", "manipulation", "regulated_advice", "intellectual_property", "unsafe",
}  # fmt: skip


def best(result, guard: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """A guard's score per category, as a policy sees it (the highest finding)."""
    outcome = result.outcomes[guard].result
    assert outcome is not None
    scores: dict[str, float] = {}
    for finding in outcome.findings:
        scores[finding.category] = max(finding.score, scores.get(finding.category, 0.0))
    return scores


def pack_with(name: str, **replacements: str) -> str:
    """The pack's text with ``key: value`` lines set to other values."""
    text = pack_path(name).read_text(encoding="utf-8")
    for key, value in replacements.items():
        text, count = re.subn(rf"^(\s+{key}:) .*$", rf"\1 {value}", text, flags=re.MULTILINE)
        assert count, f"{name} has no {key}:"
    return text


async def decide(policy, text: str, stage: Stage = Stage.INPUT):  # type: ignore[no-untyped-def]
    [result] = await PolicyEvaluator().evaluate(policy, stage, [text], RequestInfo())
    return result


async def close(policy) -> None:  # type: ignore[no-untyped-def]
    for binding in policy.guards.values():
        aclose = getattr(binding.guard, "aclose", None)
        if aclose is not None:
            await aclose()


def test_every_pack_validates_against_the_published_schema() -> None:
    schema = policy_json_schema()
    for name in pack_names():
        jsonschema.validate(yaml.safe_load(pack_path(name).read_text()), schema)
    assert {"opir", "duoguard", "opencc", "wildguard", "e5-refusal"} <= set(pack_names())


async def test_opir_pack(tmp_path: Path) -> None:
    model = gliclass_model(tmp_path / "opir")
    # The tiny encoder has 128 positions; the real one reads 1024-token windows.
    policy = PolicyLoader().load_text(
        pack_with("opir", model=str(model), max_length="96"), path="opir.yaml"
    )
    keys = {k.split(".", 1)[1] for k in policy.score_keys if k.startswith("opir.")}
    assert SHARED - {"intellectual_property"} <= keys
    assert "violence_and_physical_harm" in keys
    assert "flagged" not in keys and not policy.thresholds.values  # the rule holds the 0.5
    result = await decide(policy, "hello world " * 80)  # several windows
    assert result.decision.action in (Action.ALLOW, Action.BLOCK)
    scores = best(result, "opir")
    # unsafe is the highest harmful label; benign labels never count.
    harmful = [c for c in scores if c not in SHARED
               and c not in ("other_or_uncertain", "safe_and_benign")]  # fmt: skip
    assert scores["unsafe"] == pytest.approx(max(scores[c] for c in harmful))
    assert (result.decision.action is Action.BLOCK) == (scores["unsafe"] >= 0.5)
    await close(policy)


async def test_duoguard_pack(tmp_path: Path) -> None:
    labels = yaml.safe_load(pack_path("duoguard").read_text())["guards"]["duoguard"]["label_names"]
    model = llama_classifier(tmp_path / "model", tmp_path / "tokenizer", labels)
    policy = PolicyLoader().load_text(
        pack_with("duoguard", model=str(model), tokenizer=str(tmp_path / "tokenizer")),
        path="duoguard.yaml",
    )
    keys = {k.split(".", 1)[1] for k in policy.score_keys if k.startswith("duoguard.")}
    assert SHARED - {"cyber", "manipulation"} <= keys  # categories DuoGuard has no label for
    result = await decide(policy, "how to make a bomb")
    scores = best(result, "duoguard")
    assert scores["unsafe"] == pytest.approx(max(scores[lb] for lb in labels))
    assert scores["sexual"] == pytest.approx(
        max(scores["sex_related_crimes"], scores["sexual_content"])
    )
    await close(policy)


async def test_e5_refusal_pack(tmp_path: Path) -> None:
    model = bert_classifier(tmp_path / "e5", ["Non-refusal", "Refusal"], multi_label=False)
    policy = PolicyLoader().load_text(pack_with("e5-refusal", model=str(model)), path="e5.yaml")
    result = await decide(policy, "I cannot help with that.", Stage.OUTPUT)
    assert result.decision.action is Action.ALLOW  # monitoring only
    assert {"refusal", "answered"} <= set(best(result, "refusal_model"))
    await close(policy)


OPENCC = [
    "cbrn", "cyber", "harm_to_minors", "harmful_manipulation", "hate_speech",
    "illegal_activities", "integrity_and_quality_violations", "physical_harm", "privacy",
    "self_harm", "sexual_content",
]  # fmt: skip


async def test_opencc_cascade_escalates_flagged_prompts_to_the_judge(
    tmp_path: Path, upstream: MockUpstream
) -> None:
    def load(thresholds: float, policy_thresholds: str = ""):  # type: ignore[no-untyped-def]
        adapter = peft_head_adapter(
            tmp_path / f"opencc-{thresholds}-{len(policy_thresholds)}",
            categories=OPENCC,
            thresholds=dict.fromkeys(OPENCC, thresholds),
        )
        text = pack_with("opencc", model=str(adapter), base_model=str(adapter.parent / "base"))
        text = text.replace("http://127.0.0.1:8001/v1", f"{upstream.url}/v1")
        text = text.replace(
            "    timeout_ms: 2000\n", f"    timeout_ms: 2000\n{policy_thresholds}", 1
        )
        return PolicyLoader().load_text(text, path="opencc.yaml")

    # Manifest thresholds of 0: every prompt is flagged, so every prompt meets the judge.
    flagging = load(0.0)
    assert {"weapons", "hate", "crime"} <= {
        k.split(".", 1)[1] for k in flagging.score_keys if k.startswith("opencc.")
    }
    # The rule reads the manifest's thresholds, keyed by its own category names.
    assert flagging.thresholds.values == {f"opencc.{c}": 0.0 for c in OPENCC}
    upstream.push(completion("Harmful request: yes\nResponse refusal: N/A\nHarmful response: N/A"))
    harmful = await decide(flagging, "how to make a bomb")
    assert harmful.decision.action is Action.BLOCK
    assert harmful.decision.rule_names == ["block-judged-harmful"]
    upstream.push(completion("Harmful request: no\nResponse refusal: N/A\nHarmful response: N/A"))
    cleared = await decide(flagging, "how to make bread")
    assert cleared.decision.action is Action.ALLOW
    assert cleared.escalation is not None
    assert len(upstream.requests) == 2

    # Thresholds of 1: nothing is flagged and the judge is never called.
    quiet = load(0.999999)
    passed = await decide(quiet, "how to make bread")
    assert passed.decision.action is Action.ALLOW
    assert passed.escalation is None
    assert len(upstream.requests) == 2
    # The policy's own thresholds replace the manifest's: all at 1 again.
    overridden = load(0.0, f"    thresholds: {dict.fromkeys(OPENCC, 0.999999)}\n")
    passed = await decide(overridden, "how to make a bomb")
    assert passed.decision.action is Action.ALLOW
    assert passed.escalation is None
    assert len(upstream.requests) == 2
    for policy in (flagging, quiet, overridden):
        await close(policy)
