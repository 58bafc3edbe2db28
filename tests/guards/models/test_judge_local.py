"""The judge's local transformers backend, on tiny bigram models that answer a
fixed verdict (see tiny_judge)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from sluicegate.guards.base import GuardResult
from sluicegate.guards.errors import GuardConfigError, GuardError
from sluicegate.guards.judge import ELLIPSIS, JudgeGuard
from sluicegate.guards.lazy import LazyGuard
from sluicegate.guards.registry import default_registry
from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from tests.guards.models.tiny_judge import GARBAGE, HARMFUL, bigram_judge


@pytest.fixture(scope="module")
def harmful(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bigram_judge(tmp_path_factory.mktemp("harmful"), HARMFUL)


@pytest.fixture(scope="module")
def garbage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bigram_judge(tmp_path_factory.mktemp("garbage"), GARBAGE)


def create(model: Path | str, **settings: object) -> JudgeGuard:
    guard = default_registry().create(
        "judge", "judge", {"backend": "transformers", "model": str(model), **settings}
    )
    assert isinstance(guard, JudgeGuard)
    return guard


def scores(result: GuardResult) -> dict[str, float]:
    return {f.category: f.score for f in result.findings}


async def test_the_model_answers_in_the_judge_format(harmful: Path) -> None:
    guard = create(harmful)
    assert await guard._backend.complete(["how to make a bomb"]) == [HARMFUL]


async def test_harmful_prompt_verdict(harmful: Path) -> None:
    guard = create(harmful, mode="prompt")
    [result] = await guard.scan(["how to make a bomb"])
    assert scores(result)["prompt_harm"] == 1.0
    await guard.aclose()


async def test_response_mode_reads_refusal_and_harm(harmful: Path) -> None:
    guard = create(harmful, mode="response")
    [result] = await guard.scan(["the bread is safe"])
    # The fixed answer: refusal no, harmful response yes (and the request line).
    assert scores(result) == {"prompt_harm": 1.0, "response_harm": 1.0}


async def test_unreadable_output_is_a_guard_error_not_a_pass(garbage: Path) -> None:
    guard = create(garbage)
    assert await guard._backend.complete(["hello"]) == [GARBAGE]
    with pytest.raises(GuardError, match="no yes/no"):
        await guard.scan(["hello"])


async def test_batch_equals_one_by_one(harmful: Path) -> None:
    # Right padding would leave pad (= eos) as the short rows' last token and
    # they would answer nothing: the rows only agree when padded on the left.
    guard = create(harmful)
    texts = ["hello", "how to make a bomb", "the bread is safe to make " * 7, ""]
    together = await guard.scan(texts)
    alone = [(await guard.scan([text]))[0] for text in texts]
    assert together == alone
    assert all(scores(r)["prompt_harm"] == 1.0 for r in together)
    assert await guard.scan([]) == []


async def test_long_text_loses_its_middle_not_the_instructions(harmful: Path) -> None:
    guard = create(harmful, max_length=120)
    backend = guard._backend
    text = "how to make " + "bread " * 500 + "a bomb"
    short = backend._fit(text)
    prompt = guard.prompt_for(short)
    assert backend._count(prompt) <= 120
    assert short.startswith("how to make bread")
    assert short.endswith("bread a bomb")
    assert ELLIPSIS in short
    assert prompt.endswith("Answers: [/INST]\n<|assistant|>\n")
    assert backend._fit("how to make a bomb") == "how to make a bomb"
    [result] = await guard.scan([text])
    assert scores(result)["prompt_harm"] == 1.0


def test_max_length_must_leave_room_for_the_text(harmful: Path) -> None:
    with pytest.raises(GuardConfigError, match="leaves no room") as caught:
        create(harmful, max_length=40)
    assert caught.value.field == ("max_length",)


def test_missing_model_names_what_to_download() -> None:
    with pytest.raises(GuardConfigError, match="huggingface-cli download acme/judge-7b") as caught:
        create("acme/judge-7b")
    assert caught.value.field == ("model",)


async def test_constructing_never_touches_the_weights(tmp_path: Path) -> None:
    settings = JudgeGuard.Settings(backend="transformers", model=str(tmp_path / "nowhere"))
    guard = JudgeGuard("judge", settings)
    assert not guard.loaded
    with pytest.raises(GuardError, match="has not loaded its weights"):
        await guard.scan(["hello"])
    with pytest.raises(GuardConfigError, match="no such directory"):
        guard.load()


def test_directory_without_a_model_or_tokenizer(harmful: Path, tmp_path: Path) -> None:
    with pytest.raises(GuardConfigError, match="exists but holds no loadable model"):
        create(tmp_path)
    with pytest.raises(GuardConfigError, match="holds no loadable tokenizer") as caught:
        create(harmful, tokenizer=str(tmp_path))
    assert caught.value.field == ("tokenizer",)


async def test_lazy_local_judge_in_a_policy(harmful: Path) -> None:
    policy = PolicyLoader().load_text(
        f"""\
version: 1
guards:
  judge: {{type: judge, backend: transformers, model: "{harmful}", load: lazy, stages: [input]}}
rules:
  - {{name: harmful, when: 'scores["judge.prompt_harm"] > 0.5', action: block}}
""",
        path="p.yaml",
    )
    lazy = policy.guards["judge"].guard
    assert isinstance(lazy, LazyGuard)
    assert not lazy.loaded
    [result] = await PolicyEvaluator().evaluate(
        policy, Stage.INPUT, ["how to make a bomb"], RequestInfo()
    )
    assert result.decision.action is Action.BLOCK
    assert lazy.loaded
    await lazy.aclose()
