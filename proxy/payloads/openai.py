"""What OpenAI's endpoint families share: the error body, the content-filter
400 for a blocked input, and the zero usage of answers the gateway writes."""

from __future__ import annotations

from typing import Any

__all__ = ["CONTENT_POLICY_NOTE", "NO_USAGE", "OpenAIErrors", "content_policy_body", "openai_error"]

NO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}

# Clients map a content-policy 400 to their content-filter exception by its
# code and by wording in its message (the error string is all some of them
# read): LiteLLM's OpenAI path looks for this sentence, its Azure path for
# "content_policy_violation", pydantic-ai (for Azure clients) for the code
# content_filter, and Azure-aware tools for innererror.code. See docs/policies.md, Decisions.
CONTENT_POLICY_NOTE = (
    "Your request was rejected as a result of the safety system (content_policy_violation)."
)


def openai_error(
    message: str, *, error_type: str, code: str | None, param: str | None = None
) -> dict[str, Any]:
    """OpenAI's error body shape, which SDKs parse into their exceptions."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def content_policy_body(message: str, *, param: str | None) -> dict[str, Any]:
    """The 400 body for a blocked input, shaped like Azure OpenAI's
    content-filter error so that SDKs raise their content-policy exception."""
    body = openai_error(
        f"{message} {CONTENT_POLICY_NOTE}",
        error_type="invalid_request_error",
        code="content_filter",
        param=param,
    )
    body["error"]["innererror"] = {"code": "ResponsibleAIPolicyViolation"}
    return body


class OpenAIErrors:
    """Errors in OpenAI's shape, for the families of OpenAI's API."""

    input_field: str

    def error_body(
        self,
        status_code: int,
        message: str,
        *,
        error_type: str,
        code: str | None,
        param: str | None,
    ) -> dict[str, Any]:
        return openai_error(message, error_type=error_type, code=code, param=param)

    def input_block_error(self, message: str) -> dict[str, Any]:
        return content_policy_body(message, param=self.input_field)
