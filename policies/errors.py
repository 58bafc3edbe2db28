"""Policy errors; see :mod:`sluicegate.guards.errors` for the whole tree."""

from __future__ import annotations

from pathlib import Path

from ..guards.errors import SluicegateError

__all__ = ["PolicyError"]


class PolicyError(SluicegateError):
    """A policy file cannot be loaded. The message names file, line and key."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key
        where = self.path or "<policy>"
        if line is not None:
            where = f"{where}:{line}"
        if key:
            where = f"{where}: {key}"
        super().__init__(f"{where}: {message}")
        self.detail = message
