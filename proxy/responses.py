"""OpenAI-shaped bodies the gateway writes itself: errors and blocked answers."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.responses import Response

from ..policies.decisions import PolicyDecision
from .enforcement import strongest
from .errors import openai_error
from .kinds import EndpointKind
from .responses_api import response_stream
from .sse import encode_event
from .upstream import HOP_BY_HOP

__all__ = [
    "BLOCKED_HEADER",
    "CLIENT_REQUEST_ID_HEADER",
    "CONTENT_POLICY_NOTE",
    "DECISION_HEADER",
    "REQUEST_ID_HEADER",
    "UPSTREAM_REQUEST_ID_HEADER",
    "blocked_completion",
    "blocked_stream",
    "combined_label",
    "content_policy_error",
    "error_response",
    "json_response",
    "upstream_error_or_raw",
    "upstream_headers",
]

REQUEST_ID_HEADER = "x-sluicegate-request-id"
DECISION_HEADER = "x-sluicegate-decision"
BLOCKED_HEADER = "x-sluicegate-blocked"  # "input" or "output": which stage withheld content
CLIENT_REQUEST_ID_HEADER = "x-request-id"  # the client's own id, echoed back
UPSTREAM_REQUEST_ID_HEADER = "x-upstream-request-id"


_NO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code, headers, media_type="application/json")


def error_response(
    status_code: int,
    message: str,
    *,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = openai_error(message, error_type=error_type, code=code, param=param)
    return json_response(body, status_code, headers)


# Clients map a content-policy 400 to their content-filter exception by its
# code and by wording in its message (the error string is all some of them
# read): LiteLLM's OpenAI path looks for this sentence, its Azure path for
# "content_policy_violation", pydantic-ai (for Azure clients) for the code
# content_filter, and Azure-aware tools for innererror.code. See docs/policies.md, Decisions.
CONTENT_POLICY_NOTE = (
    "Your request was rejected as a result of the safety system (content_policy_violation)."
)


def content_policy_error(
    message: str, *, param: str | None, headers: dict[str, str] | None = None
) -> Response:
    """The 400 for a blocked input, shaped like Azure OpenAI's content-filter
    error so that SDKs raise their content-policy exception for it."""
    body = openai_error(
        f"{message} {CONTENT_POLICY_NOTE}",
        error_type="invalid_request_error",
        code="content_filter",
        param=param,
    )
    body["error"]["innererror"] = {"code": "ResponsibleAIPolicyViolation"}
    return json_response(body, 400, headers)


def blocked_completion(
    kind: EndpointKind, request_id: str, model: str, message: str
) -> dict[str, Any]:
    """A normal-looking completion whose content is the policy's message."""
    created = int(time.time())
    if kind == EndpointKind.RESPONSES:
        return {
            "id": f"resp_sg_{request_id}",
            "object": "response",
            "created_at": created,
            "model": model,
            "status": "incomplete",
            "incomplete_details": {"reason": "content_filter"},
            "error": None,
            "output": [
                {
                    "type": "message",
                    "id": f"msg_sg_{request_id}",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": message, "annotations": []}],
                }
            ],
            "instructions": None,
            "metadata": {},
            "parallel_tool_calls": False,
            "temperature": None,
            "tool_choice": "auto",
            "tools": [],
            "top_p": None,
        }
    if kind == EndpointKind.COMPLETIONS:
        return {
            "id": f"cmpl-sg-{request_id}",
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [
                {"index": 0, "text": message, "logprobs": None, "finish_reason": "content_filter"}
            ],
            "usage": dict(_NO_USAGE),
        }
    return {
        "id": f"chatcmpl-sg-{request_id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": message, "refusal": None},
                "logprobs": None,
                "finish_reason": "content_filter",
            }
        ],
        "usage": dict(_NO_USAGE),
    }


def blocked_stream(
    kind: EndpointKind, request_id: str, model: str, message: str, *, include_usage: bool = False
) -> bytes:
    """The same, as a finished SSE stream. With ``include_usage`` (the client's
    ``stream_options.include_usage``) it ends, as OpenAI's do, with a chunk that
    has no choices and the usage, which some SDKs wait for."""
    if kind == EndpointKind.RESPONSES:
        return response_stream(blocked_completion(kind, request_id, model, message))
    created = int(time.time())
    if kind == EndpointKind.COMPLETIONS:
        head = {
            "id": f"cmpl-sg-{request_id}",
            "object": "text_completion",
            "created": created,
            "model": model,
        }
        first = {**head, "choices": [{"index": 0, "text": message, "finish_reason": None}]}
        last = {**head, "choices": [{"index": 0, "text": "", "finish_reason": "content_filter"}]}
    else:
        head = {
            "id": f"chatcmpl-sg-{request_id}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        first = {
            **head,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": None,
                    "delta": {"role": "assistant", "content": message},
                }
            ],
        }
        last = {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "content_filter"}]}
    events = [first, last]
    if include_usage:
        events.append({**head, "choices": [], "usage": _NO_USAGE})
    return b"".join(encode_event(e) for e in events) + b"data: [DONE]\n\n"


def combined_label(*decisions: PolicyDecision) -> str:
    """The header value for a request: its strongest stage decision."""
    return strongest(decisions).label


# The gateway's own server (uvicorn) writes these on every response; copying the
# upstream's as well would send each twice.
_OWN_HEADERS = frozenset({"content-type", "date", "server"})


def upstream_headers(headers: Any) -> dict[str, str]:
    """The upstream's response headers worth passing on to the client."""
    return {
        k: v
        for k, v in headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() not in _OWN_HEADERS
    }


def upstream_error_or_raw(
    status: int, content: bytes, headers: dict[str, str], label: str
) -> Response:
    """Upstream statuses pass through; a non-JSON error body is wrapped in
    OpenAI's error shape so SDKs can still read it."""
    headers[DECISION_HEADER] = label
    if status >= 400:
        try:
            parsed = orjson.loads(content)
            if isinstance(parsed, dict) and "error" in parsed:
                return Response(content, status, headers, media_type="application/json")
        except orjson.JSONDecodeError:
            pass
        text = content.decode("utf-8", "replace")[:500] or f"upstream returned HTTP {status}"
        return error_response(
            status, text, error_type="api_error", code="upstream_error", headers=headers
        )
    return Response(content, status, headers, media_type="application/json")
