from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("peft")
pytest.importorskip("transformers")

import torch
from peft import PeftModel
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from sluicegate.guards.errors import GuardConfigError
from sluicegate.guards.lazy import LazyGuard
from sluicegate.guards.registry import GuardRegistry, GuardType, default_registry
from sluicegate.policies.decisions import Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.errors import PolicyError
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.policy import Policy
from tests.guards.models.tiny import word_tokenizer
from tests.guards.models.tiny_peft import (
    CATEGORIES,
    peft_head_adapter,
    read_manifest,
    write_manifest,
)

NEVER = 0.999999
TEXTS = ["hello", "how to make a bomb", "the bread is safe to make", ""]


def registry() -> GuardRegistry:
    # Until the default registry lists it, add the type the way it will be added.
    reg = default_registry()
    reg.register(
        GuardType("peft-head", "sluicegate.guards.peft_head", "PeftHeadGuard", extra="models")
    )
    return reg


def create(settings: dict[str, object], *, lazy: bool = False) -> Any:
    return registry().create("opencc", "peft-head", settings, lazy=lazy)


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return peft_head_adapter(tmp_path_factory.mktemp("opencc"))


@pytest.fixture(scope="module")
def guard(adapter: Path) -> Any:
    return create({"model": str(adapter)})


@pytest.fixture
def copy(adapter: Path, tmp_path: Path) -> Path:
    """A copy of the adapter directory to break (base_model stays absolute)."""
    return Path(shutil.copytree(adapter, tmp_path / "adapter"))


def reference(adapter: Path, texts: list[str], *, with_adapter: bool = True) -> list[list[float]]:
    """The score computed independently: peft model, final hidden state of the
    last token of each text run alone, the head, sigmoid."""
    frame = read_manifest(adapter)
    model: Any = AutoModelForCausalLM.from_pretrained(frame["base_model"])
    if with_adapter:
        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    head = load_file(str(adapter / "head.safetensors"))
    rows = []
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, return_tensors="pt")["input_ids"]
            if ids.shape[1] == 0:
                ids = torch.tensor([[tokenizer.eos_token_id]])
            hidden = model(input_ids=ids, output_hidden_states=True).hidden_states[-1][0, -1]
            logits = hidden @ head["weight"].T + head["bias"]
            rows.append(torch.sigmoid(logits).tolist())
    return rows


def scores(result: Any) -> dict[str, float]:
    return {f.category: f.score for f in result.findings}


async def test_categories_findings_and_reference_scores(adapter: Path, guard: Any) -> None:
    assert guard.categories == tuple(CATEGORIES)
    assert guard.calibration == dict.fromkeys(CATEGORIES, 0.5)  # the manifest's, as data
    assert guard.tokenizer.pad_token == "</s>"  # none of its own: eos
    results = await guard.scan(TEXTS)
    expected = reference(adapter, TEXTS)
    for result, want in zip(results, expected, strict=True):
        assert result.guard == "opencc"
        got = [f.score for f in result.findings]
        assert [f.category for f in result.findings] == CATEGORIES  # scores only
        assert all(0.0 < s < 1.0 for s in got)
        assert got == pytest.approx(want, abs=1e-5)
    # The adapter changes the scores: it was applied, not ignored.
    base_only = reference(adapter, TEXTS, with_adapter=False)
    assert (torch.tensor(expected) - torch.tensor(base_only)).abs().max() > 1e-3


def opencc_policy(adapter: Path, thresholds: dict[str, float] | None = None) -> Policy:
    """The guard in a policy whose rules say what ``flagged`` used to: some
    category at or over its own threshold."""
    binding = "" if thresholds is None else f", thresholds: {thresholds}"
    return PolicyLoader().load_text(
        f"""\
version: 1
guards:
  opencc: {{type: peft-head, model: "{adapter}"{binding}}}
rules:
  - {{name: flagged, when: 'over_threshold("opencc")', action: block}}
  - name: second
    when: scores["opencc.{CATEGORIES[1]}"] >= thresholds["opencc.{CATEGORIES[1]}"]
    action: redact
""",
        path="p.yaml",
    )


