"""The one httpx client to the upstream LLM, and the translation of its errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping

import httpx

from .config import UpstreamConfig
from .http.errors import UpstreamError, UpstreamTimeout, UpstreamUnreachable

__all__ = [
    "UpstreamClient",
    "default_transport",
    "raw_chunks",
]

# Never forwarded in either direction: connection-level, or recomputed by us.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
        "accept-encoding",
    }
)


def default_transport(config: UpstreamConfig) -> httpx.AsyncBaseTransport:
    """httpx's API over aiohttp's connection pool: httpx's own pool costs about a
    millisecond of CPU per request, which dominates a guarded round trip."""
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(
        max_connections=config.max_connections,
        max_keepalive_connections=config.max_keepalive_connections,
    )
    transport: httpx.AsyncBaseTransport = AiohttpTransport(limits=limits, trust_env=False)
    return transport


class UpstreamClient:
    """Owns the pooled transport; made in the app's lifespan, closed on shutdown.

    Requests go straight to the httpx transport rather than through an
    ``httpx.AsyncClient``: a client keeps a cookie jar, so one tenant's upstream
    cookies would be replayed on another tenant's requests, and its per-request
    URL merging and cookie extraction cost a quarter of the gateway's CPU. The
    transport stays the seam (aiohttp by default; ``MockTransport`` or
    ``ASGITransport`` in tests and for the demo model)."""

    def __init__(
        self,
        config: UpstreamConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
    ) -> None:
        self.api_key = config.api_key()
        self.max_response_bytes = config.max_response_bytes
        self.base_url = (base_url or config.url).rstrip("/")
        self._transport = transport or default_transport(config)
        self._timeout = httpx.Timeout(
            connect=config.connect_timeout_s,
            read=config.read_timeout_s,
            write=config.write_timeout_s,
            pool=config.pool_timeout_s,
        ).as_dict()

    def forward_headers(
        self, incoming: Mapping[str, str], *, strip: Collection[str] = ()
    ) -> dict[str, str]:
        """Client headers to send upstream: no hop-by-hop or gateway headers,
        none of ``strip`` (lower-case names: headers that carried a gateway
        key), the upstream key in place of the client's when one is
        configured, and no compression (bodies are parsed here; loopback and
        LAN gain nothing)."""
        dropped = {*strip, "authorization"} if self.api_key is not None else set(strip)
        headers = {
            k: v
            for k, v in incoming.items()
            if k.lower() not in HOP_BY_HOP
            and not k.lower().startswith("x-sluicegate-")
            and k.lower() not in dropped
        }
        if self.api_key is not None:
            headers["authorization"] = f"Bearer {self.api_key}"
        headers["accept-encoding"] = "identity"
        return headers

    async def send(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None,
        params: str = "",
        stream: bool = False,
    ) -> httpx.Response:
        """Send and return the response; with ``stream`` the body is unread and
        the caller must ``aclose()`` it. Raises :class:`UpstreamError`."""
        url = f"{self.base_url}{path}?{params}" if params else f"{self.base_url}{path}"
        request = httpx.Request(
            method,
            url,
            headers=headers,
            content=content,
            extensions={"timeout": self._timeout},
        )
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.HTTPError as exc:
            raise translate(exc) from exc
        if stream:
            return response
        try:
            content = await self.read(response)
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def read(self, response: httpx.Response) -> bytes:
        """The rest of ``response``'s body, up to ``max_response_bytes``
        (beyond it an UpstreamError: nothing the gateway must check is unbounded)."""
        chunks = []
        size = 0
        try:
            async for chunk in raw_chunks(response):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise UpstreamError(
                        f"upstream answer exceeds the gateway's limit of "
                        f"{self.max_response_bytes} bytes"
                    )
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise translate(exc) from exc
        return b"".join(chunks)

    async def aclose(self) -> None:
        await self._transport.aclose()


def translate(exc: BaseException) -> UpstreamError:
    """Map transport errors to ours. The aiohttp transport reports a refused
    connection as ``ConnectTimeout``, so look at the original cause too."""
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        timed_out = isinstance(cause, TimeoutError)
    else:
        timed_out = isinstance(exc, httpx.TimeoutException)
    if timed_out:
        return UpstreamTimeout(f"upstream did not answer in time: {exc or type(exc).__name__}")
    return UpstreamUnreachable(f"upstream unreachable: {exc or type(exc).__name__}")


async def raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body's bytes as they arrive; at once when a transport has read
    them already (``httpx.MockTransport`` reads its responses whole)."""
    if response.is_stream_consumed:
        if response.content:
            yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk
