"""Driving a GuardedStream in-process: decoded events in, events out."""

from __future__ import annotations

from typing import Any

from sluicegate.policies.engine import RequestInfo
from sluicegate.policies.evaluator import PolicyEvaluator
from sluicegate.policies.loader import PolicyLoader
from sluicegate.policies.policy import Policy
from sluicegate.proxy.enforcement import OutputGuardStage
from sluicegate.proxy.payloads.kinds import EndpointKind
from sluicegate.proxy.streaming import GuardedStream, codec_for
from tests.support.guards import trigger_registry

HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}


def policy(text: str) -> Policy:
    return PolicyLoader(trigger_registry()).load_text(text, path="stream.yaml")


def stream(kind: EndpointKind, pol: Policy) -> GuardedStream:
    return GuardedStream(codec_for(kind), pol, OutputGuardStage(PolicyEvaluator()), RequestInfo())


async def run(session: GuardedStream, events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """What the client gets after each upstream event, then after the end."""
    out = [await session.feed(event) for event in events]
    out.append(await session.finish())
    return out


def flat(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [event for batch in batches for event in batch]


def chunk(delta: dict[str, Any], index: int = 0, finish: str | None = None, **extra: Any) -> dict:
    return {**HEAD, "choices": [{"index": index, "delta": delta, "finish_reason": finish, **extra}]}
