"""One shape for every client's parsed result, so results compare with ``==``.

A chat result is ``{"choices": [{index, content, tool_calls: [{id, name,
arguments}], finish_reason, logprobs: [[token, logprob]] | None}], "usage":
{prompt_tokens, completion_tokens, total_tokens} | None}``; empty content is
``None`` (clients differ on ``""`` against ``null`` for a tool-only answer).

:func:`accumulate` folds raw chunks the way a strict client does and raises
:class:`StreamShapeError` where a stream breaks what OpenAI's clients rely on:
role on a choice's first delta, a tool call's id and name before its
arguments, and the usage chunk last.
"""

from __future__ import annotations

from typing import Any

__all__ = ["StreamShapeError", "accumulate", "from_completion", "jsonable"]


class StreamShapeError(AssertionError):
    pass


def jsonable(value: Any) -> Any:
    """A pydantic model (openai's types) or a plain value, as JSON-shaped data."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", warnings=False)
    return value


def _usage(usage: Any) -> dict[str, int] | None:
    usage = jsonable(usage)
    if not usage:
        return None
    return {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def _logprobs(logprobs: Any) -> list[list[Any]] | None:
    logprobs = jsonable(logprobs)
    if not logprobs or logprobs.get("content") is None:
        return None
    return [[entry["token"], entry["logprob"]] for entry in logprobs["content"]]


def from_completion(completion: Any) -> dict[str, Any]:
    """A chat.completion (dict or openai model) in the canonical shape."""
    body = jsonable(completion)
    choices = []
    for choice in sorted(body["choices"], key=lambda c: c["index"]):
        message = choice["message"]
        choices.append(
            {
                "index": choice["index"],
                "content": message.get("content") or None,
                "tool_calls": [
                    {
                        "id": call["id"],
                        "name": call["function"]["name"],
                        "arguments": call["function"]["arguments"],
                    }
                    for call in message.get("tool_calls") or []
                ],
                "finish_reason": choice["finish_reason"],
                "logprobs": _logprobs(choice.get("logprobs")),
            }
        )
    return {"choices": choices, "usage": _usage(body.get("usage"))}


def accumulate(chunks: list[Any], *, include_usage: bool) -> dict[str, Any]:
    """Raw chat.completion.chunk objects (dicts or openai models), folded.

    Folds the whole stream, then raises one :class:`StreamShapeError` naming every
    shape problem found, so one bug does not hide another."""
    raw = [jsonable(chunk) for chunk in chunks]
    problems: list[str] = []
    states: dict[int, dict[str, Any]] = {}
    usage = None
    for position, chunk in enumerate(raw):
        if chunk.get("usage") and include_usage:
            if chunk["choices"]:
                problems.append(f"usage chunk {position} has choices: {chunk['choices']}")
            if position != len(raw) - 1:
                problems.append(f"usage chunk {position} is not last of {len(raw)}")
            usage = _usage(chunk["usage"])
        for choice in chunk["choices"]:
            index = choice["index"]
            delta = choice.get("delta") or {}
            state = states.get(index)
            if state is None:
                if delta.get("role") != "assistant":
                    problems.append(f"missing role for choice {index}: {delta}")
                state = states[index] = {
                    "content": "",
                    "calls": {},
                    "finish_reason": None,
                    "logprobs": None,
                }
            if state["finish_reason"] is not None:
                problems.append(f"delta after finish_reason for choice {index}: {choice}")
            state["content"] += delta.get("content") or ""
            calls_in_delta = delta.get("tool_calls") or []
            if len(calls_in_delta) > 1:
                # OpenAI sends one tool call per delta, and clients rely on it:
                # llama-index's stream parser reads only tool_calls[0] of each.
                problems.append(f"one delta carries {len(calls_in_delta)} tool calls")
            for call in calls_in_delta:
                calls = state["calls"]
                function = call.get("function") or {}
                if call["index"] not in calls:
                    if not call.get("id") or not function.get("name"):
                        problems.append(f"tool call without id/name first: {call}")
                    calls[call["index"]] = {
                        "id": call.get("id"),
                        "name": function.get("name"),
                        "arguments": "",
                    }
                elif call.get("id") and call["id"] != calls[call["index"]]["id"]:
                    problems.append(f"tool call {call['index']} changed id: {call}")
                calls[call["index"]]["arguments"] += function.get("arguments") or ""
            entries = _logprobs(choice.get("logprobs"))
            if entries is not None:
                state["logprobs"] = (state["logprobs"] or []) + entries
            if choice.get("finish_reason"):
                state["finish_reason"] = choice["finish_reason"]
    if include_usage and usage is None:
        problems.append(f"no usage chunk at the end of {len(raw)} chunks")
    if problems:
        raise StreamShapeError("; ".join(problems))
    return {
        "choices": [
            {
                "index": index,
                "content": state["content"] or None,
                "tool_calls": [state["calls"][k] for k in sorted(state["calls"])],
                "finish_reason": state["finish_reason"],
                "logprobs": state["logprobs"],
            }
            for index, state in sorted(states.items())
        ],
        "usage": usage,
    }


def response_result(response: Any) -> dict[str, Any]:
    """A Responses API response (dict or model): status, output items, usage."""
    body = jsonable(response)
    output = []
    for item in body.get("output") or []:
        if item["type"] == "message":
            text = "".join(p.get("text") or "" for p in item["content"])
            output.append({"type": "message", "text": text})
        elif item["type"] == "function_call":
            output.append(
                {
                    "type": "function_call",
                    "call_id": item["call_id"],
                    "name": item["name"],
                    "arguments": item["arguments"],
                }
            )
    usage = body.get("usage")
    return {
        "status": body["status"],
        "output": output,
        "usage": [usage["input_tokens"], usage["output_tokens"]] if usage else None,
    }
