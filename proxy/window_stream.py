"""``window`` mode: relay a stream while guarding it, releasing text only
after the output guards have read it (see :mod:`sluicegate.proxy.windowing`).

Per choice, ``content`` (``text`` for completions) is released window by
window. Tool calls, refusals and reasoning text are held until the choice
ends, then checked with the whole answer exactly as the non-streamed path
checks it, and released redacted, or the choice is ended with
``finish_reason: content_filter``. The guarding itself is
:class:`~sluicegate.proxy.chunk_window.ChunkWindow`'s; this module reads and
writes the SSE bytes around it and owns the audit line.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..policies.decisions import PolicyDecision
from ..policies.engine import RequestInfo
from ..policies.policy import Policy
from .chunk_window import ChunkWindow
from .enforcement import OutputGuardStage
from .payloads import PayloadShapeError
from .sse import DONE_EVENT, SSEFormatError, SSEParser, decode_chunk, encode_event, error_event

__all__ = ["WindowedStream"]


@dataclass
class WindowedStream:
    """One streamed answer: feed it upstream bytes, it yields client bytes."""

    policy: Policy
    kind: str  # "chat" or "text"
    stage: OutputGuardStage
    info: RequestInfo
    record: dict[str, Any]
    on_done: Callable[[dict[str, Any]], None]
    max_bytes: int
    window: ChunkWindow = field(init=False)

    def __post_init__(self) -> None:
        self.window = ChunkWindow(self.policy, self.kind, self.stage, self.info)

    @property
    def decision(self) -> PolicyDecision | None:
        return self.window.decision

    async def relay(self, upstream: httpx.Response, started: float) -> AsyncIterator[bytes]:
        parser = SSEParser()
        status = "client disconnected"  # unless the stream gets further
        size = 0
        try:
            async for data in upstream.aiter_raw():
                size += len(data)
                if size > self.max_bytes:
                    raise SSEFormatError(
                        f"upstream answer exceeds the gateway's limit of {self.max_bytes} bytes"
                    )
                for payload in parser.feed(data):
                    async for out in self._event(payload):
                        yield out
            for payload in parser.close():
                async for out in self._event(payload):
                    yield out
            async for chunk in self.window.finish():
                yield encode_event(chunk)
            yield DONE_EVENT
            status = "complete"
        except (SSEFormatError, PayloadShapeError) as exc:
            status = f"upstream stream invalid: {exc}"
            yield error_event(str(exc))
        except httpx.HTTPError as exc:
            status = f"upstream failed mid-stream: {type(exc).__name__}"
            yield error_event(f"upstream failed mid-stream: {exc or type(exc).__name__}")
        finally:
            # Normal end, upstream failure and client disconnect (cancellation)
            # alike: close the upstream at once, then write the audit line.
            await upstream.aclose()
            self.record["stream_status"] = status
            self.record["status"] = 200
            self.record["upstream_latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            self.record["output"] = self.window.record()
            self.on_done(self.record)

    async def _event(self, payload: bytes) -> AsyncIterator[bytes]:
        chunk = decode_chunk(payload)
        if chunk is None:
            return
        async for out in self.window.feed(chunk):
            yield encode_event(out)
