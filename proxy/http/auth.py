"""Gateway keys: which clients may use the gateway, and what they are pinned to."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ..config import GatewayKey
from .errors import ClientError

__all__ = ["ClientIdentity", "KeyRing"]

KEY_HEADER = "x-sluicegate-key"


class ClientIdentity:
    __slots__ = ("from_authorization", "name", "policy")

    def __init__(self, name: str | None, policy: str | None, from_authorization: bool) -> None:
        self.name = name
        self.policy = policy
        self.from_authorization = from_authorization


ANONYMOUS = ClientIdentity(None, None, False)


class KeyRing:
    """Keys are held as SHA-256 digests, so a lookup is a dict hit and the
    plain keys do not sit in memory after start-up."""

    def __init__(self, keys: list[GatewayKey]) -> None:
        self._keys = {_digest(k.key): k for k in keys}

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def identify(self, headers: Mapping[str, str]) -> ClientIdentity:
        """Read ``x-sluicegate-key``, else ``Authorization: Bearer``. Whenever
        Authorization carries a gateway key it is the gateway's, and is not
        forwarded upstream (even if the key came in the other header too)."""
        if not self._keys:
            return ANONYMOUS
        scheme, _, token = headers.get("authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else ""
        bearer_entry = self._keys.get(_digest(bearer)) if bearer else None
        presented = headers.get(KEY_HEADER)
        entry = self._keys.get(_digest(presented)) if presented else bearer_entry
        if entry is None:
            raise ClientError(
                "invalid or missing gateway key",
                status_code=401,
                code="invalid_api_key",
                error_type="authentication_error",
            )
        return ClientIdentity(entry.name, entry.policy, bearer_entry is not None)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()
