"""Small guard types for tests: deterministic triggers, failures, slowness."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from sluicegate.guards.base import Finding, GuardResult, Span
from sluicegate.guards.registry import GuardRegistry, GuardType, default_registry


class TriggerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    triggers: dict[str, str] = Field(default_factory=dict)  # substring -> category
    score: float = 1.0
    fail: bool = False
    delay_ms: float = 0.0


class TriggerGuard:
    """Reports ``category`` with a span wherever its trigger substring occurs.
    Async (not a SyncGuard), so the runner schedules it with a timeout."""

    Settings = TriggerSettings

    def __init__(self, name: str, settings: TriggerSettings) -> None:
        self.name = name
        self.settings = settings
        self.categories = tuple(sorted(set(settings.triggers.values())))
        self.calls = 0

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        self.calls += 1
        if self.settings.delay_ms:
            await asyncio.sleep(self.settings.delay_ms / 1000)
        if self.settings.fail:
            raise RuntimeError("guard exploded")
        results = []
        for text in texts:
            findings = []
            for trigger, category in self.settings.triggers.items():
                start = text.find(trigger)
                while start != -1:
                    span = Span(start, start + len(trigger))
                    findings.append(Finding(category, self.settings.score, span))
                    start = text.find(trigger, start + 1)
            results.append(GuardResult(self.name, tuple(findings)))
        return results


    def settled(self, text: str) -> int:
        """Incremental (:class:`sluicegate.guards.base.IncrementalGuard`): held
        from the longest tail that is the start of a trigger (a whole trigger
        at the end included)."""
        held = len(text)
        for trigger in self.settings.triggers:
            for start in range(max(0, len(text) - len(trigger)), len(text)):
                if trigger.startswith(text[start:]):
                    held = min(held, start)
                    break
        return held


def trigger_registry() -> GuardRegistry:
    registry = default_registry()
    registry.register(GuardType("trigger", __name__, "TriggerGuard"))
    return registry
