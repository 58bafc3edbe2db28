"""Bundled policy packs: ``<name>.yaml`` beside its ``<name>_test.yaml`` cases."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["pack_names", "pack_path"]


def pack_path(name: str) -> Path:
    path = Path(str(files(__name__).joinpath(f"{name}.yaml")))
    if not path.is_file() or name.endswith("_test"):
        raise FileNotFoundError(f"no bundled policy pack named {name!r}; packs: {pack_names()}")
    return path


def pack_names() -> list[str]:
    folder = Path(str(files(__name__)))
    return sorted(p.stem for p in folder.glob("*.yaml") if not p.stem.endswith("_test"))
