"""The policies a gateway serves: loading, selection per request, hot reload."""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from pathlib import Path

import anyio.to_thread
from watchfiles import Change, awatch

from ..policies.errors import PolicyError
from ..policies.loader import PolicyLoader, test_file_for
from ..policies.packs import pack_path
from ..policies.policy import Policy
from .config import GatewayConfig
from .errors import ClientError

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

    def load_all(self) -> None:
        """Load every policy in use; any error stops start-up (PolicyError)."""
        needed = {
            self.config.default_policy,
            *self.config.header_policies,
            *(r.policy for r in self.config.routes),
            *self.config.policies,
        }
        for name in sorted(needed):
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
        """Key pin first, then the client's header (only names the config allows),
        then the first matching route entry, then the default."""
        if key_policy is not None:
            return self._policies[key_policy]
        if header is not None:
            if header not in self.config.header_policies:
                raise ClientError(
                    f"policy {header!r} cannot be chosen with {POLICY_HEADER}; "
                    f"allowed: {self.config.header_policies or 'none'}",
                    param=POLICY_HEADER,
                    code="policy_not_allowed",
                )
            return self._policies[header]
        for entry in self.config.routes:
            if entry.route is not None and entry.route != route:
                continue
            if entry.model is not None and not fnmatch.fnmatchcase(model, entry.model):
                continue
            if entry.key is not None and entry.key != key_name:
                continue
            return self._policies[entry.policy]
        return self._policies[self.config.default_policy]

    def reload(self, changed: set[Path]) -> list[str]:
        """Reload policies whose file (or test sidecar) changed. A bad file keeps
        the old policy serving; the swap of a good one is a single assignment."""
        reloaded = []
        for name, path in self.paths.items():
            if name not in self._policies:
                continue
            if path.resolve() not in changed and test_file_for(path).resolve() not in changed:
                continue
            try:
                policy = self.loader.load_file(path, name=name)
            except PolicyError as exc:
                logger.error("policy reload failed, still serving the previous version: %s", exc)
                continue
            self._policies[name] = policy
            reloaded.append(name)
            logger.info("policy %s reloaded from %s (digest %s)", name, path, policy.digest)
        return reloaded

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload on file changes until ``stop`` is set (runs in the lifespan)."""
        folders = sorted(
            {str(p.resolve().parent) for n, p in self.paths.items() if n in self._policies}
        )
        async for changes in awatch(*folders, stop_event=stop, debounce=200, step=50):
            # Resolving and loading touch the disk and may build models: off the loop.
            await anyio.to_thread.run_sync(self._reload_changes, changes)

    def _reload_changes(self, changes: set[tuple[Change, str]]) -> list[str]:
        return self.reload({Path(path).resolve() for _, path in changes})
