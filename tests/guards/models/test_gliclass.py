from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("gliclass")

from gliclass import GLiClassModel, ZeroShotClassificationPipeline
from transformers import AutoTokenizer

from sluicegate.guards.errors import GuardConfigError, GuardError
from sluicegate.guards.gliclass import GLiClassGuard, flatten_labels
from sluicegate.guards.registry import default_registry
from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.policy import Policy
from tests.guards.models.tiny import gliclass_model

LABELS = ["toxicity", "violence", "weapons", "benign"]


@pytest.fixture(scope="module")
def opir_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gliclass_model(tmp_path_factory.mktemp("opir"))


def create(model: Path, **settings: object) -> GLiClassGuard:
    guard = default_registry().create(
        "opir", "gliclass", {"model": str(model), "labels": LABELS, **settings}
    )
    assert isinstance(guard, GLiClassGuard)
    return guard


def scores(result) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {f.category: f.score for f in result.findings}


async def test_scores_match_the_gliclass_pipeline_on_short_texts(opir_like: Path) -> None:
    guard = create(opir_like)
    pipeline = ZeroShotClassificationPipeline(
        GLiClassModel.from_pretrained(opir_like),
        AutoTokenizer.from_pretrained(opir_like),
        classification_type="multi-label",
        device="cpu",
        progress_bar=False,
    )
    texts = ["how to make a bomb", "hello world the bread is safe"]
    ours = await guard.scan(texts)
    for text, result in zip(texts, ours, strict=True):
        reference = {p["label"]: p["score"] for p in pipeline(text, LABELS, threshold=0.0)[0]}
        got = scores(result)
        assert set(got) == set(LABELS)  # scores only: no verdict of its own
        for label in LABELS:
            assert got[label] == pytest.approx(reference[label], abs=1e-5)


async def test_batched_scores_equal_unbatched(opir_like: Path) -> None:
    guard = create(opir_like, batch_size=3)
    texts = ["hello", "how to make a bomb", "the bread is safe to make " * 3, "bomb"]
    together = await guard.scan(texts)
    for text, result in zip(texts, together, strict=True):
        [alone] = await guard.scan([text])
        for a, b in zip(result.findings, alone.findings, strict=True):
            assert a.category == b.category
            assert a.score == pytest.approx(b.score, abs=1e-5)


async def test_long_text_is_read_in_windows_with_the_label_block_whole(opir_like: Path) -> None:
    guard = create(opir_like, max_length=32, window_overlap=4)
    label_token = guard.tokenizer.convert_tokens_to_ids("<<LABEL>>")
    budget = guard.text_budget
    words = ["hello", "world", "the", "bread", "is", "safe"] * 12 + ["make", "a", "bomb"]
    text = " ".join(words)
    windows = guard.windows(0, text)
    assert len(windows) > 2
    for window in windows:
        assert len(window.input_ids) <= 32
        assert window.input_ids.count(label_token) == len(LABELS)  # never truncated
    # The harmful words sit only in the last window; the score per label is the
    # maximum over windows, each scored as if it were the whole text.
    [long] = await guard.scan([text])
    stride = budget - 4
    pieces = [" ".join(words[s : s + budget]) for s in range(0, len(words) - 4, stride)]
    assert len(pieces) == len(windows)
    singles = await guard.scan(pieces)
    for label in LABELS:
        expected = max(scores(r)[label] for r in singles)
        assert scores(long)[label] == pytest.approx(expected, abs=1e-5)
    bomb = guard.tokenizer.convert_tokens_to_ids("bomb")
    assert bomb in windows[-1].input_ids and "bomb" in pieces[-1]
    assert all(bomb not in w.input_ids for w in windows[:-1])


async def test_text_first_models_keep_their_labels_too(tmp_path: Path) -> None:
    model = gliclass_model(tmp_path / "text-first", prompt_first=False)
    guard = create(model, max_length=32)
    [window, *_] = guard.windows(0, "hello world " * 40)
    label_token = guard.tokenizer.convert_tokens_to_ids("<<LABEL>>")
    assert window.input_ids.count(label_token) == len(LABELS)
    # text, then the whole label block closed by <<SEP>>, then [SEP]
    assert guard.tokenizer.convert_ids_to_tokens(window.input_ids[-2:]) == ["<<SEP>>", "[SEP]"]
    [result] = await guard.scan(["hello world " * 40])
    assert len(result.findings) >= len(LABELS)


async def test_single_label_softmax(opir_like: Path) -> None:
    single = create(opir_like, classification="single-label")
    assert single.categories == ("toxicity", "violence", "weapons", "benign")
    [result] = await single.scan(["how to make a bomb"])
    assert sum(f.score for f in result.findings) == pytest.approx(1.0, abs=1e-5)


