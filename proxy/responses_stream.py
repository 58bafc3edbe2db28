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
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from ..policies.decisions import Action, PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from .enforcement import OutputGuardStage, StageOutcome, strongest
from .errors import UpstreamError, openai_error
from .payloads import PayloadShapeError, TextBundle, TextSegment
from .responses import blocked_completion
from .sse import SSEParser
from .windowing import TextWindow

__all__ = ["ResponsesWindowStream"]

_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
# Events whose payload is model text or a whole item: held for the final check.
_HELD = frozenset(
    {
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
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
        finally:
            await upstream.aclose()
            self.record["stream_status"] = status
            self.record["status"] = 200
            self.record["upstream_latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            self._record_output()
            self.on_done(self.record)

    async def _event(self, payload: bytes) -> AsyncIterator[bytes]:
        if self.closed or payload.strip() == b"[DONE]":
            return
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise UpstreamError("upstream sent a non-JSON event") from None
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise UpstreamError("upstream sent an event without a type")
        kind = event["type"]
        if kind == "response.created" and isinstance(event.get("response"), dict):
            self.response_head = event["response"]
        if kind in _FINAL:
            async for out in self._final(event):
                yield out
        elif kind == "response.output_text.delta":
            async for out in self._text_delta(event):
                yield out
        elif kind in _HELD:
            self.held.append(event)
        else:
            yield _encode(event)

    async def _text_delta(self, event: dict[str, Any]) -> AsyncIterator[bytes]:
        part = (int(event.get("output_index", 0)), int(event.get("content_index", 0)))
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
            yield _encode({**event, "delta": piece})

    async def _final(self, event: dict[str, Any]) -> AsyncIterator[bytes]:
        answer = event.get("response")
        if not isinstance(answer, dict):
            raise UpstreamError("final event without a response object")
        outcome = await self.check_answer(answer)
        [evaluation] = outcome.evaluations
        self.decision = evaluation.decision
        if answer.get("incomplete_details") == {"reason": "content_filter"} and (
            evaluation.decision.action is not Action.ALLOW
        ):
            self.closed = True
            yield _encode({**event, "type": "response.incomplete", "response": answer})
            return
        spans = dict(
            zip(
                [s.path for s in outcome.bundles[0].segments],
                outcome.bundles[0].spans_by_segment(evaluation.redactions),
                strict=True,
            )
        )
        for part, window in self.windows.items():
            piece = window.release(
                spans.get(("output", part[0], "content", part[1], "text"), []), final=True
            )
            if piece:
                yield _encode(
                    {
                        "type": "response.output_text.delta",
                        "item_id": self.item_ids[part],
                        "output_index": part[0],
                        "content_index": part[1],
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
            rewritten = _rewrite(held, items)
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

    def _record_output(self) -> None:
        if self.decision is None:
            self.record["output"] = {"decision": "none", "reason": "stream ended before a check"}
            return
        final = strongest([self.decision])
        self.record["output"] = {
            "decision": final.label,
            "action": final.action.value,
            "reason": final.reason.value,
            "rules": final.rule_names,
            "max_held_chars": max((w.max_held for w in self.windows.values()), default=0),
        }


def _rewrite(event: dict[str, Any], items: list[Any]) -> dict[str, Any] | None:
    """A held event, carrying the final (policy-applied) text of its item."""
    index = event.get("output_index")
    item = items[index] if isinstance(index, int) and 0 <= index < len(items) else None
    if not isinstance(item, dict):
        return None
    kind = event["type"]
    if kind == "response.output_item.done":
        return {**event, "item": item}
    content = item.get("content") or []
    part_index = event.get("content_index")
    part = content[part_index] if isinstance(part_index, int) and part_index < len(content) else {}
    if kind == "response.output_text.done":
        return {**event, "text": part.get("text", "")}
    if kind == "response.content_part.done":
        return {**event, "part": part}
    if kind == "response.function_call_arguments.done":
        return {**event, "arguments": item.get("arguments", "")}
    if kind == "response.function_call_arguments.delta":
        return {**event, "delta": item.get("arguments", "")}
    # Refusal and reasoning deltas: their checked text arrives in output_item.done.
    return None


def _error_event(message: str) -> bytes:
    """The Responses ``error`` event, with an ``error`` object too, which the
    openai SDKs turn into an exception."""
    body = openai_error(message, error_type="api_error", code="upstream_error")
    return _encode({"type": "error", **body["error"], "error": body["error"]})


def _encode(event: dict[str, Any]) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"
