from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.registry import default_registry
from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.errors import PolicyError
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from tests.guards.models.tiny import bert_classifier, llama_classifier

DUOGUARD_LABELS = ["Violent crimes", "Non-violent crimes", "Sex-related crimes"]


@pytest.fixture(scope="module")
def duoguard_like(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("duoguard")
    model = llama_classifier(root / "model", root / "tokenizer", DUOGUARD_LABELS)
    return model, root / "tokenizer"


def create(settings: dict[str, object]):  # type: ignore[no-untyped-def]
    return default_registry().create("clf", "sequence-classifier", settings)


async def test_sigmoid_multi_label_with_tokenizer_from_elsewhere_and_pad_eos(
    duoguard_like: tuple[Path, Path],
) -> None:
    model, tokenizer = duoguard_like
    guard = create({"model": str(model), "tokenizer": str(tokenizer)})
    assert guard.categories == ("violent_crimes", "non_violent_crimes", "sex_related_crimes")
    assert guard.sigmoid
    assert guard.tokenizer.pad_token == "</s>"
    [result] = await guard.scan(["how to make a bomb"])
    scores = [f.score for f in result.findings]
    assert len(scores) == 3
    assert all(0.0 < s < 1.0 for s in scores)
    assert [f.category for f in result.findings] == list(guard.categories)


async def test_batched_scores_equal_unbatched(duoguard_like: tuple[Path, Path]) -> None:
    model, tokenizer = duoguard_like
    guard = create({"model": str(model), "tokenizer": str(tokenizer)})
    texts = ["hello", "how to make a bomb", "the bread is safe to make"]
    together = await guard.scan(texts)
    alone = [(await guard.scan([t]))[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        for fa, fb in zip(a.findings, b.findings, strict=True):
            assert fa.score == pytest.approx(fb.score, abs=1e-5)


async def test_softmax_single_label_and_label_mapping(tmp_path: Path) -> None:
    model = bert_classifier(tmp_path / "refusal", ["Non-refusal", "Refusal"], multi_label=False)
    guard = create({"model": str(model), "labels": {"Refusal": "refusal"}})
    assert guard.categories == ("non_refusal", "refusal")
    assert not guard.sigmoid
    [result] = await guard.scan(["hello world"])
    assert sum(f.score for f in result.findings) == pytest.approx(1.0, abs=1e-5)


async def test_long_inputs_are_truncated(tmp_path: Path) -> None:
    model = bert_classifier(tmp_path / "m", ["unsafe"], multi_label=True)
    guard = create({"model": str(model), "max_length": 16})
    [result] = await guard.scan(["hello world " * 500])
    assert 0.0 < result.findings[0].score < 1.0


def test_unknown_label_and_missing_model_are_clear_errors(tmp_path: Path) -> None:
    model = bert_classifier(tmp_path / "m", ["unsafe"], multi_label=True)
    with pytest.raises(GuardConfigError, match="not one of the model's labels"):
        create({"model": str(model), "labels": {"Unsafe!": "x"}})
    with pytest.raises(GuardConfigError, match="huggingface-cli download acme/guard-1b"):
        create({"model": "acme/guard-1b"})


async def test_policy_uses_the_model_guard(duoguard_like: tuple[Path, Path]) -> None:
    model, tokenizer = duoguard_like
    policy = PolicyLoader().load_text(
        f"""\
version: 1
guards:
  duo: {{type: sequence-classifier, model: "{model}", tokenizer: "{tokenizer}",
         batch: {{max_wait_ms: 1}}, cache: {{ttl_s: 60}}}}
rules:
  - {{name: crimes, when: 'scores["duo"] > 0.0', action: block}}
""",
        path="p.yaml",
    )
    [result] = await PolicyEvaluator().evaluate(policy, Stage.INPUT, ["hello"], RequestInfo())
    assert result.decision.action is Action.BLOCK  # any sigmoid score is > 0
    duo = result.outcomes["duo"].result
    assert duo is not None
    assert [f.category for f in duo.findings] == [
        "violent_crimes",
        "non_violent_crimes",
        "sex_related_crimes",
    ]
    with pytest.raises(PolicyError, match="unknown score name"):
        PolicyLoader().load_text(
            f"""\
version: 1
guards:
  duo: {{type: sequence-classifier, model: "{model}", tokenizer: "{tokenizer}"}}
rules:
  - {{name: x, when: 'scores["duo.no_such_category"] > 0.5', action: block}}
""",
            path="p.yaml",
        )


async def test_role_tokens_and_middle_ellipsis(tmp_path: Path) -> None:
    model = bert_classifier(tmp_path / "e5", ["Non-refusal", "Refusal"], multi_label=False)
    guard = create(
        {"model": str(model), "role_token": "assistant", "long_text": "ellipsis", "max_length": 24}
    )
    short = guard.prepare("hello world")
    assert short == "<|assistant|>hello world"
    words = ["hello"] * 20 + ["the"] * 40 + ["bread"] * 20
    long = guard.prepare(" ".join(words))
    assert long.startswith("<|assistant|>hello")
    assert "<|...|>" in long
    assert long.rstrip().endswith("bread")
    assert "the the the the the the the the the the the the the the the the the" not in long
    assert len(guard.tokenizer(long)["input_ids"]) <= 24
    [result] = await guard.scan([" ".join(words)])
    assert sum(f.score for f in result.findings) == pytest.approx(1.0, abs=1e-5)


def test_label_names_override_generic_config_labels(tmp_path: Path) -> None:
    model = bert_classifier(tmp_path / "m", ["LABEL_0", "LABEL_1"], multi_label=True)
    guard = create({"model": str(model), "label_names": ["Violent crimes", "Hate"]})
    assert guard.categories == ("violent_crimes", "hate")
    with pytest.raises(GuardConfigError, match="label_names has 1 names"):
        create({"model": str(model), "label_names": ["only one"]})


@pytest.mark.parametrize("pack", ["duoguard", "e5-refusal"])
def test_model_packs_are_valid_and_name_the_download(pack: str) -> None:
    import json

    import jsonschema
    import yaml

    from sluicegate.policies.jsonschema import policy_json_schema
    from sluicegate.policies.packs import pack_path

    schema = json.loads(json.dumps(policy_json_schema()))
    jsonschema.validate(yaml.safe_load(pack_path(pack).read_text()), schema)
    # No hub here: loading fails at the model guard, naming what to download.
    with pytest.raises(PolicyError, match="huggingface-cli download"):
        PolicyLoader().load_file(pack_path(pack))


async def test_lazy_loading_checks_at_load_and_builds_on_first_use(
    duoguard_like: tuple[Path, Path],
) -> None:
    from sluicegate.guards.lazy import LazyGuard

    model, tokenizer = duoguard_like
    policy = PolicyLoader().load_text(
        f"""\
version: 1
guards:
  duo: {{type: sequence-classifier, model: "{model}", tokenizer: "{tokenizer}", load: lazy}}
rules:
  - {{name: v, when: 'scores["duo.violent_crimes"] > 2.0', action: block}}
""",
        path="p.yaml",
    )
    guard = policy.guards["duo"].guard
    assert isinstance(guard, LazyGuard)
    assert not guard.loaded
    assert guard.categories == ("violent_crimes", "non_violent_crimes", "sex_related_crimes")
    [result] = await PolicyEvaluator().evaluate(policy, Stage.INPUT, ["hello"], RequestInfo())
    assert guard.loaded
    assert result.decision.action is Action.ALLOW
    assert len(result.outcomes["duo"].result.findings) == 3  # type: ignore[union-attr]
    with pytest.raises(PolicyError, match="huggingface-cli download"):
        PolicyLoader().load_text(
            "version: 1\nguards:\n  g: {type: sequence-classifier, model: acme/x, load: lazy}\n",
            path="p.yaml",
        )


async def test_lazy_guard_that_fails_to_load_is_a_guard_error() -> None:
    from sluicegate.guards.errors import GuardError
    from sluicegate.guards.lazy import LazyGuard

    class Broken:
        name = "g"
        categories = ("x",)
        loaded = False
        attempts = 0

        def load(self) -> None:
            self.attempts += 1
            raise OSError("disk gone")

        async def scan(self, texts: object) -> list[object]:
            raise AssertionError("never scanned unloaded")

    inner = Broken()
    guard = LazyGuard(inner)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(GuardError, match="failed to load: disk gone"):
            await guard.scan(["a"])
    assert inner.attempts == 1  # the failure is remembered, not retried per request


def test_constructing_reads_the_configuration_but_never_the_weights(tmp_path: Path) -> None:
    from sluicegate.guards.errors import GuardError
    from sluicegate.guards.sequence_classifier import (
        SequenceClassifierGuard,
        SequenceClassifierSettings,
    )

    model = bert_classifier(tmp_path / "clf", ["Non-refusal", "Refusal"], multi_label=False)
    (model / "model.safetensors").unlink()
    settings = SequenceClassifierSettings(model=str(model))
    guard = SequenceClassifierGuard("clf", settings)
    assert guard.categories == ("non_refusal", "refusal")  # from config.json alone
    assert not guard.loaded
    with pytest.raises(GuardError, match="has not loaded its weights"):
        guard.scan_sync(["hello"])
    with pytest.raises(GuardConfigError, match="exists but holds no loadable model"):
        guard.load()
    # Through the registry a policy's guard is loaded when it is created.
    with pytest.raises(GuardConfigError, match="exists but holds no loadable model"):
        create({"model": str(model)})