async def test_per_label_thresholds_are_the_policys(opir_like: Path) -> None:
    """What the guard's old ``threshold`` and ``benign`` settings did, a policy
    says now: thresholds on the labels that count (the benign one left out),
    compared by over_threshold, at the threshold counting as over it."""
    text = "how to make a bomb"
    [result] = await create(opir_like).scan([text])
    got = scores(result)
    harmful = [lb for lb in LABELS if lb != "benign"]
    top = max(harmful, key=lambda lb: got[lb])

    def policy(thresholds: dict[str, float]) -> Policy:
        return PolicyLoader().load_text(
            f"""\
version: 1
guards:
  opir: {{type: gliclass, model: "{opir_like}", labels: {LABELS}, thresholds: {thresholds}}}
rules:
  - {{name: over, when: 'over_threshold("opir")', action: block}}
""",
            path="p.yaml",
        )

    async def action(thresholds: dict[str, float]) -> Action:
        [evaluation] = await PolicyEvaluator().evaluate(
            policy(thresholds), Stage.INPUT, [text], RequestInfo()
        )
        return evaluation.decision.action

    # Labels without a threshold never count: here only weapons has one.
    assert await action({"weapons": 0.99999}) is Action.ALLOW
    # At 0 every named label is over, whatever the text.
    assert await action(dict.fromkeys(harmful, 0.0)) is Action.BLOCK
    above = {lb: min(got[lb] + 1e-3, 1.0) for lb in harmful}
    assert await action(above) is Action.ALLOW  # each harmful label under its own
    assert await action({**above, top: got[top]}) is Action.BLOCK  # at it counts as over


def test_hierarchy_and_dotted_labels_flatten_to_categories(opir_like: Path) -> None:
    labels = {
        "ai_system_security": ["indirect prompt injection", "secret exfiltration"],
        "safe_and_benign": ["harm prevention"],
    }
    assert flatten_labels(labels) == [
        "ai_system_security.indirect prompt injection",
        "ai_system_security.secret exfiltration",
        "safe_and_benign.harm prevention",
    ]
    guard = default_registry().create(
        "opir", "gliclass", {"model": str(opir_like), "labels": labels, "prompt": "classify this:"}
    )
    assert guard.categories == (
        "ai_system_security_indirect_prompt_injection",
        "ai_system_security_secret_exfiltration",
        "safe_and_benign_harm_prevention",
    )


def test_configuration_errors_are_clear(opir_like: Path) -> None:
    with pytest.raises(GuardConfigError, match=r"leaving .* for the text"):
        create(opir_like, max_length=16)
    # Settings that only chose what counted towards `flagged` say where they went.
    with pytest.raises(GuardConfigError, match="`benign` is no longer a setting") as e:
        create(opir_like, benign=["benign"])
    assert e.value.field == ("benign",)
    with pytest.raises(GuardConfigError, match=r'over_threshold\("opir"\)') as e:
        create(opir_like, threshold=0.5)
    assert e.value.field == ("threshold",)
    with pytest.raises(GuardConfigError, match="huggingface-cli download knowledgator/opir"):
        default_registry().create(
            "opir", "gliclass", {"model": "knowledgator/opir-x", "labels": LABELS}
        )


async def test_max_windows_makes_an_overlong_text_a_guard_error(opir_like: Path) -> None:
    guard = create(opir_like, max_length=32, max_windows=2)
    with pytest.raises(GuardError, match="max_windows is 2"):
        await guard.scan(["hello world " * 200])


async def test_lazy_load_knows_categories_before_loading(opir_like: Path) -> None:
    guard = default_registry().create(
        "opir", "gliclass", {"model": str(opir_like), "labels": LABELS}, lazy=True
    )
    assert guard.categories == tuple(LABELS)
    [result] = await guard.scan(["hello"])
    assert len(result.findings) >= 4


async def test_constructing_never_touches_the_weights(tmp_path: Path) -> None:
    missing = tmp_path / "not-downloaded"
    guard = GLiClassGuard("opir", GLiClassGuard.Settings(model=str(missing), labels=LABELS))
    assert not guard.loaded
    assert guard.categories == tuple(LABELS)
    with pytest.raises(GuardError, match="has not loaded its weights"):
        await guard.scan(["hello"])
    with pytest.raises(GuardConfigError, match=f"no such directory {missing}"):
        guard.load()
    # Lazily, the same failure is the first scan's guard error, with the same message.
    lazy = default_registry().create(
        "opir", "gliclass", {"model": str(missing), "labels": LABELS}, lazy=True
    )
    with pytest.raises(GuardError, match=f"failed to load: cannot load model .*{missing}"):
        await lazy.scan(["hello"])


async def test_forward_passes_respect_the_token_budget(opir_like: Path) -> None:
    guard = create(opir_like, batch_tokens=48, batch_size=8)
    texts = ["hello", "bomb", "the bread is safe to make " * 4, "how to make a bomb", "a"]
    windows = sorted(
        (w for i, t in enumerate(texts) for w in guard.windows(i, t)),
        key=lambda w: len(w.input_ids),
    )
    chunks = guard._chunks(windows)
    assert sum(len(c) for c in chunks) == len(windows) and len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) == 1 or len(chunk) * max(len(w.input_ids) for w in chunk) <= 48
    together = await guard.scan(texts)
    for text, result in zip(texts, together, strict=True):
        [alone] = await create(opir_like).scan([text])
        assert [f.score for f in result.findings] == pytest.approx(
            [f.score for f in alone.findings], abs=1e-5
        )
