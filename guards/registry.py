"""Guard types by name: the policy's ``type:`` key picks a factory here.

A registry is an explicit object (no module-level mutable state); the default
one knows the built-in guards and is built fresh by :func:`default_registry`.
Model guard types register lazily so the core install never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from .base import Guard, LoadableGuard
from .errors import GuardConfigError, MissingExtraError
from .lazy import LazyGuard

__all__ = ["GuardRegistry", "GuardType", "default_registry"]


@dataclass(frozen=True, slots=True)
class GuardType:
    """How to build one guard type: a settings model and a constructor.

    ``module`` and ``attribute`` name the guard class, imported on first use.
    The class must accept ``(name: str, settings: <settings model>)`` and expose
    ``Settings``, a pydantic model of its own keys (``extra="forbid"``); a
    ``moved_keys`` class attribute of that model (key -> where it went, with
    ``{name}`` for the guard's name) answers a key the type no longer takes
    with where it went instead of "extra inputs are not permitted". A class
    with weights is a :class:`LoadableGuard`: its constructor never reads them.
    """

    name: str
    module: str
    attribute: str
    extra: str | None = None  # pip extra that provides its dependencies
    #: ``module:attribute`` of the settings model where it imports without the
    #: extra (so the policy schema is complete on the core install)
    settings: str | None = None

    def load(self) -> Any:
        try:
            module = importlib.import_module(self.module)
        except ImportError as exc:
            if self.extra is not None:
                raise MissingExtraError(
                    f"guard type {self.name!r} needs the optional dependencies of "
                    f"sluicegate[{self.extra}]: pip install 'sluicegate[{self.extra}]' ({exc})"
                ) from exc
            raise GuardConfigError(
                f"guard type {self.name!r} cannot be imported from {self.module}: {exc}",
                field=("type",),
            ) from exc
        return getattr(module, self.attribute)


class GuardRegistry:
    def __init__(self, types: Mapping[str, GuardType] | None = None) -> None:
        self._types: dict[str, GuardType] = dict(types or {})

    def register(self, guard_type: GuardType) -> None:
        self._types[guard_type.name] = guard_type

    def names(self) -> list[str]:
        return sorted(self._types)

    def settings_model(self, type_name: str) -> type[pydantic.BaseModel]:
        guard_type = self._get(type_name)
        if guard_type.settings is not None:
            module, attribute = guard_type.settings.split(":")
            found: type[pydantic.BaseModel] = getattr(importlib.import_module(module), attribute)
            return found
        settings: type[pydantic.BaseModel] = guard_type.load().Settings
        return settings

    def create(
        self, name: str, type_name: str, settings: Mapping[str, Any], *, lazy: bool = False
    ) -> Guard:
        """Validate ``settings`` for ``type_name`` and build the guard called
        ``name``, ready to scan: a :class:`LoadableGuard` (a model guard) is
        loaded now, or with ``lazy`` wrapped to load on first use."""
        guard = self.build(name, type_name, settings)
        if isinstance(guard, LoadableGuard):
            if lazy:
                return LazyGuard(guard)
            guard.load()
        return guard

    def build(self, name: str, type_name: str, settings: Mapping[str, Any]) -> Guard:
        """The guard as its constructor leaves it: a model guard knows its
        categories and calibration but has not read its weights."""
        cls = self._get(type_name).load()
        model: type[pydantic.BaseModel] = cls.Settings
        moved: Mapping[str, str] = getattr(model, "moved_keys", {})
        for key in settings:
            if key in moved:
                raise GuardConfigError(
                    f"guard {name!r} ({type_name}): {moved[key].format(name=name)}",
                    field=(key,),
                )
        try:
            parsed = model.model_validate(dict(settings))
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            raise GuardConfigError(
                f"guard {name!r} ({type_name}): {first['msg']}", field=tuple(first["loc"])
            ) from exc
        guard: Guard = cls(name, parsed)
        return guard

    def _get(self, type_name: str) -> GuardType:
        try:
            return self._types[type_name]
        except KeyError:
            known = ", ".join(self.names())
            raise GuardConfigError(
                f"unknown guard type {type_name!r}; known types: {known}", field=("type",)
            ) from None


_BUILTIN: tuple[tuple[str, str, str], ...] = (
    ("pii", "sluicegate.guards.pii", "PIIGuard"),
    ("secrets", "sluicegate.guards.secrets", "SecretsGuard"),
    ("injection", "sluicegate.guards.injection", "InjectionGuard"),
    ("refusal", "sluicegate.guards.refusal", "RefusalGuard"),
    ("keywords", "sluicegate.guards.keywords", "KeywordGuard"),
    ("regex", "sluicegate.guards.regex", "RegexGuard"),
    ("language", "sluicegate.guards.language", "LanguageGuard"),
    ("remote", "sluicegate.guards.remote", "RemoteGuard"),
    ("judge", "sluicegate.guards.judge", "JudgeGuard"),
    ("default-classifier", "sluicegate.guards.default_classifier", "DefaultClassifierGuard"),
)


# Model guards: imported only when a policy uses them (torch is an extra);
# their settings models import without it.
_MODELS: tuple[tuple[str, str, str, str], ...] = (
    ("sequence-classifier", "sluicegate.guards.sequence_classifier", "SequenceClassifierGuard",
     "SequenceClassifierSettings"),
    ("gliclass", "sluicegate.guards.gliclass", "GLiClassGuard", "GLiClassSettings"),
    ("peft-head", "sluicegate.guards.peft_head", "PeftHeadGuard", "PeftHeadSettings"),
)  # fmt: skip


def default_registry() -> GuardRegistry:
    """A new registry holding every built-in guard type."""
    registry = GuardRegistry({name: GuardType(name, mod, attr) for name, mod, attr in _BUILTIN})
    for name, mod, attr, settings in _MODELS:
        where = f"sluicegate.guards.model_settings:{settings}"
        registry.register(GuardType(name, mod, attr, extra="models", settings=where))
    return registry
