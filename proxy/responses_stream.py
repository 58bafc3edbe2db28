"""``window`` mode for Responses API streams.

``response.output_text.delta`` events are released window by window, per
output text part, after the output guards have read them (as for chat, see
:mod:`sluicegate.proxy.windowing`). Events that carry no model text pass at
once. Events that carry whole texts or arguments (``*.done``, function-call
argument deltas, reasoning text, the final ``response.completed``) are held
until the final response arrives, checked whole as the non-streamed path
checks it, and sent rewritten by the policy; a block ends the stream with
``response.incomplete`` (reason ``content_filter``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson

from ..policies.decisions import Action, DecisionReason, PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from .enforcement import OutputGuardStage, StageOutcome, decision_record
from .errors import UpstreamError, openai_error
from .payloads import PayloadShapeError, TextBundle, TextSegment
from .responses import blocked_completion
from .responses_api import decode_response_event
from .sse import SSEParser
from .windowing import TextWindow

__all__ = ["ResponsesWindowStream"]

_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
# Events that pass at once, with any text they may carry emptied. Everything
# else (done events, argument, refusal, reasoning and audio deltas, event
# types added later) is held for the final check.
_PASSING = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.output_item.added",
        "response.content_part.added",
    }
)

Part = tuple[int, int]  # output_index, content_index


@dataclass
class ResponsesWindowStream:
    policy: Policy
    stage: OutputGuardStage
    info: RequestInfo
    record: dict[str, Any]
    on_done: Callable[[dict[str, Any]], None]
    max_bytes: int
    check_answer: Callable[[Any], Awaitable[StageOutcome]]  # output stage on a whole response
    windows: dict[Part, TextWindow] = field(default_factory=dict)
    item_ids: dict[Part, str] = field(default_factory=dict)
    held: list[dict[str, Any]] = field(default_factory=list)
    decision: PolicyDecision | None = None
    response_head: dict[str, Any] = field(default_factory=dict)
    closed: bool = False

    async def relay(self, upstream: httpx.Response, started: float) -> AsyncIterator[bytes]:
        parser = SSEParser()
        status = "client disconnected"
        size = 0
        try:
            async for data in upstream.aiter_raw():
                size += len(data)
                if size > self.max_bytes:
                    raise UpstreamError(f"upstream answer exceeds {self.max_bytes} bytes")
                for payload in parser.feed(data):
                    async for out in self._event(payload):
                        yield out
                if self.closed:
                    break
            if not self.closed:
                raise UpstreamError("upstream stream ended without a final response")
            status = "complete"
        except (UpstreamError, PayloadShapeError) as exc:
            status = f"upstream stream invalid: {exc}"
            yield _error_event(str(exc))
        except httpx.HTTPError as exc:
            status = f"upstream failed mid-stream: {type(exc).__name__}"
            yield _error_event(status)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # An upstream event of a shape nothing here expects: end it cleanly.
            status = f"upstream stream invalid: {type(exc).__name__}: {exc}"
            yield _error_event("upstream sent an event the gateway cannot read")
        finally:
            await upstream.aclose()
            self.record["stream_status"] = status
            self.record["status"] = 200
            self.record["upstream_latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            self._record_output()
            self.on_done(self.record)

    async def _event(self, payload: bytes) -> AsyncIterator[bytes]:
        event = None if self.closed else decode_response_event(payload)
        if event is None:
            return
        kind = event["type"]
        if kind == "response.created" and isinstance(event.get("response"), dict):
            self.response_head = event["response"]
        if kind in _FINAL:
            async for out in self._final(event):
                yield out
        elif kind == "response.output_text.delta":
            async for out in self._text_delta(event):
                yield out
        elif kind in _PASSING:
            yield _encode(_emptied(event))
        else:
            self.held.append(event)

    async def _text_delta(self, event: dict[str, Any]) -> AsyncIterator[bytes]:
        output_index, content_index = event.get("output_index"), event.get("content_index")
        if not isinstance(output_index, int) or not isinstance(content_index, int):
            raise UpstreamError("output_text.delta without integer output and content indexes")
        part = (output_index, content_index)
        window = self.windows.setdefault(part, TextWindow(self.policy.spec.streaming))
        self.item_ids[part] = str(event.get("item_id", ""))
        delta = event.get("delta")
        if not isinstance(delta, str):
            raise UpstreamError("output_text.delta without a text delta")
        window.add(delta)
        if not window.check_due:
            return
        path = ("output", part[0], "content", part[1], "text")
        outcome = await self.stage.check(
            self.policy, [TextBundle((TextSegment(path, window.text),))], self.info
        )
        [evaluation] = outcome.evaluations
        self._note(evaluation.decision)
        if evaluation.decision.action not in (Action.ALLOW, Action.REDACT):
            stable = window.stable_text()
            if stable:
                confirm = await self.stage.check(
                    self.policy, [TextBundle((TextSegment(path, stable),))], self.info
                )
                if confirm.decision.action not in (Action.ALLOW, Action.REDACT):
                    for out in self._blocked(confirm.decision):
                        yield out
                    return
            window.hold()
            return
        piece = window.release(evaluation.redactions, final=False)
        if piece:
            # Upstream logprobs belong to the newest, unchecked delta: never sent.
            yield _encode({**event, "delta": piece, "logprobs": []})

    async def _final(self, event: dict[str, Any]) -> AsyncIterator[bytes]:
        answer = event.get("response")
        if not isinstance(answer, dict):
            raise UpstreamError("final event without a response object")
        # The client has the text as the deltas spelled it: make the final
        # object say the same, so one check covers both and spans line up.
        for (output_index, content_index), window in self.windows.items():
            part = _part(answer, output_index, content_index)
            if part is None:
                raise UpstreamError("final response lacks a text part that was streamed")
            part["text"] = window.text
        outcome = await self.check_answer(answer)
        [evaluation] = outcome.evaluations
        decision = evaluation.decision
        if answer.get("incomplete_details") == {"reason": "content_filter"} and (
            decision.action is not Action.ALLOW
        ):
            if decision.action is Action.REDACT:  # redaction would have broken JSON
                decision = replace(
                    decision, action=Action.BLOCK, reason=DecisionReason.REDACTION_CONFLICT
                )
            self.decision = decision
            self.closed = True
            yield _encode({**event, "type": "response.incomplete", "response": answer})
            return
        self.decision = decision
        spans = dict(
            zip(
                [s.path for s in outcome.bundles[0].segments],
                outcome.bundles[0].spans_by_segment(evaluation.redactions),
                strict=True,
            )
        )
        for part_key, window in self.windows.items():
            path = ("output", part_key[0], "content", part_key[1], "text")
            piece = window.release(spans.get(path, []), final=True)
            if piece:
                yield _encode(
                    {
                        "type": "response.output_text.delta",
                        "item_id": self.item_ids[part_key],
                        "output_index": part_key[0],
                        "content_index": part_key[1],
                        "delta": piece,
                        "logprobs": [],
                    }
                )
        items = answer.get("output") or []
        argument_items: set[Any] = set()
        for held in self.held:
            if held["type"] == "response.function_call_arguments.delta":
                # The whole checked arguments go out as one delta per call.
                if held.get("output_index") in argument_items:
                    continue
                argument_items.add(held.get("output_index"))
            rewritten = _rewrite(held, items, allowed=decision.action is Action.ALLOW)
            if rewritten is not None:
                yield _encode(rewritten)
        self.closed = True
        yield _encode({**event, "response": answer})

    def _blocked(self, decision: PolicyDecision) -> list[bytes]:
        self.closed = True
        self.decision = decision
        message = decision.message or self.policy.spec.output_block_message
        response = blocked_completion(
            "responses",
            str(self.response_head.get("id", "")),
            str(self.response_head.get("model", "")),
            message,
        )
        return [_encode({"type": "response.incomplete", "response": response})]

    def _note(self, decision: PolicyDecision) -> None:
        if self.decision is None or decision.action.rank > self.decision.action.rank:
            self.decision = decision

    def _record_output(self) -> None:
        held = max((w.max_held for w in self.windows.values()), default=0)
        late = sum(w.late_spans for w in self.windows.values())
        if self.decision is None:
            self.record["output"] = {
                "decision": "none",
                "reason": "stream ended before a check",
                "max_held_chars": held,
            }
            return
        self.record["output"] = {
            **decision_record(self.decision),
            "max_held_chars": held,
            **({"late_spans": late} if late else {}),
        }


def _part(answer: dict[str, Any], output_index: int, content_index: int) -> dict[str, Any] | None:
    output = answer.get("output")
    if not isinstance(output, list) or not 0 <= output_index < len(output):
        return None
    item = output[output_index]
    content = item.get("content") if isinstance(item, dict) else None
    if not isinstance(content, list) or not 0 <= content_index < len(content):
        return None
    part = content[content_index]
    return part if isinstance(part, dict) else None


def _emptied(event: dict[str, Any]) -> dict[str, Any]:
    """A passing event without the model text it may carry (it comes later,
    checked): no output in response snapshots, no content or arguments in
    added items, no text in added parts."""
    event = dict(event)
    if isinstance(event.get("response"), dict):
        event["response"] = {**event["response"], "output": []}
    item = event.get("item")
    if isinstance(item, dict):
        item = {k: v for k, v in item.items() if k not in ("content", "arguments", "summary")}
        if event["item"].get("type") == "message":
            item["content"] = []
        if "arguments" in event["item"]:
            item["arguments"] = ""
        event["item"] = item
    if isinstance(event.get("part"), dict):
        event["part"] = (
            {**event["part"], "text": ""}
            if "text" in event["part"]
            else {k: v for k, v in event["part"].items() if k == "type"}
        )
    return event


def _rewrite(event: dict[str, Any], items: list[Any], *, allowed: bool) -> dict[str, Any] | None:
    """A held event, carrying the final (policy-applied) text of its item.
    Events of kinds not rewritten here go out as sent only when the whole
    answer was allowed (their text is then the checked text)."""
    kind = event["type"]
    index = event.get("output_index")
    item = items[index] if isinstance(index, int) and 0 <= index < len(items) else None
    if kind == "response.output_item.done" and isinstance(item, dict):
        return {**event, "item": item}
    content = item.get("content") if isinstance(item, dict) else None
    part_index = event.get("content_index")
    part: dict[str, Any] | None = None
    if isinstance(content, list) and isinstance(part_index, int) and 0 <= part_index < len(content):
        part = content[part_index] if isinstance(content[part_index], dict) else None
    if kind == "response.output_text.done" and part is not None:
        return {**event, "text": part.get("text", ""), "logprobs": part.get("logprobs", [])}
    if kind == "response.content_part.done" and part is not None:
        return {**event, "part": part}
    if kind == "response.function_call_arguments.done" and isinstance(item, dict):
        return {**event, "arguments": item.get("arguments", "")}
    if kind == "response.function_call_arguments.delta" and isinstance(item, dict):
        return {**event, "delta": item.get("arguments", "")}
    return event if allowed else None


def _error_event(message: str) -> bytes:
    """The Responses ``error`` event, with an ``error`` object too, which the
    openai SDKs turn into an exception."""
    body = openai_error(message, error_type="api_error", code="upstream_error")
    return _encode({**body["error"], "type": "error", "error": body["error"]})


def _encode(event: dict[str, Any]) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"
