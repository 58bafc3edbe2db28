"""Failures of the gateway that the suite knows about, marked xfail(strict=False).

Each entry was seen failing with the error its reason quotes (see the report of
issue 14); when the streaming rewrite fixes one the test xpasses, and the entry
should then be removed. A failure not listed here fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["KNOWN", "Known", "known_reason"]

@dataclass(frozen=True)
class Known:
    module: str  # test module stem, e.g. "test_openai_python"
    tests: frozenset[str]  # test function names
    targets: frozenset[str]  # target param values ("window", "pack:default", ...)
    reason: str
    scenarios: frozenset[str] | None = None  # None: every scenario
    methods: frozenset[str] | None = None  # openai-node's "method" param; None: every one


# Empty since the one stream relay (issue 14) fixed what was listed: role lost
# in window mode, held tool calls merged into one delta, and the Responses
# stream helper raising on a block. A failure found later goes here, with the
# error it shows, until it is fixed.
KNOWN: Final[tuple[Known, ...]] = ()


def known_reason(module: str, test: str, params: dict[str, object]) -> str | None:
    keys = ("name", "target", "async_client")
    target = next((str(v) for k, v in params.items() if k in keys), None)
    scenario = params.get("scenario")
    scenario_name = getattr(scenario, "name", scenario)
    reasons = [
        k.reason
        for k in KNOWN
        if k.module == module
        and test in k.tests
        and target in k.targets
        and (k.scenarios is None or scenario_name in k.scenarios)
        and (k.methods is None or "method" not in params or params["method"] in k.methods)
    ]
    return " / ".join(reasons) or None
