"""``window`` streaming at the chunk level: decoded stream chunks in, the
chunks to send on out. The gateway's SSE relay
(:mod:`sluicegate.proxy.window_stream`) and the LiteLLM guardrail (which is
handed decoded chunks) both run on it. Per choice, ``content`` (``text`` for
completions) goes into a :class:`~sluicegate.proxy.windowing.TextWindow` and
is released only after the
output guards have read it; every other delta field (tool calls, refusals,
reasoning text) is held until the choice ends, then the whole answer is
checked exactly as the non-streamed path checks it. Chunks go in and come out
as plain dicts in the OpenAI ``chat.completion.chunk`` (or ``text_completion``)
shape, so this module knows nothing about LiteLLM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..policies.decisions import Action, DecisionReason, PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from ..policies.redaction import RedactionSpan
from .answers import apply_output, output_bundle
from .enforcement import OutputGuardStage, decision_record, strongest
from .payloads import PayloadShapeError, TextBundle, TextSegment
from .sse import AssembledStream, SSEFormatError
from .windowing import TextWindow

__all__ = ["ChunkWindow"]

Chunk = dict[str, Any]


@dataclass
class _ChoiceState:
    window: TextWindow
    finished: bool = False  # upstream sent a finish_reason
    closed: bool = False  # we sent ours
    decision: PolicyDecision | None = None  # strongest seen; the final one once closed

    def note(self, decision: PolicyDecision) -> None:
        if self.decision is None or decision.action.rank > self.decision.action.rank:
            self.decision = decision


@dataclass
class ChunkWindow:
    """One streamed answer. :meth:`feed` each upstream chunk, then
    :meth:`finish`; both yield the chunks to send on, in order."""

    policy: Policy
    kind: str  # "chat" or "text"
    stage: OutputGuardStage
    info: RequestInfo
    buffered: bool = False  # ``buffer`` mode: no checks before the end, one release then
    assembled: AssembledStream = field(init=False)
    states: dict[int, _ChoiceState] = field(default_factory=dict)
    checks: int = 0  # guard stage runs, for the record
    usage: Any = None  # a ``usage`` that came on a chunk with choices

    def __post_init__(self) -> None:
        self.assembled = AssembledStream(self.kind, [], {}, {}, [])

    async def feed(self, chunk: Mapping[str, Any]) -> AsyncIterator[Chunk]:
        """Raises :class:`PayloadShapeError` for a chunk that is not an OpenAI
        stream chunk (the caller ends the stream: nothing unread goes out)."""
        decoded = _checked(chunk)
        try:
            self.assembled.add(decoded)
        except SSEFormatError as exc:
            raise PayloadShapeError(str(exc)) from None
        entries = decoded.get("choices") or []
        if entries and decoded.get("usage") is not None:
            self.usage = decoded["usage"]
        for entry in entries:
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
                    yield self._delta(index, delta)
            if state.window.check_due and not state.finished and not self.buffered:
                async for out in self._check(index, state):
                    yield out

    async def _check(self, index: int, state: _ChoiceState) -> AsyncIterator[Chunk]:
        """Guard the text so far; release the next safe piece or end the choice."""
        path: tuple[str | int, ...] = (
            ("choices", index, "text")
            if self.kind == "text"
            else ("choices", index, "message", "content")
        )
        outcome = await self._run([TextBundle((TextSegment(path, state.window.text),))])
        [evaluation] = outcome.evaluations
        state.note(evaluation.decision)
        if evaluation.decision.action not in (Action.ALLOW, Action.REDACT):
            # Confirm on the stable part: a block that comes only from the
            # still-growing tail holds everything and lets later text decide.
            stable = state.window.stable_text()
            confirmed = None
            if stable:
                confirmed = await self._run([TextBundle((TextSegment(path, stable),))])
            if confirmed is not None and confirmed.decision.action not in (
                Action.ALLOW,
                Action.REDACT,
            ):
                for out in self._block(index, state, confirmed.decision):
                    yield out
            else:
                state.window.hold()
            return
        piece = state.window.release(evaluation.redactions, final=False)
        if piece:
            yield self._content(index, piece)

    async def finish(self) -> AsyncIterator[Chunk]:
        """The upstream is done: check each open choice whole, as the
        non-streamed path would, and release the rest."""
        open_states = {i: s for i, s in self.states.items() if not s.closed}
        if open_states:
            choices = self.assembled.as_response_choices()
            by_index = {c["index"]: c for c in choices}
            indices = sorted(open_states)
            bundles = [output_bundle(by_index[i], pos, self.kind) for pos, i in enumerate(indices)]
            answer = {"choices": [by_index[i] for i in indices]}
            outcome = await self._run(bundles)
            apply_output(answer, outcome, self.kind)
            for pos, index in enumerate(indices):
                state = open_states[index]
                evaluation = outcome.evaluations[pos]
                if answer["choices"][pos].get("finish_reason") == "content_filter":
                    for out in self._block(index, state, evaluation.decision):
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
                last = self._delta(index, {}, finish_reason=reason)
                if pos == len(indices) - 1 and self.usage is not None:
                    last["usage"] = self.usage  # it came on a chunk with choices: keep it
                yield last
        for usage in self.assembled.usage_chunks:
            yield dict(usage)

    def _block(self, index: int, state: _ChoiceState, decision: PolicyDecision) -> list[Chunk]:
        state.closed = True
        if decision.action is Action.REDACT:  # redaction would have broken tool-call JSON
            decision = replace(
                decision, action=Action.BLOCK, reason=DecisionReason.REDACTION_CONFLICT
            )
        state.decision = decision
        message = decision.message or self.policy.spec.output_block_message
        notice = message if self.policy.spec.streaming.block_notice else ""
        if self.kind == "text":
            return [
                self._chunk({"index": index, "text": notice, "finish_reason": "content_filter"})
            ]
        return [
            self._delta(
                index, {"content": notice} if notice else {}, finish_reason="content_filter"
            )
        ]

    async def _run(self, bundles: list[TextBundle]) -> Any:
        self.checks += 1
        return await self.stage.check(self.policy, bundles, self.info)

    def _held_fields(self, choice: dict[str, Any]) -> dict[str, Any]:
        """Everything but content, as the policy left it, for one last delta."""
        if self.kind == "text":
            return {}
        message = choice["message"]
        rest = {k: v for k, v in message.items() if k not in ("role", "content") and v}
        for i, call in enumerate(rest.get("tool_calls", [])):
            call["index"] = i
        return rest

    def _content(self, index: int, text: str) -> Chunk:
        if self.kind == "text":
            return self._chunk({"index": index, "text": text, "finish_reason": None})
        return self._delta(index, {"content": text})

    def _delta(self, index: int, delta: dict[str, Any], finish_reason: str | None = None) -> Chunk:
        if self.kind == "text":
            return self._chunk({"index": index, "text": "", "finish_reason": finish_reason})
        return self._chunk({"index": index, "delta": delta, "finish_reason": finish_reason})

    def _chunk(self, choice: dict[str, Any]) -> Chunk:
        obj = "text_completion" if self.kind == "text" else "chat.completion.chunk"
        return {**self.assembled.head, "object": obj, "choices": [choice]}

    def record(self) -> dict[str, Any]:
        """The output decision, in the audit line's shape."""
        decisions = [s.decision for s in self.states.values() if s.decision is not None]
        if decisions:
            rules = (r for d in decisions for r in d.rule_names)
            out = decision_record(strongest(decisions), rules)
        else:
            out = {"decision": "none", "reason": "stream ended before any check"}
        out["max_held_chars"] = max((s.window.max_held for s in self.states.values()), default=0)
        late = sum(s.window.late_spans for s in self.states.values())
        if late:
            out["late_spans"] = late
        return out

    @property
    def decision(self) -> PolicyDecision | None:
        """The strongest decision over every choice so far."""
        decisions = [s.decision for s in self.states.values() if s.decision is not None]
        return strongest(decisions) if decisions else None


def _content_spans(bundle: TextBundle, spans: tuple[RedactionSpan, ...]) -> list[RedactionSpan]:
    """The bundle's redaction spans that fall in its content segment, in content offsets."""
    for segment, seg_spans in zip(bundle.segments, bundle.spans_by_segment(spans), strict=True):
        if segment.path[-1] in ("content", "text"):
            return seg_spans
    return []


def _checked(chunk: Any) -> Chunk:
    """``chunk`` as a dict, if it has the shape of an OpenAI stream chunk (the
    checks :func:`sluicegate.proxy.sse.decode_chunk` makes on SSE payloads)."""
    if not isinstance(chunk, Mapping):
        raise PayloadShapeError("stream chunk is not an object")
    if chunk.get("error") is not None:
        raise PayloadShapeError(f"upstream reported an error mid-stream: {chunk['error']}")
    entries = chunk.get("choices") or []
    if not isinstance(entries, list):
        raise PayloadShapeError("stream chunk has 'choices' that is not a list")
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("index", 0), int):
            raise PayloadShapeError("stream chunk has a malformed choice")
    return dict(chunk)
