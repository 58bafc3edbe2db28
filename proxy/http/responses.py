"""Responses the gateway writes: JSON bodies, errors, and the headers it
adds to or passes on from the upstream's."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from ...policies.decisions import PolicyDecision
from ..enforcement.stages import strongest
from ..upstream import HOP_BY_HOP
from .errors import OPENAI_ERRORS, ErrorBodies

__all__ = [
    "BLOCKED_HEADER",
    "CLIENT_REQUEST_ID_HEADER",
    "DECISION_HEADER",
    "REQUEST_ID_HEADER",
    "UPSTREAM_REQUEST_ID_HEADER",
    "combined_label",
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
    bodies: ErrorBodies = OPENAI_ERRORS,
) -> Response:
    """An error response in the shape ``bodies`` writes (OpenAI's unless the
    route speaks another API)."""
    body = bodies.error_body(status_code, message, error_type=error_type, code=code, param=param)
    return json_response(body, status_code, headers)


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
