"""The policies a gateway serves: loading, selection per request, hot reload."""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import logging
from pathlib import Path

import anyio.to_thread
from watchfiles import awatch

from ..policies.loader import PolicyLoader, test_file_for
from ..policies.packs import pack_path
from ..policies.policy import Policy
from .config import GatewayConfig
from .http.errors import ClientError

__all__ = ["PolicyStore", "resolve_policy_path"]

logger = logging.getLogger("sluicegate.policies")
POLICY_HEADER = "x-sluicegate-policy"


def resolve_policy_path(value: str) -> Path:
    """A file path, or ``pack:<name>`` for a bundled pack."""
    if value.startswith("pack:"):
        return pack_path(value.removeprefix("pack:"))
    return Path(value)


class PolicyStore:
    def __init__(self, config: GatewayConfig, loader: PolicyLoader | None = None) -> None:
        self.config = config
        self.loader = loader or PolicyLoader()
        sources = {"default": "pack:default", "strict": "pack:strict", **config.policies}
        self.paths: dict[str, Path] = {n: resolve_policy_path(v) for n, v in sources.items()}
        self._policies: dict[str, Policy] = {}
        self._digests: dict[str, str] = {}

    def load_all(self) -> None:
        """Load every policy in use; any error stops start-up (PolicyError)."""
        needed = {
            *self.config.pinned_policies(),
            self.config.default_policy,
            *self.config.header_policies,
            *(r.policy for r in self.config.routes),
            *self.config.policies,
        }
        for name in sorted(needed):
            self._digests[name] = _source_digest(self.paths[name]) or ""
            self._policies[name] = self.loader.load_file(self.paths[name], name=name)

    def get(self, name: str) -> Policy:
        return self._policies[name]

    @property
    def policies(self) -> dict[str, Policy]:
        return dict(self._policies)

    def select(
        self,
        *,
        route: str,
        model: str,
        key_name: str | None,
        key_policy: str | None,
        header: str | None,
    ) -> Policy:
        """Key pin first, then the first matching route entry, then the client's
        header (only names the config allows), then the default. Routes win
        over the header, so a client can only pick among what the operator
        left open to it."""
        if key_policy is not None:
            return self._policies[key_policy]
        for entry in self.config.routes:
            if entry.route is not None and entry.route != route:
                continue
            if entry.model is not None and not fnmatch.fnmatchcase(model, entry.model):
                continue
            if entry.key is not None and entry.key != key_name:
                continue
            return self._policies[entry.policy]
        if header is not None:
            if header not in self.config.header_policies:
                raise ClientError(
                    f"policy {header!r} cannot be chosen with {POLICY_HEADER}; "
                    f"allowed: {self.config.header_policies or 'none'}",
                    param=POLICY_HEADER,
                    code="policy_not_allowed",
                )
            return self._policies[header]
        return self._policies[self.config.default_policy]

    def reload(self) -> list[str]:
        """Reload each policy whose file or test sidecar now has other content.
        Content, not paths, decides: editors replace files and Kubernetes swaps
        a ``..data`` symlink, neither of which touches the policy's own path.
        A bad file keeps the old policy serving; a good one is swapped in with
        a single assignment."""
        reloaded = []
        for name, path in self.paths.items():
            if name not in self._policies:
                continue
            digest = _source_digest(path)
            if digest is None or digest == self._digests.get(name):
                continue
            self._digests[name] = digest
            try:
                policy = self.loader.load_file(path, name=name)
            except Exception as exc:  # any failure must leave the watcher running
                logger.error("policy reload failed, still serving the previous version: %s", exc)
                continue
            self._policies[name] = policy
            reloaded.append(name)
            logger.info("policy %s reloaded from %s (digest %s)", name, path, policy.digest)
        return reloaded

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload on file changes until ``stop`` is set (runs in the lifespan)."""
        folders = sorted(
            {str(p.absolute().parent) for n, p in self.paths.items() if n in self._policies}
        )
        async for _ in awatch(*folders, stop_event=stop, debounce=200, step=100):
            # Reading and loading touch the disk and may build models: off the loop.
            await anyio.to_thread.run_sync(self.reload)


def _source_digest(path: Path) -> str | None:
    """Hash of a policy file and its test sidecar; None while unreadable."""
    digest = hashlib.sha256()
    try:
        digest.update(path.read_bytes())
        sidecar = test_file_for(path)
        if sidecar.is_file():
            digest.update(b"\0" + sidecar.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()
