"""The published JSON Schema of policy files: the policy model plus, for each
guard type, its own settings (chosen by the value of ``type``)."""

from __future__ import annotations

from typing import Any

from ..guards.registry import GuardRegistry, default_registry
from .schema import PolicySpec

__all__ = ["policy_json_schema"]

SCHEMA_ID = "https://sluicegate.dev/schema/policy-v1.json"


def policy_json_schema(registry: GuardRegistry | None = None) -> dict[str, Any]:
    registry = registry or default_registry()
    schema = PolicySpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    # `streaming: window` is shorthand for `streaming: {mode: window}`.
    streaming = schema["properties"]["streaming"]
    schema["properties"]["streaming"] = {
        "anyOf": [{"$ref": "#/$defs/StreamingSpec"}, {"$ref": "#/$defs/StreamingMode"}],
        **{k: v for k, v in streaming.items() if k not in ("$ref", "anyOf", "allOf")},
    }
    guard = schema["$defs"]["GuardSpec"]
    guard["properties"]["type"]["enum"] = registry.names()
    branches = []
    for name in registry.names():
        settings = registry.settings_model(name).model_json_schema()
        defs = settings.pop("$defs", {})
        schema["$defs"].update(defs)
        # Common keys plus the type's own; anything else is a typo.
        properties = {**guard["properties"], **settings.get("properties", {})}
        branches.append(
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": {"properties": properties, "additionalProperties": False},
            }
        )
    guard["allOf"] = branches
    return schema
