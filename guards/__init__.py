"""Guards: text in, findings out. See :mod:`sluicegate.guards.base` for the contract."""

from .base import Finding, Guard, GuardResult, Span, SyncGuard
from .errors import (
    GuardConfigError,
    GuardError,
    GuardTimeoutError,
    MissingExtraError,
    SluicegateError,
)
from .registry import GuardRegistry, GuardType, default_registry
from .runner import GuardCall, GuardOutcome, GuardRunner
from .unicode import NormalizedText, normalize

__all__ = [
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
]
