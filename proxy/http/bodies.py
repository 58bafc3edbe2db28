"""Reading request bodies: bounded in size, JSON objects only, typed fields."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from .errors import ClientError

__all__ = ["body_field", "read_body", "read_json_body"]


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with a 413 as soon as it passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientError("client disconnected while sending the body") from None
    return b"".join(chunks)


async def read_json_body(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object, or a ClientError: 413 over ``limit``, 400 for bad bytes."""
    raw = await read_body(request, limit)
    if not raw:
        raise ClientError("request body is empty; expected a JSON object", code="invalid_json")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClientError(
            f"request body is not valid UTF-8 (byte {exc.start})", code="invalid_utf8"
        ) from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ClientError(f"request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ClientError("request body must be a JSON object", code="invalid_json")
    return body


def _too_large(limit: int) -> ClientError:
    return ClientError(
        f"request body exceeds the gateway's limit of {limit} bytes",
        status_code=413,
        code="request_too_large",
    )


def body_field(body: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    """``body[name]`` checked against ``kind``; absent or null gives ``default``."""
    value = body.get(name)
    if value is None:
        return default
    # bool is an int subclass in Python but not in JSON's eyes.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ClientError(
            f"'{name}' must be of type {kind.__name__}", param=name, code="invalid_type"
        )
    return value
