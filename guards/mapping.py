"""Native labels to policy categories: a guard keeps reporting under its own
labels (``violent_crimes``) and also under the names a policy speaks
(``violence``), so packs for different model families share rules and a model
can be swapped by editing one guard. It wraps a guard and is one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .base import Finding, Guard, GuardResult, IncrementalGuard
from .errors import GuardConfigError, GuardError

__all__ = ["CategoryMapGuard", "UnavailableGuard"]


class CategoryMapGuard:
    """Each finding whose category is in ``table`` is reported again under
    each mapped name, with its score and span (so a mapped category can be
    redacted). Several labels mapping to one name: the policy's score for that
    name is the highest of them."""

    def __init__(self, inner: Guard, table: Mapping[str, Sequence[str]]) -> None:
        unknown = [label for label in table if label not in inner.categories]
        if unknown and inner.categories:
            raise GuardConfigError(
                f"category_map names {unknown}, which guard {inner.name!r} does not report; "
                f"it reports {list(inner.categories)}",
                field=("category_map",),
            )
        self.inner = inner
        self.name = inner.name
        self.table = {label: tuple(names) for label, names in table.items()}
        mapped = [n for names in self.table.values() for n in names]
        self.categories = tuple(dict.fromkeys([*inner.categories, *self.table, *mapped]))
        # Incremental exactly when the wrapped guard is (mapped findings keep
        # their spans): an instance attribute, so ``isinstance(self,
        # IncrementalGuard)`` answers for the inner guard.
        if isinstance(inner, IncrementalGuard):
            self.settled = inner.settled

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        return [self._map(result) for result in await self.inner.scan(texts)]

    def _map(self, result: GuardResult) -> GuardResult:
        extra = [
            Finding(name, finding.score, finding.span)
            for finding in result.findings
            for name in self.table.get(finding.category, ())
        ]
        if not extra:
            return result
        return GuardResult(result.guard, (*result.findings, *extra))

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


class UnavailableGuard:
    """Stands in for an ``optional`` guard that failed to load: start-up goes
    on, and every call is a guard error, so the policy's ``on_error`` decides
    (and the decision says so) instead of the guard silently passing."""

    def __init__(
        self,
        name: str,
        categories: tuple[str, ...],
        reason: str,
        calibration: Mapping[str, float] | None = None,
    ) -> None:
        self.name = name
        self.categories = categories
        self.reason = reason
        # What the model's metadata said, when it could be read: rules naming
        # its thresholds still load, and fail with the guard's calls.
        self.calibration = dict(calibration or {})

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        raise GuardError(f"guard {self.name!r} is unavailable: {self.reason}")
