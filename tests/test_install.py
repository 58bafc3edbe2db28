"""Both install modes expose the three folders as sluicegate.{proxy,guards,policies}."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import sluicegate.proxy.http.app, sluicegate.guards.base, sluicegate.policies.loader, os;"
    "from sluicegate.policies.packs import pack_path;"
    "assert pack_path('default').is_file();"
    "from importlib.resources import files;"
    "assert files('sluicegate.guards').joinpath('data/default_classifier.npz').is_file();"
    "print(os.path.dirname(sluicegate.guards.base.__file__))"
)


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["install", "editable"])
def test_pip_install_imports_package(tmp_path: Path, editable: bool) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies come from this test environment, so the test needs no index.
    Path(site, "deps-from-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    target = ["-e", str(ROOT)] if editable else [str(ROOT)]
    env = {**os.environ, "PIP_NO_INDEX": "1"}
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q", *target],
        check=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
    )
    result = subprocess.run(
        [python, "-c", PROBE], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    location = Path(result.stdout.strip())
    if editable:
        assert location == ROOT / "guards"
    else:
        assert location.is_relative_to(site)
        assert (location.parent / "policies" / "packs" / "default.yaml").is_file()


def test_the_core_never_imports_litellm() -> None:
    """Only sluicegate.proxy.integrations.litellm may import LiteLLM (an optional extra)."""
    code = (
        "import sys, sluicegate.proxy.http.app, sluicegate.proxy.cli, sluicegate.guards.registry;"
        "from sluicegate.policies.packs import pack_path;"
        "from sluicegate.policies.loader import PolicyLoader;"
        "PolicyLoader().load_file(pack_path('default'));"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'litellm'], 'litellm imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_policy_schema_needs_no_model_extra() -> None:
    """The published schema covers the model guard types without importing
    torch, so `policy schema` and editors work on the core install."""
    code = (
        "import sys; from sluicegate.policies.jsonschema import policy_json_schema;"
        "schema = policy_json_schema();"
        "assert 'gliclass' in str(schema) and 'peft-head' in str(schema);"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
