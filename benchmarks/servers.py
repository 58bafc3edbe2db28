"""How each benchmarked server is configured and started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from processes import ServerProcess, free_port
from workload import BENCH_KEY

__all__ = ["ServerSet"]

HERE = Path(__file__).resolve().parent


class ServerSet:
    """Starts servers on free 127.0.0.1 ports and stops them all at the end."""

    def __init__(self, workdir: Path, *, extra_pythonpath: str | None = None) -> None:
        self.workdir = workdir
        self.extra_pythonpath = extra_pythonpath
        self.live: list[ServerProcess] = []
        self.gateway_commands: dict[str, str] = {}
        self.litellm_version = "unknown"

    def python_env(self) -> dict[str, str]:
        """Environment of the Python servers built from this checkout."""
        env = dict(os.environ)
        if self.extra_pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (self.extra_pythonpath, env.get("PYTHONPATH")) if p)
        return env

    def start(self, name: str, argv: list[str], port: int, health: str, *,
              env: dict[str, str] | None = None, ready_s: float = 60.0) -> ServerProcess:
        server = ServerProcess(name, argv, port=port, health_path=health, log_dir=self.workdir,
                               env=env, cwd=self.workdir)
        self.live.append(server)
        server.wait_ready(ready_s)
        return server

    def stop_all(self) -> None:
        for server in reversed(self.live):
            server.stop()
        self.live.clear()

    def mock(self) -> ServerProcess:
        port = free_port()
        argv = [sys.executable, str(HERE / "mock_upstream.py"), "--port", str(port)]
        return self.start("mock", argv, port, "/healthz")

    def bare(self, mock: ServerProcess) -> ServerProcess:
        port = free_port()
        argv = [sys.executable, str(HERE / "bare_proxy.py"), "--upstream", mock.base_url,
                "--port", str(port)]
        return self.start("bare-httpx", argv, port, "/healthz", env=self.python_env())

    @staticmethod
    def policy_arg(policy: str) -> str:
        return policy if policy.startswith("pack:") else str(Path(policy).resolve())

    def gateway(self, mock: ServerProcess, *, policy: str, audit: str | None,
                name: str = "sluicegate") -> ServerProcess:
        """``sluicegate serve`` as a user runs it, with a config that turns audit off
        (the CLI has no flag for it)."""
        policy = self.policy_arg(policy)
        config = self.workdir / f"{name}.yaml"
        config.write_text(json.dumps({  # JSON is YAML
            "upstream": {"url": mock.base_url},
            "policies": {"default": policy},
            "audit": {"path": audit},
        }))
        port = free_port()
        exe = Path(sys.executable).with_name("sluicegate")
        args = ["serve", "--config", str(config), "--upstream", mock.base_url,
                "--policy", policy, "--port", str(port), "--log-level", "warning"]
        self.gateway_commands[name] = " ".join(["sluicegate", *args])
        argv = [str(exe) if exe.exists() else "sluicegate", *args]
        return self.start(name, argv, port, "/healthz", env=self.python_env())

    def litellm(self, mock: ServerProcess, executable: str) -> ServerProcess:
        """LiteLLM's proxy, one uvicorn worker (its default), with the mock as an
        openai-compatible model. It refuses to start without a master key."""
        config = self.workdir / "litellm.yaml"
        config.write_text(json.dumps({
            "model_list": [{"model_name": "mock-model", "litellm_params": {
                "model": "openai/mock-model", "api_base": f"{mock.base_url}/v1",
                "api_key": "sk-mock"}}],
            "litellm_settings": {"telemetry": False, "drop_params": True},
        }))
        # Local cost map: the machine has no network, and the fetch only delays the start.
        env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR",
                   LITELLM_MASTER_KEY=BENCH_KEY)
        env.pop("PYTHONPATH", None)
        port = free_port()
        argv = [executable, "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        server = self.start("litellm", argv, port, "/health/liveliness", env=env, ready_s=240.0)
        self.litellm_version = _version(executable, env)
        return server


def _version(executable: str, env: dict[str, str]) -> str:
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True,
                              timeout=120, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    return done.stdout.strip().rsplit("=", 1)[-1].strip() or "unknown"
