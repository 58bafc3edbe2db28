"""sluicegate as a LiteLLM guardrail; see :mod:`.guardrail`. LiteLLM's config
names ``sluicegate.proxy.integrations.litellm.SluicegateGuardrail``."""

from .guardrail import SluicegateBlocked, SluicegateGuardrail, SluicegateRequestError

__all__ = ["SluicegateBlocked", "SluicegateGuardrail", "SluicegateRequestError"]
