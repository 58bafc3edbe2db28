"""sluicegate as a LiteLLM guardrail: the gateway's policies inside LiteLLM's
proxy (or its SDK), with no second hop.

Register it in LiteLLM's ``config.yaml``::

    guardrails:
      - guardrail_name: sluicegate
        litellm_params:
          guardrail: sluicegate.proxy.integrations.litellm.SluicegateGuardrail
          mode: [pre_call, post_call]     # and/or during_call
          default_on: true
          policy: pack:default            # a policy file, or pack:NAME

The guardrail runs the sluicegate engine in process (policy loader, guards,
evaluator, the same request and answer readers and the same redaction as the
HTTP gateway). It implements LiteLLM's lifecycle hooks itself
(``use_native_lifecycle_hooks``), so OpenAI-shaped traffic gets the gateway's
semantics exactly:

* ``async_pre_call_hook`` (``pre_call``): reads every field a client controls
  (messages in the policy's ``input_scope``, tool schemas, predicted output,
  prompts, embedding inputs); a block raises a 400 with the gateway's own
  content-filter body (``code: content_filter``) before any upstream call
  (or, with ``block_response: message``, a 200 completion with
  ``finish_reason: content_filter``); a redaction rewrites the request
  before it leaves.
* ``async_moderation_hook`` (``during_call``): the same check, run alongside
  the upstream call; it can block but cannot rewrite, so a redact decision
  there blocks too (``unappliable_redaction: allow`` only records it).
* ``async_post_call_success_hook`` (``post_call``): guards each returned
  choice; a blocked one gets the policy's message and ``finish_reason:
  content_filter``, a redacted one gets placeholders.
* ``async_post_call_streaming_iterator_hook`` (``post_call``, streamed): the
  policy's ``streaming`` mode; ``window`` releases text only after the output
  guards have read it (:mod:`sluicegate.proxy.streaming`).
* ``apply_guardrail``: LiteLLM's unified entry point. The proxy hands it the
  texts of routes whose shapes the hooks above do not read themselves
  (Anthropic ``/v1/messages``, the Responses API, Gemini and so on: the hooks
  delegate those to LiteLLM's translation layer, which calls this), and
  LiteLLM's ``/guardrails/apply_guardrail`` endpoint calls it directly.

Every decision (action, reason, rules, non-zero scores, guard latency) is
written to LiteLLM's ``standard_logging_guardrail_information``, so it shows in
callbacks, spend logs and the ``x-litellm-applied-guardrails`` header; the
proxy also answers with ``x-sluicegate-decision``.

Options (``litellm_params``): ``policy`` (file or ``pack:NAME``, default
``pack:default``; a relative path is read from the working directory),
``policy_name``, ``log_text`` (add the scanned texts, with every finding that
has a span replaced by its placeholder, to the logged record) and
``unappliable_redaction`` (``block``, the default, or ``allow``).

This is the only module of sluicegate that imports LiteLLM (``pip install
"sluicegate[litellm]"``).
"""

from __future__ import annotations

import contextvars
import copy
import time
from collections.abc import AsyncGenerator, AsyncIterable, Mapping
from typing import Any, ClassVar, Literal

import litellm
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.litellm_core_utils.core_helpers import get_or_create_metadata_bucket
from litellm.types.guardrails import GuardrailEventHooks
from litellm.types.utils import ModelResponse, TextCompletionResponse

from ....policies.decisions import Action, PolicyDecision, Stage
from ....policies.evaluator import PolicyEvaluator
from ....policies.loader import PolicyLoader
from ....policies.policy import Policy
from ....policies.schema import BlockResponse, StreamingMode
from ...enforcement.checks import (
    CheckedInput,
    CheckedOutput,
    InputCheck,
    OutputCheck,
    passes,
    unappliable,
)
from ...enforcement.stages import InputGuardStage, OutputGuardStage, StageOutcome, decision_record
from ...http.responses import DECISION_HEADER
from ...payloads import family_for
from ...payloads.bundles import (
    PayloadShapeError,
    TextBundle,
    TextSegment,
    arguments_segment,
    json_string_segments,
)
from ...payloads.kinds import EndpointKind
from ...policy_store import resolve_policy_path
from ...streaming import GuardedStream
from ...streaming.chat import ChatCodec
from .adapter import (
    CALL_KINDS,
    chunk_dict,
    chunk_like,
    guardrail_request_info,
    plain_message,
    stream_kind,
)
from .errors import SluicegateBlocked, SluicegateRequestError
from .otel import fail_fast_missing_otel

