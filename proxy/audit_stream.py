"""``audit`` mode: relay a stream at once and guard it in the background.

Not protective: text reaches the client before any guard has read it. The
decision is recorded when the stream ends, so operators can measure what a
stricter mode would have done; with ``cut_on_block`` a block found in the
background ends the stream early (what was already sent stays sent).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..policies.decisions import Action, PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from .answers import output_bundle
from .enforcement import OutputGuardStage, StageOutcome, decision_record, strongest
from .payloads import PayloadShapeError
from .sse import (
    DONE_EVENT,
    AssembledStream,
    SSEFormatError,
    SSEParser,
    decode_chunk,
    encode_event,
    error_event,
)

__all__ = ["AuditedStream"]


@dataclass
class AuditedStream:
    policy: Policy
    kind: str
    stage: OutputGuardStage
    info: RequestInfo
    record: dict[str, Any]
    on_done: Callable[[dict[str, Any]], None]
    max_bytes: int
    spawn: Callable[[Coroutine[Any, Any, None]], None]  # run after the response is gone
    assembled: AssembledStream = field(init=False)
    checks: list[asyncio.Task[StageOutcome]] = field(default_factory=list)
    checked_chars: int = 0

    def __post_init__(self) -> None:
        self.assembled = AssembledStream(self.kind, [], {}, {}, [])

    async def relay(self, upstream: httpx.Response, started: float) -> AsyncIterator[bytes]:
        parser = SSEParser()
        status = "client disconnected"
        size = 0
        cut: PolicyDecision | None = None
        try:
            async for data in upstream.aiter_raw():
                size += len(data)
                if size > self.max_bytes:
                    raise SSEFormatError(f"upstream answer exceeds {self.max_bytes} bytes")
                for payload in parser.feed(data):
                    chunk = decode_chunk(payload)
                    if chunk is None:
                        continue
                    self.assembled.add(chunk)
                    yield encode_event(chunk)
                    self._maybe_check()
                    cut = self._blocking_result()
                    if cut is not None:
                        break
                if cut is not None:
                    break
            if cut is not None:
                for index in sorted(self.assembled.choices):
                    yield self._finish_event(index, "content_filter")
                yield DONE_EVENT
                status = "cut on block"
            else:
                yield DONE_EVENT
                status = "complete"
        except (SSEFormatError, PayloadShapeError) as exc:
            status = f"upstream stream invalid: {exc}"
            yield error_event(str(exc))
        except httpx.HTTPError as exc:
            status = f"upstream failed mid-stream: {type(exc).__name__}"
            yield error_event(status)
        finally:
            await upstream.aclose()
            self.record.update(
                stream_status=status,
                status=200,
                upstream_latency_ms=round((time.perf_counter() - started) * 1000, 3),
            )
            # The final, whole-answer check runs after the client has it all.
            self.spawn(self._final(cut))

    def _text_length(self) -> int:
        return sum(len(t) for c in self.assembled.choices.values() for t in c.text.values())

    def _maybe_check(self) -> None:
        length = self._text_length()
        if length - self.checked_chars >= self.policy.spec.streaming.window_chars:
            self.checked_chars = length
            self.checks.append(asyncio.ensure_future(self._check()))

    async def _check(self) -> StageOutcome:
        choices = self.assembled.as_response_choices()
        bundles = [output_bundle(c, i, self.kind) for i, c in enumerate(choices)]
        return await self.stage.check(self.policy, bundles, self.info)

    def _blocking_result(self) -> PolicyDecision | None:
        if not self.policy.spec.streaming.cut_on_block:
            return None
        for task in self.checks:
            if task.done() and not task.cancelled() and task.exception() is None:
                decision = task.result().decision
                if decision.action is Action.BLOCK:
                    return decision
        return None

    async def _final(self, cut: PolicyDecision | None) -> None:
        try:
            outcome = await self._check() if self.assembled.choices else None
            decisions = [cut] if cut is not None else []
            if outcome is not None:
                decisions.append(outcome.decision)
            if decisions:
                final = strongest(decisions)
                self.record["output"] = {
                    **decision_record(final),
                    "mode": "audit (not protective: released before checking)",
                }
        except Exception as exc:  # the audit line must still be written
            self.record["output"] = {"decision": "error", "error": f"{type(exc).__name__}: {exc}"}
        finally:
            for task in self.checks:
                task.cancel()
            self.on_done(self.record)

    def _finish_event(self, index: int, reason: str) -> bytes:
        obj = "text_completion" if self.kind == "text" else "chat.completion.chunk"
        body: dict[str, Any] = {"index": index, "finish_reason": reason}
        body["text" if self.kind == "text" else "delta"] = "" if self.kind == "text" else {}
        return encode_event({**self.assembled.head, "object": obj, "choices": [body]})
