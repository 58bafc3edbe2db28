"""Upstream errors, and the one table that maps errors to HTTP responses.

See :mod:`sluicegate.guards.errors` for the whole exception tree.
"""

from __future__ import annotations

from typing import Any

from ..guards.errors import SluicegateError

__all__ = [
    "ClientDisconnected",
    "ClientError",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
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


def openai_error(
    message: str, *, error_type: str, code: str | None, param: str | None = None
) -> dict[str, Any]:
    """OpenAI's error body shape, which SDKs parse into their exceptions."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


class ClientDisconnected(SluicegateError):
    """The client went away before its answer was ready; the upstream call was
    cancelled. Recorded with status 499, like nginx does."""

    status_code = 499
