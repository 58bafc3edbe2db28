"""The public API of each package is its __all__; pin it so changes are deliberate."""

from __future__ import annotations

import sluicegate.guards
import sluicegate.policies
import sluicegate.proxy

EXPECTED = {
    sluicegate.guards: {
        "Finding",
        "Guard",
        "GuardCall",
        "GuardConfigError",
        "GuardError",
        "GuardOutcome",
        "GuardRegistry",
        "GuardResult",
        "GuardRunner",
        "GuardTimeoutError",
        "GuardType",
        "MissingExtraError",
        "NormalizedText",
        "SluicegateError",
        "Span",
        "SyncGuard",
        "default_registry",
        "normalize",
    },
    sluicegate.policies: {
        "Action",
        "DecisionReason",
        "Escalation",
        "Evaluation",
        "Policy",
        "PolicyDecision",
        "PolicyError",
        "PolicyEvaluator",
        "PolicyLoader",
        "PolicySpec",
        "RequestInfo",
        "RuleMatch",
        "Stage",
        "decide",
    },
    sluicegate.proxy: {
        "ClientError",
        "GatewayConfig",
        "InputGuardStage",
        "OutputGuardStage",
        "StageOutcome",
        "UpstreamError",
        "UpstreamTimeout",
        "UpstreamUnreachable",
        "create_app",
        "load_config",
    },
}


def test_exported_members() -> None:
    for module, names in EXPECTED.items():
        assert set(module.__all__) == names, module.__name__
        for name in names:
            assert getattr(module, name) is not None


def test_core_import_does_not_pull_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sluicegate.proxy.http.app, sluicegate.guards, sluicegate.policies;"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
