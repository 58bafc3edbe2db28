"""What a policy's rules may read about a request, built the same way by the
HTTP routes and the LiteLLM guardrail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...policies.engine import RequestInfo

__all__ = ["PRIVATE_HEADERS", "request_info"]

# Rules see the client's x-* headers, never its credentials.
_RULE_HEADER_PREFIXES = ("x-",)
PRIVATE_HEADERS = frozenset({"authorization", "x-sluicegate-key", "cookie", "x-api-key"})


def request_info(
    route: str,
    model: str,
    user: str,
    metadata: Mapping[Any, Any],
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> RequestInfo:
    """``metadata`` values are read as strings; of ``headers`` (any case),
    only the x-* ones that carry no credential."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return RequestInfo(
        route=route,
        model=model,
        user=user,
        metadata={str(k): str(v) for k, v in metadata.items()},
        headers={
            k: v
            for k, v in ((str(k).lower(), str(v)) for k, v in pairs)
            if k.startswith(_RULE_HEADER_PREFIXES) and k not in PRIVATE_HEADERS
        },
    )
