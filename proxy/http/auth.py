"""Gateway keys: which clients may use the gateway, and what they are pinned to."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ..config import GatewayKey
from .errors import ClientError

__all__ = ["ClientIdentity", "KeyRing"]

KEY_HEADER = "x-sluicegate-key"


class ClientIdentity:
    __slots__ = ("gateway_headers", "name", "policy")

    def __init__(
        self, name: str | None, policy: str | None, gateway_headers: frozenset[str] = frozenset()
    ) -> None:
        self.name = name
        self.policy = policy
        # Client headers that carried a gateway key: never forwarded upstream.
        self.gateway_headers = gateway_headers


ANONYMOUS = ClientIdentity(None, None)


class KeyRing:
    """Keys are held as SHA-256 digests, so a lookup is a dict hit and the
    plain keys do not sit in memory after start-up."""

    def __init__(self, keys: list[GatewayKey]) -> None:
        self._keys = {_digest(k.key): k for k in keys}

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def identify(self, headers: Mapping[str, str]) -> ClientIdentity:
        """Read ``x-sluicegate-key``, else ``Authorization: Bearer`` or
        ``x-api-key`` (where Anthropic's SDKs put a key). A key-carrying header
        whose value is a gateway key is the gateway's and is not forwarded
        upstream, even if the key came in another header too."""
        if not self._keys:
            return ANONYMOUS
        scheme, _, token = headers.get("authorization", "").partition(" ")
        carried = {
            "authorization": token.strip() if scheme.lower() == "bearer" else None,
            "x-api-key": headers.get("x-api-key"),
        }
        found = {h: e for h, v in carried.items() if v and (e := self._keys.get(_digest(v)))}
        presented = headers.get(KEY_HEADER)
        # x-sluicegate-key, when sent, decides alone (a wrong one is not rescued
        # by a right key elsewhere); else a gateway key in either header does,
        # and a provider key in the other is the client's, forwarded.
        if presented is not None:
            entry = self._keys.get(_digest(presented))
        else:
            entry = next(iter(found.values()), None)
        if entry is None:
            raise ClientError(
                "invalid or missing gateway key",
                status_code=401,
                code="invalid_api_key",
                error_type="authentication_error",
            )
        return ClientIdentity(entry.name, entry.policy, frozenset(found))


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()
