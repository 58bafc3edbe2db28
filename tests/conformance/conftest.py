"""Gateways for the conformance suite: one per stream mode, plus the bundled packs.

Started once per session (uvicorn each, in front of the session's mock upstream)
so every client module reuses them; each test pushes its upstream replies in
the order its client makes requests.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.audit import AuditLog
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.policy_store import PolicyStore
from tests.conformance.known import known_reason
from tests.conformance.scenarios import BLOCK_NOTICE, TRIGGER
from tests.support.guards import trigger_registry
from tests.support.servers import MockUpstream, serve

#: Stream modes of the permissive test policy; small windows, so a stream is cut
#: into many releases and a trigger mid-answer is found mid-stream.
STREAM_MODES = ("window", "buffer", "audit", "passthrough")
#: Gateways on the bundled packs: what users get.
PACKS = ("default", "strict", "deterministic")

POLICY = f"""\
version: 1
guards:
  t: {{type: trigger, triggers: {{"{TRIGGER}": bad}}}}
rules:
  - {{name: block-bad, when: 'scores["t.bad"] > 0.5', action: block, message: "{BLOCK_NOTICE}"}}
default_action: allow
streaming: {{mode: MODE, window_chars: 16, first_window_chars: 8, holdback_chars: 24}}
"""


@dataclass
class Target:
    """Where a client is pointed: the mock upstream itself, or a gateway."""

    name: str
    url: str  # base URL without /v1
    audit_stream: io.BytesIO | None = None

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def direct(self) -> bool:
        return self.name == "direct"

    def audit(self) -> list[dict[str, Any]]:
        assert self.audit_stream is not None
        return [orjson.loads(line) for line in self.audit_stream.getvalue().splitlines()]


@dataclass
class Targets:
    upstream: MockUpstream
    direct: Target
    modes: dict[str, Target]  # stream mode -> gateway on the trigger policy
    packs: dict[str, Target]  # pack name -> gateway on that pack

    def named(self, name: str) -> Target:
        """A test parameter's target: ``direct``, a stream mode, or ``pack:NAME``."""
        if name == "direct":
            return self.direct
        if name.startswith("pack:"):
            return self.packs[name.removeprefix("pack:")]
        return self.modes[name]

    def stream_targets(self) -> list[Target]:
        """Direct first, then every stream mode, then the default pack (window)."""
        return [self.direct, *self.modes.values(), self.packs["default"]]

    def plain_targets(self) -> list[Target]:
        """Non-streamed requests: direct, the trigger policy, the default pack."""
        return [self.direct, self.modes["window"], self.packs["default"]]


@pytest.fixture(scope="session")
def targets(
    _upstream_server: tuple[MockUpstream, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Targets]:
    mock, url = _upstream_server
    folder = tmp_path_factory.mktemp("conformance")
    with ExitStack() as stack:

        def start(name: str, policy: str) -> Target:
            settings: dict[str, Any] = {
                "upstream": {"url": url},
                "hot_reload": False,
                "policies": {"default": policy},
            }
            cfg = GatewayConfig.model_validate(settings)
            audit = io.BytesIO()
            store = PolicyStore(cfg, PolicyLoader(trigger_registry()))
            app = create_app(cfg, store=store, audit=AuditLog(stream=audit))
            return Target(name, stack.enter_context(serve(app)), audit)

        modes = {}
        for mode in STREAM_MODES:
            path = Path(folder / f"{mode}.yaml")
            path.write_text(POLICY.replace("MODE", mode), encoding="utf-8")
            modes[mode] = start(mode, str(path))
        packs = {pack: start(f"pack:{pack}", f"pack:{pack}") for pack in PACKS}
        yield Targets(mock, Target("direct", url), modes, packs)


@pytest.fixture
def mock(targets: Targets) -> MockUpstream:
    targets.upstream.reset()
    return targets.upstream


@pytest.fixture(autouse=True)
def _known_failures(request: pytest.FixtureRequest) -> None:
    """Mark the known gateway failures (tests/conformance/known.py) xfail, not strict."""
    callspec = getattr(request.node, "callspec", None)
    params = dict(callspec.params) if callspec else {}
    reason = known_reason(
        request.node.module.__name__.rsplit(".", 1)[-1], request.node.originalname, params
    )
    if reason:
        request.node.add_marker(pytest.mark.xfail(reason=reason, strict=False))