async def rules(policy: Policy, text: str) -> list[str]:
    [evaluation] = await PolicyEvaluator().evaluate(policy, Stage.INPUT, [text], RequestInfo())
    return evaluation.decision.rule_names


async def test_a_category_over_its_own_threshold_is_what_rules_read(copy: Path) -> None:
    [probs] = reference(copy, [TEXTS[1]])
    top, second = sorted(range(len(CATEGORIES)), key=lambda i: probs[i], reverse=True)[:2]
    # The most likely category is held to "never"; the second is always over.
    thresholds = dict.fromkeys(CATEGORIES, NEVER)
    thresholds[CATEGORIES[second]] = 0.0
    edit(copy, thresholds=thresholds)
    policy = opencc_policy(copy)
    assert policy.thresholds.values == {f"opencc.{c}": t for c, t in thresholds.items()}
    assert await rules(policy, TEXTS[1]) == ["flagged"] + (["second"] if second == 1 else [])
    assert probs[top] > probs[second]
    # At the threshold counts as over it (the policy sets it here, over the manifest).
    [result] = await create({"model": str(copy)}).scan([TEXTS[1]])
    at = thresholds | {CATEGORIES[second]: scores(result)[CATEGORIES[second]]}
    assert "flagged" in await rules(opencc_policy(copy, at), TEXTS[1])
    # All held to "never" by the policy, over the manifest's 0.0: nothing matches.
    never = opencc_policy(copy, dict.fromkeys(CATEGORIES, NEVER))
    for text in TEXTS:
        assert await rules(never, text) == []


async def test_batched_equals_unbatched_with_right_and_left_padding(adapter: Path) -> None:
    guard = create({"model": str(adapter)})
    alone = [scores((await guard.scan([t]))[0]) for t in TEXTS]
    for side in ("right", "left"):
        guard.tokenizer.padding_side = side
        together = await guard.scan(TEXTS)
        for result, single in zip(together, alone, strict=True):
            assert scores(result) == pytest.approx(single, abs=1e-5)


async def test_merged_and_unmerged_adapters_score_alike(adapter: Path, guard: Any) -> None:
    unmerged = create({"model": str(adapter), "merge": False})
    assert not hasattr(guard.model, "peft_config")
    for a, b in zip(await guard.scan(TEXTS), await unmerged.scan(TEXTS), strict=True):
        assert scores(a) == pytest.approx(scores(b), abs=1e-5)


async def test_long_inputs_are_cut_at_max_length(adapter: Path, guard: Any) -> None:
    assert guard.max_length == 64  # the manifest's
    short = create({"model": str(adapter), "max_length": 8})
    assert short.max_length == 8
    [long] = await short.scan(["hello world " * 500])
    [cut] = await short.scan(["hello world " * 4])  # its first 8 tokens
    assert scores(long) == pytest.approx(scores(cut), abs=1e-6)
    [result] = await guard.scan(["hello world " * 500])
    assert all(0.0 < s < 1.0 for s in scores(result).values())


async def test_template_is_what_the_model_reads(adapter: Path, guard: Any) -> None:
    templated = create({"model": str(adapter), "template": "the {text} is safe"})
    [a] = await templated.scan(["bread"])
    [b] = await guard.scan(["the bread is safe"])
    assert scores(a) == pytest.approx(scores(b), abs=1e-6)


def test_threshold_overrides_are_checked(adapter: Path) -> None:
    with pytest.raises(PolicyError, match="'nope' is not a category of guard 'opencc'") as e:
        opencc_policy(adapter, {"nope": 0.5})
    assert e.value.key == "guards.opencc.thresholds.nope"
    with pytest.raises(PolicyError, match="less than or equal to 1") as e:
        opencc_policy(adapter, {"cbrn": 1.01})
    assert e.value.key == "guards.opencc.thresholds.cbrn"
    # The guard type itself takes no thresholds, and says where they went.
    with pytest.raises(GuardConfigError, match="belongs to the policy") as caught:
        create({"model": str(adapter), "thresholds": {"cbrn": 0.5}})
    assert caught.value.field == ("thresholds",)