__all__ = ["SluicegateBlocked", "SluicegateGuardrail", "SluicegateRequestError"]

PROVIDER = "sluicegate"
_METADATA_KEY = "sluicegate"  # per-request decision labels, in LiteLLM's metadata bucket
_OPTIONS = ("policy", "policy_name", "log_text", "unappliable_redaction")
# Set while SluicegateGuardrail.acompletion makes a call whose stream it guards itself.
_STREAM_GUARDED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sluicegate_stream_guarded", default=False
)


class SluicegateGuardrail(CustomGuardrail):  # type: ignore[misc]
    """See the module docstring. One instance serves one policy; give several
    guardrails different names and policies, and let LiteLLM's key, team and
    model settings pick which run (``default_on``, per-request ``guardrails``)."""

    # The proxy runs these hooks, not LiteLLM's generic text extraction:
    # the gateway's readers see fields (tool schemas, names, predicted output)
    # the generic path does not, and window streaming needs the chunks.
    use_native_lifecycle_hooks: ClassVar[bool] = True

    def __init__(self, **kwargs: Any) -> None:
        options = {name: kwargs.pop(name, None) for name in _OPTIONS}
        kwargs.setdefault(
            "supported_event_hooks",
            [
                GuardrailEventHooks.pre_call,
                GuardrailEventHooks.during_call,
                GuardrailEventHooks.post_call,
            ],
        )
        super().__init__(**kwargs)
        source = str(options["policy"] or "pack:default")
        name = options["policy_name"] or (
            source.removeprefix("pack:") if source.startswith("pack:") else None
        )
        self.policy_source = source
        self.policy: Policy = PolicyLoader().load_file(resolve_policy_path(source), name=name)
        evaluator = PolicyEvaluator()
        self.input_stage = InputGuardStage(evaluator)
        self.output_stage = OutputGuardStage(evaluator)
        self.input_check = InputCheck(self.input_stage)
        self.output_check = OutputCheck(self.output_stage)
        self.log_text = bool(options["log_text"])
        unappliable = str(options["unappliable_redaction"] or "block")
        if unappliable not in ("block", "allow"):
            raise ValueError(
                f"unappliable_redaction must be 'block' or 'allow', not {unappliable!r}"
            )
        self.block_unappliable_redaction = unappliable == "block"
        fail_fast_missing_otel()

    # -- LiteLLM hooks -------------------------------------------------------

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: str
    ) -> Any:
        if not self._runs(data, GuardrailEventHooks.pre_call):
            return data
        kind = CALL_KINDS.get(str(call_type))
        if kind is None:
            return await self._unified_pre_call(user_api_key_dict, cache, data, call_type)
        if (
            data.get("stream") is True
            and "proxy_server_request" not in data  # the SDK, not the proxy
            and self._event_hook_is_event_type(GuardrailEventHooks.post_call)
            and not _STREAM_GUARDED.get()
        ):
            # LiteLLM's SDK offers a guardrail no hook on stream chunks but the
            # last, so a stream from litellm.acompletion would leave unguarded.
            raise SluicegateRequestError(
                "sluicegate cannot guard a stream returned by litellm.acompletion: "
                "call SluicegateGuardrail.acompletion (or wrap the stream with "
                "guard_stream), or leave post_call out of this guardrail's mode",
                guardrail_name=self.guardrail_name,
                code="stream_not_guarded",
                blocked_content=False,
            )
        started = time.time()
        checked = await self._check_input(data, kind, user_api_key_dict, rewrite=True)
        self._log(data, checked.outcome, checked.decision, GuardrailEventHooks.pre_call, started)
        if not checked.passed:
            self._block_input(data, checked.decision, kind)
        return data

    async def async_moderation_hook(
        self, data: dict[str, Any], user_api_key_dict: Any, call_type: str
    ) -> Any:
        if not self._runs(data, GuardrailEventHooks.during_call):
            return None
        kind = CALL_KINDS.get(str(call_type))
        if kind is None:
            return await self._unified_during_call(user_api_key_dict, data, call_type)
        started = time.time()
        # The request is already on its way: a redaction cannot be applied.
        checked = await self._check_input(data, kind, user_api_key_dict, rewrite=False)
        decision = checked.decision
        if decision.action is Action.REDACT and self.block_unappliable_redaction:
            decision = unappliable(
                decision,
                "Request blocked by policy: it holds text the policy redacts, and a "
                "during_call guardrail cannot rewrite a request already sent.",
            )
        self._log(data, checked.outcome, decision, GuardrailEventHooks.during_call, started)
        if not passes(decision):
            self._block_input(data, decision, kind)
        return None

    async def async_post_call_success_hook(
        self, data: dict[str, Any], user_api_key_dict: Any, response: Any
    ) -> Any:
        if not self._runs(data, GuardrailEventHooks.post_call):
            return response
        if isinstance(response, ModelResponse):
            kind = EndpointKind.CHAT
        elif isinstance(response, TextCompletionResponse):
            kind = EndpointKind.COMPLETIONS
        else:
            return await self._unified_post_call(user_api_key_dict, data, response)
        started = time.time()
        answer = response.model_dump()
        if not isinstance(answer.get("choices"), list):
            return response
        info = guardrail_request_info(data, user_api_key_dict, kind)
        try:
            checked = await self.output_check.run(self.policy, family_for(kind), answer, info)
        except PayloadShapeError as exc:  # unread is never passed on as checked
            raise SluicegateRequestError(
                f"upstream answer has an unexpected shape: {exc}",
                guardrail_name=self.guardrail_name,
                code="upstream_error",
                status_code=502,
                blocked_content=False,
            ) from None
        for index, decision in enumerate(checked.decisions[: len(response.choices)]):
            if decision.action is not Action.ALLOW:
                choice = response.choices[index]
                response.choices[index] = type(choice)(**answer["choices"][index])
        self._log(data, checked.outcome, checked.decision, GuardrailEventHooks.post_call, started)
        return response

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict[str, Any]
    ) -> AsyncGenerator[Any, None]:
        route = getattr(user_api_key_dict, "request_route", None) or ""
        kind = stream_kind(route)
        if not self._runs(request_data, GuardrailEventHooks.post_call):
            async for item in response:
                yield item
            return
        if kind is None:
            async for item in self._unified_stream(user_api_key_dict, response, request_data):
                yield item
            return
        async for item in self._guard_stream(response, request_data, kind, user_api_key_dict):
            yield item

    async def async_post_call_response_headers_hook(
        self,
        data: dict[str, Any],
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, Any] | None = None,
    ) -> dict[str, str] | None:
        """``x-sluicegate-decision``, as the gateway sends it (for streams, the
        input decision: the headers leave before the answer does)."""
        _, bucket = get_or_create_metadata_bucket(data)
        noted = bucket.get(_METADATA_KEY)
        if not isinstance(noted, dict) or not isinstance(noted.get("decision"), str):
            return None
        return {DECISION_HEADER: noted["decision"]}

    async def apply_guardrail(
        self,
        inputs: dict[str, Any],
        request_data: dict[str, Any],
        input_type: Literal["request", "response"],
        logging_obj: Any = None,
    ) -> dict[str, Any]:
        """LiteLLM's unified entry point: ``texts`` (and ``tool_calls``, and
        for requests ``tools``) of any route LiteLLM can translate, read as
        one text. Blocks raise; redactions come back in the same places."""
        started = time.time()
        stage = Stage.INPUT if input_type == "request" else Stage.OUTPUT
        texts = list(inputs.get("texts") or [])
        body: dict[str, Any] = {"texts": texts}
        segments = [TextSegment(("texts", i), t) for i, t in enumerate(texts) if t]
        calls = inputs.get("tool_calls")
        if isinstance(calls, list) and calls:
            body["tool_calls"] = copy.deepcopy(calls)
            for j, call in enumerate(body["tool_calls"]):
                function = call.get("function") if isinstance(call, Mapping) else None
                if isinstance(function, Mapping):
                    segment = arguments_segment(
                        function.get("arguments"), ("tool_calls", j, "function", "arguments")
                    )
                    segments += [segment] if segment else []
        tools = inputs.get("tools")
        if stage is Stage.INPUT and isinstance(tools, list) and tools:
            body["tools"] = copy.deepcopy(tools)
            segments += json_string_segments(body["tools"], ("tools",))
        structured = inputs.get("structured_messages") is not None
        kind = EndpointKind.CHAT if structured else EndpointKind.COMPLETIONS
        info = guardrail_request_info(request_data, None, kind)
        bundle = TextBundle(tuple(segments))
        checked: CheckedInput | CheckedOutput
        if stage is Stage.INPUT:
            checked = await self.input_check.run(self.policy, [bundle], info, body)
        else:
            # LiteLLM's generic stream path drops text rewrites ("block_only").
            unappliable = request_data.get("stream") is True and self.block_unappliable_redaction
            checked = await self.output_check.run(
                self.policy, _GuardrailTexts(bundle), body, info, rewrite=not unappliable
            )
        decision = checked.decision
        event = (
            GuardrailEventHooks.pre_call if stage is Stage.INPUT else GuardrailEventHooks.post_call
        )
        self._log(request_data, checked.outcome, decision, event, started)
        if not passes(decision):
            if stage is Stage.INPUT:
                self._block_input(request_data, decision, EndpointKind.CHAT)
            message = decision.message or self.policy.spec.output_block_message
            self.raise_passthrough_exception(message, request_data, _detection(decision))
        result = dict(inputs)
        result["texts"] = body["texts"]
        if "tool_calls" in body:
            result["tool_calls"] = body["tool_calls"]
        if "tools" in body:
            result["tools"] = body["tools"]
        return result

    # -- the SDK ---------------------------------------------------------------

    async def acompletion(self, **kwargs: Any) -> Any:
        """``litellm.acompletion`` with this guardrail, streams included: a
        stream comes back wrapped in :meth:`guard_stream`. (Plain
        ``litellm.acompletion(..., guardrails=[name])`` guards requests and
        whole answers, but refuses ``stream=True`` when the mode has
        ``post_call``: the SDK gives guardrails no hook on the chunks.)"""
        names = list(kwargs.get("guardrails") or [])
        if self.guardrail_name not in names:
            names.append(self.guardrail_name)
        kwargs["guardrails"] = names
        if self not in litellm.callbacks:
            litellm.logging_callback_manager.add_litellm_callback(self)
        token = _STREAM_GUARDED.set(True)
        try:
            result = await litellm.acompletion(**kwargs)
        finally:
            _STREAM_GUARDED.reset(token)
        if kwargs.get("stream") is True and self._runs(kwargs, GuardrailEventHooks.post_call):
            return self.guard_stream(result, kwargs)
        return result

    def guard_stream(
        self, stream: AsyncIterable[Any], request: dict[str, Any] | None = None
    ) -> AsyncGenerator[Any, None]:
        """Apply the policy's ``streaming`` mode to a chat completion stream
        (``ModelResponseStream`` chunks, or dicts of the same shape). The
        decision is logged into ``request``'s metadata, as for the hooks."""
        request = request if request is not None else {}
        return self._guard_stream(stream, request, EndpointKind.CHAT, None)

    # -- the engine ----------------------------------------------------------

    def _runs(self, data: Any, event: GuardrailEventHooks) -> bool:
        return self.should_run_guardrail(data=data, event_type=event) is True

    async def _check_input(
        self, data: dict[str, Any], kind: EndpointKind, user_api_key_dict: Any, *, rewrite: bool
    ) -> CheckedInput:
        if kind == EndpointKind.CHAT:
            messages = data.get("messages")
            if isinstance(messages, list):  # the SDK may hand over message objects
                data["messages"] = [plain_message(m) for m in messages]
        try:
            bundles = family_for(kind).input_bundles(data, self.policy.spec, None)
        except PayloadShapeError as exc:
            code = "missing_field" if str(exc).endswith("is required") else "invalid_request"
            raise SluicegateRequestError(
                str(exc),
                guardrail_name=self.guardrail_name,
                code=code,
                param=exc.param,
                blocked_content=False,
            ) from None
        info = guardrail_request_info(data, user_api_key_dict, kind)
        return await self.input_check.run(self.policy, bundles, info, data if rewrite else None)

    def _block_input(
        self, data: dict[str, Any], decision: PolicyDecision, kind: EndpointKind
    ) -> None:
        message = decision.message or self.policy.spec.block_message
        if (
            self.policy.spec.block_response is BlockResponse.MESSAGE
            and kind != EndpointKind.EMBEDDINGS
        ):
            # A 200 completion whose content is the message, finish_reason content_filter.
            self.raise_passthrough_exception(message, data, _detection(decision))
        error = family_for(kind).input_block_error(message)["error"]
        raise SluicegateBlocked(error, guardrail_name=self.guardrail_name, decision=decision.label)

    def _log(
        self,
        data: dict[str, Any],
        outcome: StageOutcome,
        decision: PolicyDecision,
        event: GuardrailEventHooks,
        started: float,
    ) -> None:
        """Write the decision into LiteLLM's logging metadata."""
        record = outcome.audit(log_text=self.log_text)
        record.update(decision_record(decision, record.get("rules")))
        record["stage"] = outcome.stage.value
        self._record(data, record, decision, event, started, _masked_counts(outcome, decision))

    def _record(
        self,
        data: dict[str, Any],
        record: dict[str, Any],
        decision: PolicyDecision | None,
        event: GuardrailEventHooks,
        started: float,
        masked: dict[str, int] | None = None,
    ) -> None:
        record = {"policy": self.policy.name, "policy_digest": self.policy.digest, **record}
        blocked = decision is not None and decision.action not in (Action.ALLOW, Action.REDACT)
        ended = time.time()
        self.add_standard_logging_guardrail_information_to_request_data(
            guardrail_json_response=record,
            request_data=data,
            guardrail_status="guardrail_intervened" if blocked else "success",
            start_time=started,
            end_time=ended,
            duration=ended - started,
            masked_entity_count=masked or None,
            guardrail_provider=PROVIDER,
            event_type=event,
        )
        _, bucket = get_or_create_metadata_bucket(data)
        noted = bucket.setdefault(_METADATA_KEY, {})
        if isinstance(noted, dict) and decision is not None:
            # The request's strongest stage decision, as the gateway's header has it.
            key = [decision.action.rank, bool(decision.fail_open_guards)]
            if "decision" not in noted or key > noted.get("rank", [-1, False]):
                noted.update(decision=decision.label, rank=key)
        applied = bucket.setdefault("applied_guardrails", [])
        if isinstance(applied, list) and self.guardrail_name not in applied:
            applied.append(self.guardrail_name)

    # -- streams -------------------------------------------------------------

    async def _guard_stream(
        self,
        response: AsyncIterable[Any],
        request_data: dict[str, Any],
        kind: EndpointKind,
        user_api_key_dict: Any,
    ) -> AsyncGenerator[Any, None]:
        mode = self.policy.spec.streaming.mode
        started = time.time()
        if mode is StreamingMode.PASSTHROUGH:
            async for item in response:
                yield item
            record = {
                "stage": "output",
                "decision": "unguarded",
                "reason": "streaming passthrough: output guards not applied",
            }
            self._record(request_data, record, None, GuardrailEventHooks.post_call, started)
            return
        info = guardrail_request_info(request_data, user_api_key_dict, kind)
        stream = GuardedStream(ChatCodec(kind), self.policy, self.output_stage, info, mode=mode)
        if mode is StreamingMode.AUDIT:
            # Relayed at once, checked as a whole at the end: not protective.
            async for item in response:
                await stream.feed(chunk_dict(item))
                yield item
            await stream.finish()
            await stream.settle()
        else:
            template: Any = None
            async for item in response:
                template = item
                for out in await stream.feed(chunk_dict(item)):
                    yield chunk_like(template, out)
            for out in await stream.finish():
                yield chunk_like(template, out)
        record = {"stage": "output", "mode": mode.value, **stream.record()}
        self._record(request_data, record, stream.decision, GuardrailEventHooks.post_call, started)

    # -- routes the hooks do not read: LiteLLM's translation + apply_guardrail

    async def _unified_pre_call(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: str
    ) -> Any:
        unified = _unified()
        data["guardrail_to_apply"] = self
        return await unified.async_pre_call_hook(
            user_api_key_dict=user_api_key_dict, cache=cache, data=data, call_type=call_type
        )

    async def _unified_during_call(
        self, user_api_key_dict: Any, data: dict[str, Any], call_type: str
    ) -> Any:
        unified = _unified()
        data["guardrail_to_apply"] = self
        return await unified.async_moderation_hook(
            data=data, user_api_key_dict=user_api_key_dict, call_type=call_type
        )

    async def _unified_post_call(
        self, user_api_key_dict: Any, data: dict[str, Any], response: Any
    ) -> Any:
        if user_api_key_dict is None:  # the SDK: no translation layer to hand it to
            return response
        unified = _unified()
        data["guardrail_to_apply"] = self
        result = await unified.async_post_call_success_hook(
            data=data, user_api_key_dict=user_api_key_dict, response=response
        )
        return response if result is None else result

    async def _unified_stream(
        self, user_api_key_dict: Any, response: Any, request_data: dict[str, Any]
    ) -> AsyncGenerator[Any, None]:
        unified = _unified()
        # Held until the end-of-stream check passes: LiteLLM's generic stream
        # path cannot apply rewrites, so nothing unchecked may leave first.
        async for item in unified.async_post_call_streaming_iterator_hook(
            user_api_key_dict=user_api_key_dict,
            response=response,
            request_data=request_data,
            guardrail_to_apply=self,
            buffer_until_moderated_default=True,
        ):
            yield item


def _unified() -> Any:
    from litellm.proxy.utils import unified_guardrail

    return unified_guardrail


def _detection(decision: PolicyDecision) -> dict[str, Any]:
    return {"provider": PROVIDER, **decision_record(decision)}


def _masked_counts(outcome: StageOutcome, decision: PolicyDecision) -> dict[str, int]:
    """Redacted spans per placeholder, for LiteLLM's ``masked_entity_count``."""
    if decision.action is not Action.REDACT:
        return {}
    counts: dict[str, int] = {}
    for evaluation in outcome.evaluations:
        for _, _, placeholder in evaluation.redactions:
            counts[placeholder] = counts.get(placeholder, 0) + 1
    return counts


class _GuardrailTexts:
    """apply_guardrail's texts as one answer part. A block is raised by the
    hook, so there is nothing to write into the body for it."""

    def __init__(self, bundle: TextBundle) -> None:
        self.bundle = bundle

    def output_bundles(self, answer: Any) -> list[TextBundle]:
        return [self.bundle]

    def block_output(self, answer: dict[str, Any], part: int, message: str) -> None:
        return None

    def redacted_output(self, answer: dict[str, Any], part: int) -> None:
        return None
