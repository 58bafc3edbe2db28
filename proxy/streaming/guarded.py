"""One streamed answer under the policy's ``streaming`` mode: decoded upstream
events in, the events to send on out. No I/O here: the gateway's relay and
the LiteLLM guardrail both drive it.

Entries leave in the upstream's order within each group (a chat choice, a
response); an entry that belongs to the whole stream (a usage chunk) waits
for everything before it. The modes are policies over the same gates:

* ``window``: text leaves once a check of the text so far lets the gate open;
  each group is checked whole at its end, as the non-streamed path checks it.
* ``buffer``: no check before a group's end; then all of it at once.
* ``audit``: everything leaves as it comes; checks run beside it and are
  recorded (with ``cut_on_block``, a background block ends the stream).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any

from ...policies.decisions import Action, PolicyDecision
from ...policies.engine import RequestInfo
from ...policies.policy import Policy
from ...policies.schema import StreamingMode
from ..enforcement.checks import apply_output
from ..enforcement.stages import OutputGuardStage, StageOutcome, decision_record, strongest
from ..payloads.bundles import TextBundle, TextSegment
from .codec import Entry, EntryKind, Group, StreamCodec
from .gate import TextGate

__all__ = ["GuardedStream"]

Event = dict[str, Any]
_PASSING_ACTIONS = (Action.ALLOW, Action.REDACT)
# A piece is sent in two only when the part the gate lets out is this long:
# token-sized pieces wait for the next piece instead, so the client gets the
# upstream's deltas back one for one; a provider's long pieces still flow.
_SPLIT_CHARS = 32


class GuardedStream:
    def __init__(
        self,
        codec: StreamCodec,
        policy: Policy,
        stage: OutputGuardStage,
        info: RequestInfo,
        *,
        mode: StreamingMode | None = None,
    ) -> None:
        self.codec = codec
        self.policy = policy
        self.stage = stage
        self.info = info
        self.spec = policy.spec.streaming
        self.mode = mode or self.spec.mode
        if self.mode is StreamingMode.PASSTHROUGH:
            raise ValueError("passthrough streams are relayed, not guarded")
        # Whether every output guard can say what is settled: then checks run
        # on every piece and text leaves as soon as nothing can still match.
        self.incremental = stage.settled(policy, "") is not None
        self.gates: dict[Hashable, TextGate] = {}
        self.pending: list[Entry] = []
        self.groups: dict[Group, list[Hashable]] = {}  # group -> its channels
        self.closed: set[Group] = set()  # blocked: nothing more of it leaves
        self.answers: dict[Group, Event] = {}  # checked whole and not blocked
        self.final: dict[Group, PolicyDecision] = {}  # each group's last decision
        self.noted: dict[Group, PolicyDecision] = {}  # strongest seen in window checks
        self.checks = 0
        self.stopped = False  # the stream was cut: read no further
        self._order: list[Group] = []  # groups in the order they first came
        self._begun: set[Group] = set()  # groups the client has seen
        self._audit_checks: list[asyncio.Task[StageOutcome]] = []
        self._audit_checked = 0

    # -- driving -----------------------------------------------------------

    async def feed(self, event: Event) -> list[Event]:
        """The events to send after one upstream event."""
        if self.stopped:
            return []
        out: list[Event] = []
        for entry in self.codec.split(event):
            await self._take(entry, out)
        if self.mode is StreamingMode.AUDIT:
            self._audit_cut(out)
        out += self._drain()
        return out

    async def finish(self) -> list[Event]:
        """The upstream ended: check and close what it left open."""
        if self.stopped:
            return []
        out: list[Event] = []
        for entry in self.codec.finish():
            await self._take(entry, out)
        out += self._drain()
        return out

    async def settle(self) -> None:
        """``audit`` mode, after the client has it all: the whole-answer
        checks a stricter mode would have made, for the record."""
        for task in self._audit_checks:
            task.cancel()
        for group in self.groups:
            if group in self.closed:
                continue
            answer = self.codec.answer(group)
            outcome = await self._run(self.codec.shape.output_bundles(answer))
            self.final[group] = outcome.evaluations[0].decision

    # -- entries in --------------------------------------------------------

    async def _take(self, entry: Entry, out: list[Event]) -> None:
        group = entry.group
        if group is not None:
            if group in self.closed:
                return
            if group not in self.groups:
                self.groups[group] = []
                self._order.append(group)
        self.pending.append(entry)
        if entry.kind is EntryKind.TEXT:
            gate = self._gate(entry.channel, group)
            entry.start = gate.add(entry.text)
            if self.mode is StreamingMode.AUDIT:
                gate.open()
                self._audit_check(entry.channel, gate)
            elif self.mode is StreamingMode.WINDOW and gate.due(incremental=self.incremental):
                await self._check_channel(entry.channel, group, out, final=False)
        elif entry.kind is EntryKind.TEXT_END:
            for channel in entry.channels:
                gate = self._gate(channel, group)
                if self.mode is StreamingMode.AUDIT:
                    gate.final = True
                elif self.mode is StreamingMode.WINDOW and not gate.final:
                    await self._check_channel(channel, group, out, final=True)
                if group in self.closed:
                    return
        elif entry.kind is EntryKind.GROUP_END and self.mode is not StreamingMode.AUDIT:
            await self._check_group(group, out)

    def _gate(self, channel: Hashable, group: Group | None) -> TextGate:
        gate = self.gates.get(channel)
        if gate is None:
            gate = self.gates[channel] = TextGate(self.spec)
            self.groups.setdefault(group, []).append(channel)
        return gate

    # -- checks ------------------------------------------------------------

    async def _check_channel(
        self, channel: Hashable, group: Group | None, out: list[Event], *, final: bool
    ) -> None:
        """A check of one channel's text so far: open its gate further, hold
        it, or end the group when the block holds on the settled text."""
        gate = self.gates[channel]
        path = self.codec.channel_path(channel)
        outcome = await self._run([TextBundle((TextSegment(path, gate.text),))])
        [evaluation] = outcome.evaluations
        self._note(group, evaluation.decision)
        settled = None if final else self.stage.settled(self.policy, gate.text)
        if evaluation.decision.action not in _PASSING_ACTIONS:
            # Confirm on what the rest of the stream can no longer change: a
            # block that comes only from the growing end waits for more text.
            stable = gate.text if final else gate.text[: gate.stable_end(settled)]
            confirmed: StageOutcome | None = outcome
            if stable != gate.text:
                confirmed = (
                    await self._run([TextBundle((TextSegment(path, stable),))]) if stable else None
                )
            if confirmed is not None and confirmed.decision.action not in _PASSING_ACTIONS:
                self._block(group, confirmed.decision)
                out += self._drain()
                return
            gate.hold()
            return
        gate.advance(evaluation.redactions, settled, final=final)

    async def _check_group(self, group: Group | None, out: list[Event]) -> None:
        """The group's end: check its whole answer exactly as the
        non-streamed path would, then let the rest out as the policy left it."""
        answer = self.codec.answer(group)
        outcome = await self._run(self.codec.shape.output_bundles(answer))
        checked = apply_output(outcome, self.codec.shape, answer)
        [evaluation] = outcome.evaluations
        [decision] = checked.decisions
        if checked.blocked:
            self._block(group, decision)
            out += self._drain()
            return
        self.final[group] = decision
        bundle = outcome.bundles[0]
        spans = dict(
            zip(
                [s.path for s in bundle.segments],
                bundle.spans_by_segment(evaluation.redactions),
                strict=True,
            )
        )
        for channel in self.groups.get(group, []):
            path = self.codec.channel_path(channel)
            self.gates[channel].advance(spans.get(path, []), None, final=True)
        self.answers[group] = answer

    async def _run(self, bundles: list[TextBundle]) -> StageOutcome:
        self.checks += 1
        return await self.stage.check(self.policy, bundles, self.info)

    def _note(self, group: Group | None, decision: PolicyDecision) -> None:
        seen = self.noted.get(group)
        if seen is None or decision.action.rank > seen.action.rank:
            self.noted[group] = decision

    # -- audit -------------------------------------------------------------

    def _audit_check(self, channel: Hashable, gate: TextGate) -> None:
        total = sum(len(g.text) for g in self.gates.values())
        if total - self._audit_checked < self.spec.window_chars:
            return
        self._audit_checked = total
        path = self.codec.channel_path(channel)
        bundle = TextBundle((TextSegment(path, gate.text),))
        self._audit_checks.append(asyncio.ensure_future(self._run([bundle])))

    def _audit_cut(self, out: list[Event]) -> None:
        """With ``cut_on_block``, a finished background check that blocks
        ends every open group (what was sent stays sent)."""
        if not self.spec.cut_on_block:
            return
        for task in self._audit_checks:
            if task.done() and not task.cancelled() and task.exception() is None:
                decision = task.result().decision
                if decision.action is Action.BLOCK:
                    for group in list(self.groups):
                        if group is not None and group not in self.closed:
                            self._block(group, decision)
                    out += self._drain()
                    self.stopped = True
                    return

    # -- entries out -------------------------------------------------------

    def _drain(self) -> list[Event]:
        """Send what may go, in order: per group, nothing passes an entry
        still held; a whole-stream entry waits for everything before it. A
        text piece the gate's cut falls inside goes in two."""
        out: list[Event] = []
        keep: list[Entry] = []
        waiting: set[Group] = set()
        barrier = False
        for entry in self.pending:
            group = entry.group
            free = not keep if group is None else not barrier and group not in waiting
            if free and group is not None and group not in self._begun:
                # Groups begin in the order they first came: SDK accumulators
                # take the first chunk's choices as choice 0, 1, ...
                earlier = self._order[: self._order.index(group)]
                free = all(g in self._begun for g in earlier)
            if free and self._may_go(entry):
                if group is not None:
                    self._begun.add(group)
                # sent() at once: how a block ends a group depends on what
                # the client has by then.
                out += [self.codec.sent(event) for event in self._written(entry)]
                continue
            if free and entry.kind is EntryKind.TEXT and self.mode is not StreamingMode.AUDIT:
                head = self._head(entry)
                if head:
                    self._begun.add(group)
                out += [self.codec.sent(event) for event in head]
            keep.append(entry)
            if group is None:
                barrier = True
            else:
                waiting.add(group)
        self.pending = keep
        return out

    def _may_go(self, entry: Entry) -> bool:
        if self.mode is StreamingMode.AUDIT or entry.kind is EntryKind.BLOCK:
            return True
        if entry.kind is EntryKind.PASS:
            # buffer: nothing of a group before its check (a broken stream
            # is then still an HTTP error, not a half-sent answer)
            buffered = self.mode is StreamingMode.BUFFER and entry.group is not None
            return not buffered or entry.group in self.answers or entry.group in self.closed
        if entry.kind is EntryKind.TEXT:
            return self.gates[entry.channel].cut >= entry.start + len(entry.text)
        if entry.kind is EntryKind.TEXT_END:
            return all(
                self.gates[c].final and self.gates[c].cut == len(self.gates[c].text)
                for c in entry.channels
            )
        return entry.group in self.answers

    def _head(self, entry: Entry) -> list[Event]:
        """The part of a text piece before the gate's cut, sent now; the
        entry keeps the rest."""
        gate = self.gates[entry.channel]
        if gate.cut - entry.start < _SPLIT_CHARS:
            return []
        text, changed = gate.piece(entry.start, gate.cut)
        event = self.codec.with_text(entry, text, tokens=False)
        entry.text = entry.text[gate.cut - entry.start :]
        entry.start = gate.cut
        entry.split = True
        entry.redacted = entry.redacted or changed
        return [event]

    def _written(self, entry: Entry) -> list[Event]:
        """The events an entry becomes, as the checks left its text."""
        if entry.kind is EntryKind.BLOCK:
            assert entry.decision is not None
            message = entry.decision.message or self.policy.spec.output_block_message
            notice = message if self.spec.block_notice else ""
            return self.codec.block(entry.group, notice, entry.decision)
        if self.mode is StreamingMode.AUDIT or entry.kind is EntryKind.PASS:
            return [entry.event]
        if entry.kind is EntryKind.TEXT:
            gate = self.gates[entry.channel]
            text, changed = gate.piece(entry.start, entry.start + len(entry.text))
            if not changed and not entry.split:
                return [entry.event]
            # Token logprobs go where redaction changed the text (they would
            # spell it out); a split piece keeps them on its last part.
            tokens = not changed and not entry.redacted
            return [self.codec.with_text(entry, text, tokens=tokens)]
        if entry.kind is EntryKind.TEXT_END:
            texts = {c: self.gates[c].sent_text() for c in entry.channels}
            return [self.codec.text_end(entry, texts)]
        answer = self.answers[entry.group]
        if entry.kind is EntryKind.HELD:
            allowed = self.final[entry.group].action is Action.ALLOW
            return self.codec.held(entry, answer, allowed=allowed)
        return self.codec.group_end(entry, answer)

    def _block(self, group: Group | None, decision: PolicyDecision) -> None:
        """End ``group``: what it still held is dropped (entries with no text
        stay, so the client still gets the stream's opening events), and an
        entry that closes it well-formed takes the rest's place."""
        self.closed.add(group)
        self.final[group] = decision
        self.pending = [e for e in self.pending if e.group != group or e.kind is EntryKind.PASS] + [
            Entry(EntryKind.BLOCK, {}, group, decision=decision)
        ]

    # -- the record --------------------------------------------------------

    @property
    def decision(self) -> PolicyDecision | None:
        """The strongest decision over every group so far."""
        decisions = {**self.noted, **self.final}  # a group's last decision wins
        return strongest(decisions.values()) if decisions else None

    def record(self) -> dict[str, Any]:
        """The output decision, in the audit line's shape."""
        decisions = {**self.noted, **self.final}  # a group's last decision wins
        if decisions:
            rules = (r for d in decisions.values() for r in d.rule_names)
            out = decision_record(strongest(decisions.values()), rules)
        else:
            out = {"decision": "none", "reason": "stream ended before any check"}
        out["max_held_chars"] = max((g.max_held for g in self.gates.values()), default=0)
        late = sum(g.late_spans for g in self.gates.values())
        if late:
            out["late_spans"] = late
        out["checks"] = self.checks
        return out
