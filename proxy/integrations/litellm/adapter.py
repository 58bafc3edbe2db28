"""LiteLLM's objects as the gateway's plain data: which endpoint family a call
type or route is, request facts for rules, chunks and messages as dicts and
back. Everything here reads LiteLLM's shapes; nothing decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litellm.types.utils import ModelResponseStream, TextCompletionResponse

from ....policies.engine import RequestInfo
from ...enforcement.request import request_info
from ...payloads import family_for
from ...payloads.bundles import PayloadShapeError
from ...payloads.kinds import EndpointKind

__all__ = [
    "CALL_KINDS",
    "chunk_dict",
    "chunk_like",
    "guardrail_request_info",
    "plain_message",
    "stream_kind",
]

# call types whose request bodies the hooks read themselves, by the gateway's endpoint kind
CALL_KINDS: Mapping[str, EndpointKind] = {
    "completion": EndpointKind.CHAT,
    "acompletion": EndpointKind.CHAT,
    "text_completion": EndpointKind.COMPLETIONS,
    "atext_completion": EndpointKind.COMPLETIONS,
    "embedding": EndpointKind.EMBEDDINGS,
    "aembedding": EndpointKind.EMBEDDINGS,
}


def guardrail_request_info(
    data: Mapping[str, Any], user_api_key_dict: Any, kind: EndpointKind
) -> RequestInfo:
    """What rules may read about a LiteLLM call: the requester's metadata
    (the proxy's bucket, or the SDK caller's own), its x-* headers and route."""
    metadata: Any = _bucket(data).get("requester_metadata")
    if not isinstance(metadata, Mapping):
        metadata = data.get("metadata")  # the SDK: the caller's own
    if not isinstance(metadata, Mapping):
        metadata = {}
    server_request = data.get("proxy_server_request")
    raw_headers = server_request.get("headers") if isinstance(server_request, Mapping) else None
    route = getattr(user_api_key_dict, "request_route", None) or family_for(kind).path
    user = data.get("user")
    return request_info(
        str(route),
        str(data.get("model") or ""),
        user if isinstance(user, str) else "",
        {k: v for k, v in metadata.items() if isinstance(v, str | int | float | bool)},
        raw_headers if isinstance(raw_headers, Mapping) else {},
    )


def stream_kind(route: str) -> EndpointKind | None:
    path = route.rstrip("/")
    if path.endswith("/chat/completions"):
        return EndpointKind.CHAT
    if path.endswith("/completions") and not path.endswith("/chat/completions"):
        return EndpointKind.COMPLETIONS
    return None if route else EndpointKind.CHAT


def _bucket(data: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("litellm_metadata", "metadata"):
        value = data.get(key)
        if isinstance(value, Mapping) and "requester_metadata" in value:
            return value
    return {}


def plain_message(message: Any) -> Any:
    dump = getattr(message, "model_dump", None)
    return dump(exclude_none=True) if callable(dump) else message


def chunk_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    dump = getattr(item, "model_dump", None)
    if not callable(dump):
        raise PayloadShapeError(f"stream chunk of type {type(item).__name__} cannot be read")
    result = dump(exclude_none=True)
    if not isinstance(result, dict):
        raise PayloadShapeError("stream chunk cannot be read")
    return result


def chunk_like(template: Any, chunk: dict[str, Any]) -> Any:
    """``chunk`` as the kind of object the stream carried."""
    if isinstance(template, Mapping):
        return chunk
    if isinstance(template, TextCompletionResponse):
        return TextCompletionResponse(**chunk)
    return ModelResponseStream(**chunk)
