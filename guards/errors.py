"""Exceptions raised by sluicegate.

The whole tree, across the three packages::

    SluicegateError
    ├── GuardError              (sluicegate.guards.errors)  a guard could not score a text
    │   ├── GuardConfigError    bad settings for a guard type
    │   ├── GuardTimeoutError   a guard ran past its timeout
    │   └── MissingExtraError   a guard type needs an optional dependency
    ├── PolicyError             (sluicegate.policies.errors)  a policy file is invalid
    └── UpstreamError           (sluicegate.proxy.errors)  the upstream LLM failed
        ├── UpstreamUnreachable
        └── UpstreamTimeout

A block is a decision, never an exception.
"""

from __future__ import annotations

__all__ = [
    "GuardConfigError",
    "GuardError",
    "GuardTimeoutError",
    "MissingExtraError",
    "SluicegateError",
]


class SluicegateError(Exception):
    """Base class of every error sluicegate raises on purpose."""


class GuardError(SluicegateError):
    """A guard failed to produce a result."""


class GuardConfigError(GuardError):
    """A guard's settings are invalid; ``field`` names the offending key when known."""

    def __init__(self, message: str, *, field: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.field = field


class GuardTimeoutError(GuardError):
    """A guard did not answer within its timeout."""


class MissingExtraError(GuardError):
    """A guard type needs a package from an optional extra that is not installed."""