@pytest.mark.parametrize(
    ("form", "file"),
    [("list", None), ("mapping", "thresholds.json"), ("list", "calibration/t.json")],
)
def test_thresholds_as_list_or_file(copy: Path, form: str, file: str | None) -> None:
    values = [0.1, 0.2, 0.3, 0.4]
    data: Any = values if form == "list" else dict(zip(CATEGORIES, values, strict=True))
    frame = read_manifest(copy)
    if file is None:
        frame["thresholds"] = data
    else:
        (copy / file).parent.mkdir(exist_ok=True)
        (copy / file).write_text(json.dumps(data))
        frame["thresholds"] = file
    write_manifest(copy, frame)
    assert create({"model": str(copy)}).calibration == dict(zip(CATEGORIES, values, strict=True))
    policy = opencc_policy(copy, {"cyber": 0.9})
    assert policy.thresholds.values == {
        "opencc.cbrn": 0.1, "opencc.cyber": 0.9, "opencc.self_harm": 0.3, "opencc.weapons": 0.4,
    }  # fmt: skip


def edit(adapter: Path, **changes: Any) -> None:
    frame = read_manifest(adapter)
    for key, value in changes.items():
        if value is None:
            del frame[key]
        else:
            frame[key] = value
    write_manifest(adapter, frame)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"categories": None}, r"weight_frame.json: categories: Field required"),
        ({"categories": []}, r"categories: .*at least 1 item"),
        ({"categories": ["a", "a"]}, r"distinct"),
        (
            {"thresholds": dict.fromkeys([*CATEGORIES, "bio"], 0.5)},
            r"thresholds for unknown categories \['bio'\], missing for \[\]",
        ),
        (
            {"thresholds": {"cbrn": 0.5}},
            r"missing for \['cyber', 'self_harm', 'weapons'\]",
        ),
        ({"thresholds": [0.5]}, r"1 thresholds for 4 categories"),
        ({"thresholds": dict.fromkeys(CATEGORIES, 1.5)}, r"must be in \[0, 1\]"),
        ({"thresholds": "nowhere.json"}, r"cannot read thresholds file .*nowhere.json"),
        ({"pooling": "mean"}, r"pooling: Input should be 'last_token'"),
        ({"version": 2}, r"version: Input should be 1"),
    ],
)
def test_manifest_errors_are_clear(copy: Path, changes: dict[str, Any], message: str) -> None:
    edit(copy, **changes)
    with pytest.raises(GuardConfigError, match=message) as e:
        create({"model": str(copy)})
    assert e.value.field == ("model",)


def test_head_and_adapter_file_errors(copy: Path) -> None:
    (copy / "head.safetensors").rename(copy / "moved.safetensors")
    with pytest.raises(GuardConfigError, match=r"head file .*head.safetensors does not exist"):
        create({"model": str(copy)})
    edit(copy, head={"file": "moved.safetensors", "weight": "W"})
    with pytest.raises(GuardConfigError, match=r"has no tensor 'W' \(has \['bias', 'weight'\]\)"):
        create({"model": str(copy)})
    save_file({"weight": torch.zeros(4, 8)}, str(copy / "moved.safetensors"))
    edit(copy, head={"file": "moved.safetensors"})
    with pytest.raises(GuardConfigError, match=r"shape \[4, 8\]; expected \[4, 16\]"):
        create({"model": str(copy)})
    save_file({"weight": torch.zeros(4, 16)}, str(copy / "moved.safetensors"))
    guard = create({"model": str(copy)})  # no bias in the file: none used
    assert guard.bias is None
    [result] = guard.scan_sync(["hello"])
    assert scores(result)["cbrn"] == pytest.approx(0.5)
    (copy / "adapter_config.json").unlink()
    with pytest.raises(GuardConfigError, match=r"adapter_config.json does not exist"):
        create({"model": str(copy)})


