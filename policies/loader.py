"""Load a policy file: parse, validate against the schema, build guards,
compile every rule once. Every error names file, line and key."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic
import yaml

from ..guards.base import CalibratedGuard, Guard, LoadableGuard
from ..guards.batching import MicroBatchingGuard
from ..guards.caching import CachingGuard
from ..guards.errors import GuardConfigError, GuardError, MissingExtraError
from ..guards.mapping import CategoryMapGuard, UnavailableGuard
from ..guards.registry import GuardRegistry, default_registry
from .decisions import Stage
from .engine import dry_run
from .errors import PolicyError
from .expressions import ConditionError, Thresholds, compile_condition
from .policy import CompiledRule, GuardBinding, Policy
from .schema import COMMON_GUARD_KEYS, GuardSpec, PolicySpec, PolicyTestCase
from .source import KeyPath, PolicySource, parse_source

__all__ = ["PolicyLoader", "test_file_for"]

logger = logging.getLogger("sluicegate.policies")


def test_file_for(path: Path) -> Path:
    """OPA-style sidecar: ``strict.yaml`` keeps its cases in ``strict_test.yaml``."""
    return path.with_name(f"{path.stem}_test{path.suffix}")


class PolicyLoader:
    def __init__(self, registry: GuardRegistry | None = None) -> None:
        self.registry = registry or default_registry()

    def load_file(self, path: str | Path, *, name: str | None = None) -> Policy:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"cannot read policy: {exc}", path=path) from None
        tests: list[PolicyTestCase] = []
        sidecar = test_file_for(path)
        if sidecar.is_file():
            tests = self._load_tests(sidecar)
        return self.load_text(text, path=str(path), name=name or path.stem, extra_tests=tests)

    def load_text(
        self,
        text: str,
        *,
        path: str = "<policy>",
        name: str = "policy",
        extra_tests: list[PolicyTestCase] | None = None,
    ) -> Policy:
        source = self._parse(text, path)
        spec = self._validate(source)
        guards = self._build_guards(spec, source)
        thresholds = self._thresholds(guards, source)
        known = frozenset(
            key
            for binding in guards.values()
            for key in (binding.name, *(f"{binding.name}.{c}" for c in binding.guard.categories))
        ) | frozenset(thresholds.values)
        rules = tuple(self._compile_rules(spec, source, known, thresholds))
        tests = (*spec.tests, *(extra_tests or []))
        for i, case in enumerate(tests):
            for finding in case.findings or []:
                if finding not in known:
                    raise PolicyError(
                        f"test expects unknown finding {finding!r}",
                        path=path,
                        line=source.line_of(("tests", i, "findings")),
                        key=f"tests[{i}].findings",
                    )
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        return Policy(name, path, spec, guards, rules, known, tuple(tests), digest, thresholds)

    # -- steps ---------------------------------------------------------------

    def _parse(self, text: str, path: str) -> PolicySource:
        try:
            source = parse_source(text, path)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            raise PolicyError(f"invalid YAML: {exc.problem or exc}", path=path, line=line) from None
        except yaml.YAMLError as exc:
            raise PolicyError(f"invalid YAML: {exc}", path=path) from None
        if not isinstance(source.data, Mapping):
            raise PolicyError(
                "a policy must be a mapping with version, guards and rules", path=path
            )
        return source

    def _validate(self, source: PolicySource) -> PolicySpec:
        try:
            return PolicySpec.model_validate(source.data)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            loc = tuple(error["loc"])
            raise _error(source, loc, error["msg"]) from None

    def _build_guards(self, spec: PolicySpec, source: PolicySource) -> dict[str, GuardBinding]:
        for i, name in enumerate(spec.escalation):
            if name not in spec.guards:
                raise _error(
                    source, ("escalation", i), f"escalation guard {name!r} is not declared"
                )
        escalation = set(spec.escalation)
        bindings: dict[str, GuardBinding] = {}
        for name, guard_spec in spec.guards.items():
            settings = {
                k: v for k, v in guard_spec.type_settings().items() if k not in COMMON_GUARD_KEYS
            }
            guard: Guard
            try:
                guard = self.registry.create(
                    name, guard_spec.type, settings, lazy=guard_spec.load == "lazy"
                )
            except MissingExtraError as exc:
                if not guard_spec.optional:
                    raise _error(source, ("guards", name, "type"), str(exc)) from None
                guard = self._unavailable(name, guard_spec, settings, str(exc))
            except GuardConfigError as exc:
                if not guard_spec.optional:
                    loc: KeyPath = ("guards", name, *exc.field)
                    raise _error(source, loc, str(exc)) from None
                guard = self._unavailable(name, guard_spec, settings, str(exc))
            if guard_spec.category_map:
                try:
                    guard = CategoryMapGuard(guard, guard_spec.mapped_categories())
                except GuardConfigError as exc:
                    raise _error(source, ("guards", name, "category_map"), str(exc)) from None
            # Batching sits under the cache: cached texts never wait for a batch.
            if guard_spec.batch is not None:
                guard = MicroBatchingGuard(
                    guard,
                    max_batch=guard_spec.batch.max_size,
                    max_wait_ms=guard_spec.batch.max_wait_ms,
                    max_concurrent=guard_spec.batch.max_concurrent,
                )
            if guard_spec.cache is not None:
                guard = CachingGuard(
                    guard, max_entries=guard_spec.cache.max_entries, ttl_s=guard_spec.cache.ttl_s
                )
            on_error = guard_spec.on_error or spec.on_guard_error
            bindings[name] = GuardBinding(guard, guard_spec, on_error, name in escalation)
        return bindings

    def _unavailable(
        self, name: str, spec: GuardSpec, settings: Mapping[str, Any], reason: str
    ) -> UnavailableGuard:
        # Categories from configuration where the guard can be built without
        # its weights (the weights were what failed); otherwise rules may use
        # the category_map's names only.
        categories: tuple[str, ...] = ()
        calibration: Mapping[str, float] = {}
        try:
            built = self.registry.build(name, spec.type, settings)
        except (GuardError, OSError):
            pass
        else:
            if isinstance(built, LoadableGuard):
                categories = built.categories
                if isinstance(built, CalibratedGuard):
                    calibration = built.calibration
        logger.error("optional guard %r is unavailable and will fail every call: %s", name, reason)
        return UnavailableGuard(name, categories, reason, calibration)

    def _thresholds(self, guards: Mapping[str, GuardBinding], source: PolicySource) -> Thresholds:
        """What rules see as ``thresholds``: each guard's calibration, by
        ``guard.category``, with the binding's ``thresholds:`` over it. An
        unavailable guard may be named by ``over_threshold`` even when its
        metadata could not say."""
        values: dict[str, float] = {}
        for name, binding in guards.items():
            for category, threshold in binding.calibration.items():
                values[f"{name}.{category}"] = threshold
            categories = binding.guard.categories
            for category, threshold in (binding.spec.thresholds or {}).items():
                # An unavailable guard that could not name its categories
                # takes the policy's word for them, as category_map does.
                if categories and category not in categories:
                    raise _error(
                        source,
                        ("guards", name, "thresholds", category),
                        f"{category!r} is not a category of guard {name!r}; "
                        f"it reports {list(categories)}",
                    )
                values[f"{name}.{category}"] = threshold
        unavailable = frozenset(n for n, b in guards.items() if b.unavailable is not None)
        return Thresholds(values, unavailable)

    def _compile_rules(
        self,
        spec: PolicySpec,
        source: PolicySource,
        known: frozenset[str],
        thresholds: Thresholds,
    ) -> list[CompiledRule]:
        compiled: list[CompiledRule] = []
        seen: set[str] = set()
        for i, rule in enumerate(spec.rules):
            if rule.name in seen:
                raise _error(source, ("rules", i, "name"), f"duplicate rule name {rule.name!r}")
            seen.add(rule.name)
            for selector in rule.redact or []:
                if selector not in known:
                    raise _error(
                        source, ("rules", i, "redact"), f"unknown redact target {selector!r}"
                    )
            try:
                condition = compile_condition(rule.when, known, thresholds)
            except ConditionError as exc:
                raise _error(source, ("rules", i, "when"), f"rule {rule.name!r}: {exc}") from None
            stages = frozenset(Stage) if rule.stage == "both" else frozenset({Stage(rule.stage)})
            compiled_rule = CompiledRule(
                rule.name,
                stages,
                condition,
                rule.action,
                rule.message,
                tuple(rule.redact) if rule.redact is not None else None,
                source.line_of(("rules", i)),
            )
            # Evaluate once on an all-zero context so type errors (comparing a
            # score with a string, a misspelt field) surface now, not per request.
            problem = dry_run(compiled_rule, known, thresholds)
            if problem:
                raise _error(source, ("rules", i, "when"), f"rule {rule.name!r}: {problem}")
            compiled.append(compiled_rule)
        return compiled

    def _load_tests(self, path: Path) -> list[PolicyTestCase]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"cannot read test file: {exc}", path=path) from None
        source = self._parse(text, str(path))
        cases: Any = source.data.get("tests") if isinstance(source.data, Mapping) else None
        if not isinstance(cases, list):
            raise PolicyError("a test file must have a `tests:` list", path=path)
        parsed: list[PolicyTestCase] = []
        for i, case in enumerate(cases):
            try:
                parsed.append(PolicyTestCase.model_validate(case))
            except pydantic.ValidationError as exc:
                error = exc.errors()[0]
                raise _error(source, ("tests", i, *error["loc"]), error["msg"]) from None
        return parsed


def _error(source: PolicySource, loc: KeyPath, message: str) -> PolicyError:
    key = ".".join(str(part) for part in loc) if loc else None
    return PolicyError(message, path=source.path, line=source.line_of(loc), key=key)
