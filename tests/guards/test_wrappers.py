"""Caching and micro-batching wrap a guard and are guards themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from sluicegate.guards.base import Finding, GuardResult
from sluicegate.guards.batching import MicroBatchingGuard
from sluicegate.guards.caching import CachingGuard
from sluicegate.policies.decisions import Action, Stage
from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from tests.support.guards import trigger_registry


class CountingGuard:
    """Scores a text by its length (so results are easy to check) and counts calls."""

    def __init__(self, delay_s: float = 0.0, fail: bool = False) -> None:
        self.name = "counting"
        self.categories = ("length",)
        self.calls: list[list[str]] = []
        self.delay_s = delay_s
        self.fail = fail

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        self.calls.append(list(texts))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail:
            raise RuntimeError("model crashed")
        return [GuardResult(self.name, (Finding("length", len(t) / 100),)) for t in texts]


def score(result: GuardResult) -> float:
    return result.findings[0].score


async def test_cache_answers_repeats_without_rescoring() -> None:
    inner = CountingGuard()
    guard = CachingGuard(inner, max_entries=10, ttl_s=60)
    first = await guard.scan(["system prompt", "hello"])
    second = await guard.scan(["system prompt", "new turn", "hello"])
    assert [score(r) for r in first] == [0.13, 0.05]
    assert [score(r) for r in second] == [0.13, 0.08, 0.05]
    assert inner.calls == [["system prompt", "hello"], ["new turn"]]
    assert (guard.hits, guard.misses) == (2, 3)


async def test_cache_entries_expire() -> None:
    now = [0.0]
    inner = CountingGuard()
    guard = CachingGuard(inner, ttl_s=10, clock=lambda: now[0])
    await guard.scan(["a"])
    now[0] = 11.0
    await guard.scan(["a"])
    assert len(inner.calls) == 2


async def test_batching_merges_concurrent_calls_and_keeps_order() -> None:
    inner = CountingGuard()
    guard = MicroBatchingGuard(inner, max_batch=100, max_wait_ms=20)
    texts = [["x" * (i % 7 + 1), "y" * (i % 5 + 1)] for i in range(16)]
    results = await asyncio.gather(*(guard.scan(t) for t in texts))
    assert guard.batches == 1
    assert len(inner.calls[0]) == 32
    assert inner.calls[0] == sorted(inner.calls[0], key=len)  # length-bucketed
    for batch_texts, batch_results in zip(texts, results, strict=True):
        assert [score(r) for r in batch_results] == [len(t) / 100 for t in batch_texts]
    unbatched = [await CountingGuard().scan(t) for t in texts]
    assert results == unbatched


async def test_batch_flushes_when_full() -> None:
    inner = CountingGuard()
    guard = MicroBatchingGuard(inner, max_batch=4, max_wait_ms=10_000)
    results = await asyncio.wait_for(
        asyncio.gather(*(guard.scan([f"t{i}"]) for i in range(8))), timeout=2
    )
    assert len(results) == 8
    assert [len(c) for c in inner.calls] == [4, 4]


async def test_batch_errors_reach_every_caller() -> None:
    guard = MicroBatchingGuard(CountingGuard(fail=True), max_wait_ms=1)
    outcomes = await asyncio.gather(guard.scan(["a"]), guard.scan(["b"]), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)


async def test_a_caller_that_times_out_does_not_break_the_batch() -> None:
    guard = MicroBatchingGuard(CountingGuard(delay_s=0.05), max_wait_ms=1)
    impatient = asyncio.ensure_future(asyncio.wait_for(guard.scan(["a"]), timeout=0.01))
    patient = asyncio.ensure_future(guard.scan(["bb"]))
    with pytest.raises(TimeoutError):
        await impatient
    assert score((await patient)[0]) == 0.02


async def test_texts_arriving_while_the_model_is_busy_form_the_next_batch() -> None:
    inner = CountingGuard(delay_s=0.05)
    guard = MicroBatchingGuard(inner, max_batch=16, max_wait_ms=1)
    first = asyncio.ensure_future(guard.scan(["a"]))
    await asyncio.sleep(0.01)  # the first batch is running now
    later = [asyncio.ensure_future(guard.scan([f"b{i}"])) for i in range(5)]
    await asyncio.sleep(0.01)
    assert len(inner.calls) == 1  # queued, not a second concurrent batch
    await asyncio.gather(first, *later)
    assert [len(c) for c in inner.calls] == [1, 5]


async def test_concurrent_batches_when_allowed_and_oversized_queues_split() -> None:
    inner = CountingGuard(delay_s=0.05)
    guard = MicroBatchingGuard(inner, max_batch=2, max_wait_ms=1, max_concurrent=2)
    results = await asyncio.gather(*(guard.scan([f"t{i}"]) for i in range(7)))
    assert [score(r[0]) for r in results] == [0.02] * 7
    assert sorted(len(c) for c in inner.calls) == [1, 2, 2, 2]
    assert guard.batches == 4


async def test_policy_keys_wrap_guards() -> None:
    policy = PolicyLoader(trigger_registry()).load_text(
        """\
version: 1
guards:
  t: {type: trigger, triggers: {"bad": harm}, cache: {ttl_s: 60}, batch: {max_wait_ms: 1}}
rules:
  - {name: b, when: 'scores["t.harm"] > 0.5', action: block}
""",
        path="p.yaml",
    )
    guard = policy.guards["t"].guard
    assert isinstance(guard, CachingGuard)
    assert isinstance(guard.inner, MicroBatchingGuard)
    evaluator = PolicyEvaluator()
    for _ in range(3):
        [result] = await evaluator.evaluate(policy, Stage.INPUT, ["a bad text"], RequestInfo())
        assert result.decision.action is Action.BLOCK
    assert guard.hits == 2
