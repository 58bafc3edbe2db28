"""One JSON line per request: what was decided, by which rules, how fast."""

from __future__ import annotations

import sys
import time
from typing import IO, Any, Protocol

import orjson

__all__ = ["AuditLog", "AuditSink"]


class AuditSink(Protocol):
    """Where audit lines go. ``write`` takes one line, already JSON-ready."""

    @property
    def enabled(self) -> bool: ...

    def write(self, line: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class AuditLog:
    """Writes to a stream it is given, or a file it opens; ``None`` path = off.

    Lines are small and written whole in one call, so concurrent requests in
    one process never interleave inside a line.
    """

    def __init__(self, path: str | None = "-", *, stream: IO[bytes] | None = None) -> None:
        self._owned: IO[bytes] | None = None
        if stream is not None:
            self._stream: IO[bytes] | None = stream
        elif path is None:
            self._stream = None
        elif path == "-":
            self._stream = sys.stderr.buffer
        else:
            self._owned = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
            self._stream = self._owned

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def write(self, record: dict[str, Any]) -> None:
        if self._stream is None:
            return
        record.setdefault("ts", round(time.time(), 3))
        self._stream.write(orjson.dumps(record) + b"\n")
        if self._owned is None:
            self._stream.flush()

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None
