"""``window`` mode: relay a stream while guarding it, releasing text only
after the output guards have read it (see :mod:`sluicegate.proxy.windowing`).

Per choice, ``content`` (``text`` for completions) is released window by
window. Tool calls, refusals and reasoning text are held until the choice
ends, then checked with the whole answer exactly as the non-streamed path
checks it, and released redacted, or the choice is ended with
``finish_reason: content_filter``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from ..policies.decisions import Action, DecisionReason, PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from ..policies.redaction import RedactionSpan
from .answers import apply_output, output_bundle
from .enforcement import OutputGuardStage, decision_record, strongest
from .payloads import PayloadShapeError, TextBundle, TextSegment
from .sse import (
    DONE_EVENT,
    AssembledStream,
    SSEFormatError,
    SSEParser,
    decode_chunk,
    encode_event,
    error_event,
)
from .windowing import TextWindow

__all__ = ["WindowedStream"]


@dataclass
class _ChoiceState:
    window: TextWindow
    finished: bool = False  # upstream sent a finish_reason
    closed: bool = False  # we sent ours
    decision: PolicyDecision | None = None  # strongest seen; the final one once closed

    def note(self, decision: PolicyDecision) -> None:
        """Keep the strongest decision so far, for the audit line."""
        if self.decision is None or decision.action.rank > self.decision.action.rank:
            self.decision = decision


@dataclass
class WindowedStream:
    """One streamed answer: feed it upstream bytes, it yields client bytes."""

    policy: Policy
    kind: str  # "chat" or "text"
    stage: OutputGuardStage
    info: RequestInfo
    record: dict[str, Any]
    on_done: Callable[[dict[str, Any]], None]
    max_bytes: int
    assembled: AssembledStream = field(init=False)
    states: dict[int, _ChoiceState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.assembled = AssembledStream(self.kind, [], {}, {}, [])

    async def relay(self, upstream: httpx.Response, started: float) -> AsyncIterator[bytes]:
        parser = SSEParser()
        status = "client disconnected"  # unless the stream gets further
        size = 0
        try:
            async for data in upstream.aiter_raw():
                size += len(data)
                if size > self.max_bytes:
                    raise SSEFormatError(
                        f"upstream answer exceeds the gateway's limit of {self.max_bytes} bytes"
                    )
                for payload in parser.feed(data):
                    async for out in self._event(payload):
                        yield out
            for payload in parser.close():
                async for out in self._event(payload):
                    yield out
            async for out in self._finish():
                yield out
            status = "complete"
        except (SSEFormatError, PayloadShapeError) as exc:
            status = f"upstream stream invalid: {exc}"
            yield error_event(str(exc))
        except httpx.HTTPError as exc:
            status = f"upstream failed mid-stream: {type(exc).__name__}"
            yield error_event(f"upstream failed mid-stream: {exc or type(exc).__name__}")
        finally:
            # Normal end, upstream failure and client disconnect (cancellation)
            # alike: close the upstream at once, then write the audit line.
            await upstream.aclose()
            self.record["stream_status"] = status
            self.record["status"] = 200
            self.record["upstream_latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            self._record_output()
            self.on_done(self.record)

    async def _event(self, payload: bytes) -> AsyncIterator[bytes]:
        chunk = decode_chunk(payload)
        if chunk is None:
            return
        self.assembled.add(chunk)
        for entry in chunk.get("choices") or []:
            index = entry.get("index", 0)
            state = self.states.get(index)
            if state is None:
                state = self.states[index] = _ChoiceState(TextWindow(self.policy.spec.streaming))
            if state.closed:
                continue
            if entry.get("finish_reason"):
                state.finished = True
            piece = (
                entry.get("text")
                if self.kind == "text"
                else (entry.get("delta") or {}).get("content")
            )
            if isinstance(piece, str):
                state.window.add(piece)
            if self.kind == "chat" and not entry.get("finish_reason"):
                delta = entry.get("delta") or {}
                if set(delta) <= {"role", "content"} and not delta.get("content"):
                    # Role-only and empty deltas carry no text: they pass as sent.
                    # Anything else is held and goes out after the final check.
                    yield self._delta(index, delta)
            if state.window.check_due and not state.finished:
                async for out in self._check(index, state):
                    yield out

    async def _check(self, index: int, state: _ChoiceState) -> AsyncIterator[bytes]:
        """Guard the text so far; release the next safe piece or end the choice."""
        path: tuple[str | int, ...] = (
            ("choices", index, "text")
            if self.kind == "text"
            else ("choices", index, "message", "content")
        )
        bundle = TextBundle((TextSegment(path, state.window.text),))
        outcome = await self.stage.check(self.policy, [bundle], self.info)
        [evaluation] = outcome.evaluations
        state.note(evaluation.decision)
        if evaluation.decision.action not in (Action.ALLOW, Action.REDACT):
            # Confirm on the stable part: if the block comes only from the
            # still-growing tail, hold everything and let later text decide.
            stable = state.window.stable_text()
            confirmed = None
            if stable:
                bundle = TextBundle((TextSegment(path, stable),))
                confirmed = await self.stage.check(self.policy, [bundle], self.info)
            if confirmed is not None and confirmed.decision.action not in (
                Action.ALLOW,
                Action.REDACT,
            ):
                async for out in self._block(index, state, confirmed.decision):
                    yield out
            else:
                state.window.hold()
            return
        piece = state.window.release(evaluation.redactions, final=False)
        if piece:
            yield self._content(index, piece)

    async def _finish(self) -> AsyncIterator[bytes]:
        """Upstream is done: check each open choice whole, as the non-streamed
        path would, and release the rest."""
        open_states = {i: s for i, s in self.states.items() if not s.closed}
        if open_states:
            choices = self.assembled.as_response_choices()
            by_index = {c["index"]: c for c in choices}
            indices = sorted(open_states)
            bundles = [output_bundle(by_index[i], pos, self.kind) for pos, i in enumerate(indices)]
            answer = {"choices": [by_index[i] for i in indices]}
            outcome = await self.stage.check(self.policy, bundles, self.info)
            apply_output(answer, outcome, self.kind)
            for pos, index in enumerate(indices):
                state = open_states[index]
                evaluation = outcome.evaluations[pos]
                if answer["choices"][pos].get("finish_reason") == "content_filter":
                    async for out in self._block(index, state, evaluation.decision):
                        yield out
                    continue
                spans = _content_spans(bundles[pos], evaluation.redactions)
                piece = state.window.release(spans, final=True)
                if piece:
                    yield self._content(index, piece)
                rest = self._held_fields(answer["choices"][pos])
                if rest:
                    yield self._delta(index, rest)
                state.decision = evaluation.decision
                state.closed = True
                reason = self.assembled.choices[index].finish_reason or "stop"
                yield self._delta(index, {}, finish_reason=reason)
        for usage in self.assembled.usage_chunks:
            yield encode_event(usage)
        yield DONE_EVENT

    async def _block(
        self, index: int, state: _ChoiceState, decision: PolicyDecision
    ) -> AsyncIterator[bytes]:
        state.closed = True
        if decision.action is Action.REDACT:  # redaction would have broken tool-call JSON
            decision = replace(
                decision, action=Action.BLOCK, reason=DecisionReason.REDACTION_CONFLICT
            )
        state.decision = decision
        message = decision.message or self.policy.spec.output_block_message
        notice = message if self.policy.spec.streaming.block_notice else ""
        # One final chunk: the rule's message (if any) and the finish reason.
        if self.kind == "text":
            yield self._event_bytes(
                {"index": index, "text": notice, "finish_reason": "content_filter"}
            )
        else:
            yield self._delta(
                index, {"content": notice} if notice else {}, finish_reason="content_filter"
            )

    def _held_fields(self, choice: dict[str, Any]) -> dict[str, Any]:
        """Everything but content, as the policy left it, for one last delta."""
        if self.kind == "text":
            return {}
        message = choice["message"]
        rest = {k: v for k, v in message.items() if k not in ("role", "content") and v}
        for i, call in enumerate(rest.get("tool_calls", [])):
            call["index"] = i
        return rest

    def _content(self, index: int, text: str) -> bytes:
        if self.kind == "text":
            return self._event_bytes({"index": index, "text": text, "finish_reason": None})
        return self._delta(index, {"content": text})

    def _delta(self, index: int, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        if self.kind == "text":
            return self._event_bytes({"index": index, "text": "", "finish_reason": finish_reason})
        return self._event_bytes({"index": index, "delta": delta, "finish_reason": finish_reason})

    def _event_bytes(self, choice: dict[str, Any]) -> bytes:
        obj = "text_completion" if self.kind == "text" else "chat.completion.chunk"
        return encode_event({**self.assembled.head, "object": obj, "choices": [choice]})

    def _record_output(self) -> None:
        decisions = [s.decision for s in self.states.values() if s.decision is not None]
        if decisions:
            final = strongest(decisions)
            rules = (r for d in decisions for r in d.rule_names)
            self.record["output"] = decision_record(final, rules)
        else:
            self.record["output"] = {"decision": "none", "reason": "stream ended before any check"}
        self.record["output"]["max_held_chars"] = max(
            (s.window.max_held for s in self.states.values()), default=0
        )
        late = sum(s.window.late_spans for s in self.states.values())
        if late:
            self.record["output"]["late_spans"] = late


def _content_spans(bundle: TextBundle, spans: tuple[RedactionSpan, ...]) -> list[RedactionSpan]:
    """The bundle's redaction spans that fall in its content segment, in content offsets."""
    for segment, seg_spans in zip(bundle.segments, bundle.spans_by_segment(spans), strict=True):
        if segment.path[-1] in ("content", "text"):
            return seg_spans
    return []