def test_missing_adapter_and_base_model_name_the_download(adapter: Path, tmp_path: Path) -> None:
    with pytest.raises(
        GuardConfigError,
        match="huggingface-cli download acme/opencc-guard --local-dir models/opencc-guard",
    ) as e:
        create({"model": "acme/opencc-guard"})
    assert e.value.field == ("model",)
    with pytest.raises(
        GuardConfigError,
        match=r"cannot load base model 'Qwen/Qwen3.5-0.8B': download .*"
        r"huggingface-cli download Qwen/Qwen3.5-0.8B --local-dir models/Qwen3.5-0.8B.* base_model:",
    ):
        create({"model": str(adapter), "base_model": "Qwen/Qwen3.5-0.8B"})
    with pytest.raises(GuardConfigError, match=r"weight_frame.json does not exist"):
        create({"model": str(tmp_path)})


async def test_base_model_override_and_tokenizer_from_the_base(tmp_path: Path) -> None:
    adapter = peft_head_adapter(tmp_path / "a", tokenizer_in_adapter=False)
    moved = tmp_path / "local-base"
    shutil.move(str(tmp_path / "a" / "base"), moved)
    with pytest.raises(GuardConfigError, match="cannot load base model"):
        create({"model": str(adapter)})
    guard = create({"model": str(adapter), "base_model": str(moved)})
    assert guard.tokenizer.name_or_path == str(moved)
    [result] = await guard.scan(["hello world"])
    assert all(0.0 < s < 1.0 for s in scores(result).values())
    # An explicit tokenizer wins.
    word_tokenizer(tmp_path / "tok", with_pad=True)
    guard = create(
        {"model": str(adapter), "base_model": str(moved), "tokenizer": str(tmp_path / "tok")}
    )
    assert guard.tokenizer.pad_token == "[PAD]"


async def test_declared_categories_read_only_the_manifest(copy: Path) -> None:
    # A base model nobody has: the categories are still known, nothing loads.
    edit(copy, base_model="acme/not-downloaded")
    guard = create({"model": str(copy)}, lazy=True)
    assert isinstance(guard, LazyGuard)
    assert not guard.loaded
    assert guard.categories == tuple(CATEGORIES)
    assert guard.inner.calibration == dict.fromkeys(CATEGORIES, 0.5)  # before any weights
    with pytest.raises(GuardConfigError, match="huggingface-cli download acme/x"):
        create({"model": "acme/x"}, lazy=True)


def test_constructing_reads_the_manifest_but_never_the_weights(copy: Path) -> None:
    from sluicegate.guards.errors import GuardError
    from sluicegate.guards.peft_head import PeftHeadGuard, PeftHeadSettings

    edit(copy, base_model=str(copy / "no-base-here"))
    (copy / "head.safetensors").unlink()
    guard = PeftHeadGuard("opencc", PeftHeadSettings(model=str(copy)))
    assert not guard.loaded
    assert guard.categories == tuple(CATEGORIES)
    assert guard.calibration == dict.fromkeys(CATEGORIES, 0.5)
    with pytest.raises(GuardError, match="has not loaded its weights"):
        guard.scan_sync(["hello"])
    with pytest.raises(GuardConfigError, match=r"cannot load base model .*no-base-here"):
        guard.load()
    assert not guard.loaded


@pytest.mark.parametrize("merge", [True, False])
async def test_half_precision_stays_close(adapter: Path, guard: Any, merge: bool) -> None:
    half = create({"model": str(adapter), "dtype": "bfloat16", "merge": merge})
    assert half.model.dtype == torch.bfloat16
    assert half.weight.dtype == torch.float32  # the head keeps its calibration precision
    for a, b in zip(await guard.scan(TEXTS), await half.scan(TEXTS), strict=True):
        assert scores(a) == pytest.approx(scores(b), abs=0.02)


def test_model_may_name_the_manifest_file(adapter: Path) -> None:
    guard = create({"model": str(adapter / "weight_frame.json")})
    assert guard.categories == tuple(CATEGORIES)
