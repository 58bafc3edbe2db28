"""Describe the machine and the software stacks a benchmark ran on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from processes import machine_cpu_jiffies

__all__ = ["cpu_busy_over", "describe"]

# Run in each server's interpreter: what uvicorn's "auto" settings will pick.
_PROBE = """
import importlib.metadata as m, importlib.util as u, json
def v(name):
    try: return m.version(name)
    except m.PackageNotFoundError: return None
print(json.dumps({"versions": {n: v(n) for n in ("uvicorn", "starlette", "fastapi", "httpx",
    "aiohttp", "httpx-aiohttp", "sluicegate")},
    "httptools": u.find_spec("httptools") is not None,
    "uvloop": u.find_spec("uvloop") is not None}))
"""


def cpu_busy_over(seconds: float) -> float:
    """Share of the machine's CPU time that was busy over the next ``seconds``."""
    busy0, total0 = machine_cpu_jiffies()
    time.sleep(seconds)
    busy1, total1 = machine_cpu_jiffies()
    return round((busy1 - busy0) / max(total1 - total0, 1), 3)


class _Run(Protocol):
    def python_env(self) -> dict[str, str]: ...

    @property
    def loadgen(self) -> Any: ...


def _first_line(path: Path, prefix: str) -> str:
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _git(repo: Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{head or 'unknown'}{' (uncommitted changes)' if dirty else ''}"


def _stack(python: str, env: dict[str, str]) -> str:
    try:
        # cwd "/": run from the repo, `python -c` would find sluicegate.egg-info there.
        done = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True,
                              timeout=60, env=env, cwd="/")
        info = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return f"unknown ({python})"
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    http = "httptools" if info["httptools"] else "h11"
    loop = "uvloop" if info["uvloop"] else "asyncio"
    return f"uvicorn http={http} loop={loop}; {versions}"


def _interpreter(executable: str) -> str:
    """The Python a console script runs on, from its shebang line."""
    try:
        with open(executable, "rb") as script:
            first = script.readline().decode(errors="replace").strip()
    except OSError:
        return sys.executable
    return first[2:].split()[0] if first.startswith("#!") else sys.executable


def _memory() -> str:
    total = _first_line(Path("/proc/meminfo"), "MemTotal").split()
    if len(total) == 2 and total[0].isdigit() and total[1] == "kB":
        return f"{int(total[0]) / 2**20:.1f} GiB RAM"
    return "unknown RAM"


def describe(repo: Path, run: _Run, *, litellm_bin: str | None) -> dict[str, Any]:
    stacks = {"sluicegate and bare-httpx": _stack(sys.executable, run.python_env())}
    if litellm_bin:
        stacks["litellm"] = _stack(_interpreter(litellm_bin), dict(os.environ))
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _first_line(Path("/proc/cpuinfo"), "model name"),
        "memory": _memory(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "git": _git(repo),
        "load_generator": run.loadgen.name,
        "stacks": stacks,
    }
