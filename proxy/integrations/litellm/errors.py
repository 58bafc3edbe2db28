"""The exceptions the guardrail raises into LiteLLM: answered by its proxy in
OpenAI's error shape, raised to SDK callers as its GuardrailRaisedException."""

from __future__ import annotations

from typing import Any

from litellm.exceptions import GuardrailRaisedException

from ...http.responses import DECISION_HEADER

try:  # the proxy's exception type, so the proxy answers in OpenAI's error shape
    from litellm.proxy._types import ProxyException as _ProxyException
except ImportError:  # the SDK without the proxy extra

    class _ProxyException(Exception):  # type: ignore[no-redef]
        def to_dict(self) -> dict[str, Any]:
            return {}


class SluicegateRequestError(GuardrailRaisedException, _ProxyException):  # type: ignore[misc]
    """A request the guardrail refuses. On the proxy it is answered as
    ``{"error": {"message", "type", "param", "code"}}`` with the HTTP status;
    on the SDK it reaches the caller as LiteLLM's ``GuardrailRaisedException``
    (so routers neither retry nor fall back on it)."""

    def __init__(
        self,
        message: str,
        *,
        guardrail_name: str | None,
        code: str,
        status_code: int = 400,
        param: str | None = None,
        decision: str | None = None,
        blocked_content: bool = True,
    ) -> None:
        # Both bases set plain attributes; neither __init__ cooperates with the
        # other, so set them here (the proxy reads these names).
        Exception.__init__(self, message)
        self.message = message
        self.guardrail_name = guardrail_name
        self.blocked_content = blocked_content
        self.status_code = status_code
        self.type = "invalid_request_error"
        self.param = param
        self.openai_code = code
        self.code = str(status_code)  # the proxy takes the HTTP status from here
        self.headers = {DECISION_HEADER: decision} if decision else {}
        self.provider_specific_fields = None

    def to_dict(self) -> dict[str, Any]:
        """The error object as OpenAI writes it: ``code`` is the error code
        (``content_filter``), not the HTTP status LiteLLM puts there."""
        return {
            "message": self.message,
            "type": self.type,
            "param": self.param,
            "code": self.openai_code,
        }


class SluicegateBlocked(SluicegateRequestError):
    """The policy blocked the request: HTTP 400 with the same body the gateway
    answers (Azure's content-filter shape, ``code: content_filter``), so
    clients raise their content-policy exception for it either way."""

    def __init__(
        self, error: dict[str, Any], *, guardrail_name: str | None, decision: str | None
    ) -> None:
        super().__init__(
            str(error["message"]),
            guardrail_name=guardrail_name,
            code=str(error.get("code") or "content_filter"),
            param=error.get("param"),
            decision=decision,
        )
        self.error = error

    def to_dict(self) -> dict[str, Any]:
        return dict(self.error)


__all__ = ["SluicegateBlocked", "SluicegateRequestError"]
