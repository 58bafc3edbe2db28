"""The examples run as documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sluicegate.proxy.cli import app
from sluicegate.proxy.config import GatewayConfig, load_config
from sluicegate.proxy.http.app import create_app
from tests.support.servers import serve

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_example_policy_passes_its_tests() -> None:
    result = CliRunner().invoke(
        app, ["policy", "test", str(EXAMPLES / "policies/support-bot.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "5 passed, 0 failed" in result.output


def test_example_gateway_config_loads() -> None:
    config = load_config(EXAMPLES / "gateway.yaml")
    assert config.policies["default"].endswith("examples/policies/support-bot.yaml")
    assert config.routes[0].policy == "strict"


def test_quickstart_against_demo_gateway() -> None:
    config = GatewayConfig.model_validate({"hot_reload": False, "audit": {"path": None}})
    with serve(create_app(config)) as url:
        env = {**os.environ, "SLUICEGATE_URL": f"{url}/v1"}
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "quickstart.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("allowed : allow |")
    assert lines[1] == (
        "redacted: redact | This is sluicegate's demo model. You said: Email my notes to [EMAIL]"
    )
    assert lines[2].startswith("blocked : 400 content_filter |")
