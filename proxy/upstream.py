"""The one httpx client to the upstream LLM, and the translation of its errors."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from .config import UpstreamConfig
from .errors import UpstreamError, UpstreamTimeout, UpstreamUnreachable

__all__ = ["UpstreamClient", "default_transport"]

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
    """Owns the pooled client; made in the app's lifespan, closed on shutdown."""

    def __init__(
        self,
        config: UpstreamConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
    ) -> None:
        self.api_key = config.api_key()
        self._client = httpx.AsyncClient(
            base_url=base_url or config.url,
            transport=transport or default_transport(config),
            timeout=httpx.Timeout(
                connect=config.connect_timeout_s,
                read=config.read_timeout_s,
                write=config.write_timeout_s,
                pool=config.pool_timeout_s,
            ),
            headers={"accept-encoding": "identity"},
        )

    def forward_headers(
        self, incoming: Mapping[str, str], *, strip_authorization: bool = False
    ) -> dict[str, str]:
        headers = {
            k: v
            for k, v in incoming.items()
            if k.lower() not in HOP_BY_HOP and not k.lower().startswith("x-sluicegate-")
        }
        if self.api_key is not None:
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            headers["authorization"] = f"Bearer {self.api_key}"
        elif strip_authorization:
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
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
        url = f"{path}?{params}" if params else path
        request = self._client.build_request(method, url, headers=headers, content=content)
        try:
            return await self._client.send(request, stream=stream)
        except httpx.HTTPError as exc:
            raise translate(exc) from exc

    async def aclose(self) -> None:
        await self._client.aclose()


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
