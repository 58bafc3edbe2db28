"""Upstream and client errors, and the one table that maps errors to HTTP
responses (in the error shape of the API a route speaks).

See :mod:`sluicegate.guards.errors` for the whole exception tree.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ...guards.errors import SluicegateError
from ..payloads.family import ErrorBodies
from ..payloads.openai import OpenAIErrors, openai_error

__all__ = [
    "OPENAI_ERRORS",
    "ClientDisconnected",
    "ClientError",
    "ErrorBodies",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
    "exception_response",
    "openai_error",
]


class UpstreamError(SluicegateError):
    """The upstream LLM could not be reached or did not answer in time."""

    status_code = 502
    code = "upstream_error"


class UpstreamUnreachable(UpstreamError):
    status_code = 502
    code = "upstream_unreachable"


class UpstreamTimeout(UpstreamError):
    status_code = 504
    code = "upstream_timeout"


class ClientError(SluicegateError):
    """The client's request is malformed; answered with a 4xx, never a 500."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 400,
        code: str = "invalid_request",
        param: str | None = None,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.param = param
        self.error_type = error_type


class ClientDisconnected(SluicegateError):
    """The client went away before its answer was ready; the upstream call was
    cancelled. Recorded with status 499, like nginx does."""

    status_code = 499


# OpenAI's shape: for routes that do not speak another API.
OPENAI_ERRORS: ErrorBodies = OpenAIErrors()


def exception_response(exc: BaseException, bodies: ErrorBodies, method: str, path: str) -> Response:
    """The response for an error raised while serving ``method path``."""

    def answer(
        status: int, message: str, error_type: str, code: str | None, param: Any = None
    ) -> Response:
        body = bodies.error_body(status, message, error_type=error_type, code=code, param=param)
        return Response(orjson.dumps(body), status, media_type="application/json")

    if isinstance(exc, ClientError):
        return answer(exc.status_code, str(exc), exc.error_type, exc.code, exc.param)
    if isinstance(exc, UpstreamError):
        return answer(exc.status_code, str(exc), "api_error", exc.code)
    if isinstance(exc, ClientDisconnected):
        return Response(status_code=ClientDisconnected.status_code)  # nobody will read it
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return answer(
                404, f"no such endpoint: {method} {path}", "invalid_request_error", "not_found"
            )
        if exc.status_code == 405:
            message = f"method {method} not allowed on {path}"
            return answer(405, message, "invalid_request_error", "method_not_allowed")
        return answer(exc.status_code, str(exc.detail), "invalid_request_error", None)
    return answer(500, "internal gateway error", "api_error", "internal_error")
