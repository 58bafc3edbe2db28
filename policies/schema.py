"""The shape of a policy file, as pydantic models.

Guard-type settings are validated by the guard registry (each type owns its
keys); :mod:`sluicegate.policies.jsonschema` stitches both into the published
JSON Schema.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .decisions import Action

__all__ = [
    "BlockResponse",
    "ErrorMode",
    "GuardSpec",
    "InputScope",
    "PolicySpec",
    "PolicyTestCase",
    "RedactionSpec",
    "RuleSpec",
    "StreamingMode",
    "StreamingSpec",
]

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
GuardStageName = Literal["input", "output"]
Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


def _both_stages() -> list[GuardStageName]:
    return ["input", "output"]


def _checked_roles() -> list[Role]:
    return ["system", "developer", "user", "assistant", "tool", "function"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorMode(StrEnum):
    BLOCK = "block"
    ALLOW = "allow"


class InputScope(StrEnum):
    LAST_USER = "last_user"
    ALL_USER = "all_user"
    CONVERSATION = "conversation"


class StreamingMode(StrEnum):
    WINDOW = "window"
    BUFFER = "buffer"
    AUDIT = "audit"
    PASSTHROUGH = "passthrough"


class StreamingSpec(_Strict):
    """How ``stream: true`` answers are guarded (see docs/streaming.md)."""

    mode: StreamingMode = StreamingMode.WINDOW
    window_chars: int = Field(200, ge=16, description="New characters between checks.")
    first_window_chars: int = Field(
        32,
        ge=1,
        description="Releasable characters before the first check (small: first "
        "tokens fast; the first release waits for first_window_chars + holdback_chars).",
    )
    holdback_chars: int = Field(
        48,
        ge=0,
        description="Checked text kept back from the end so a span still being written "
        "(an email, a card number) is caught before any of it leaves.",
    )
    block_notice: bool = Field(
        True, description="On a mid-stream block, send the rule's message as a last delta."
    )
    cut_on_block: bool = Field(
        False, description="audit mode: end the stream when a background check blocks."
    )


class BlockResponse(StrEnum):
    ERROR = "error"
    MESSAGE = "message"


#: keys every guard accepts; the rest belong to the guard type
COMMON_GUARD_KEYS = frozenset(
    {
        "type",
        "timeout_ms",
        "on_error",
        "stages",
        "description",
        "cache",
        "batch",
        "cost",
        "load",
        "optional",
        "category_map",
        "thresholds",
    }
)


class CacheSpec(_Strict):
    """Verdict cache for a guard (worth it for model guards)."""

    max_entries: int = Field(10_000, gt=0)
    ttl_s: float = Field(300.0, gt=0)


class BatchSpec(_Strict):
    """Micro-batching of concurrent requests to a guard."""

    max_size: int = Field(32, gt=0, description="Most texts per model call.")
    max_wait_ms: float = Field(
        2.0, ge=0, description="How long an idle model waits for more texts."
    )
    max_concurrent: int = Field(
        1,
        gt=0,
        description="Batches in flight at once; texts arriving meanwhile form the next batch.",
    )


class GuardSpec(BaseModel):
    """One named guard instance. Keys other than the common ones are the
    guard type's settings and are checked by that type."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(description="Guard type, e.g. pii, secrets, injection, keywords, regex.")
    timeout_ms: float = Field(1000.0, gt=0, description="Per-call timeout.")
    on_error: ErrorMode | None = Field(
        None,
        description="What a failure or timeout means; default: the policy's on_guard_error.",
    )
    stages: list[GuardStageName] = Field(
        default_factory=_both_stages, description="Stages this guard runs on."
    )
    description: str | None = None
    cache: CacheSpec | None = Field(None, description="Cache verdicts per normalised text.")
    load: Literal["startup", "lazy"] = Field(
        "startup",
        description="lazy: model guards load on first use (categories are still "
        "read from the model's configuration at load time).",
    )
    cost: Literal["cheap", "costly"] | None = Field(
        None, description="For short_circuit; default: deterministic guards are cheap."
    )
    batch: BatchSpec | None = Field(None, description="Score concurrent requests together.")
    optional: bool = Field(
        False,
        description="A guard that fails to load does not stop start-up: it is reported "
        "unavailable (log, /healthz) and every call to it is a guard error, so on_error "
        "decides. Default: a guard that fails to load fails start-up.",
    )
    category_map: dict[str, str | list[str]] | None = Field(
        None,
        description="Mapping table from the guard's native categories to policy "
        "category names; findings are reported under both.",
    )

    thresholds: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] | None = Field(
        None,
        description='Per-category thresholds rules read as thresholds["guard.category"] '
        'and through over_threshold("guard"); they replace the model\'s calibrated '
        "ones for those categories. Keys are the guard's categories.",
    )

    def mapped_categories(self) -> dict[str, list[str]]:
        table = self.category_map or {}
        return {k: [v] if isinstance(v, str) else list(v) for k, v in table.items()}

    def type_settings(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class RuleSpec(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    when: str = Field(description="CEL expression over scores, findings, stage and request.")
    action: Action
    stage: Literal["input", "output", "both"] = "both"
    message: str | None = Field(None, description="Shown to the client on block.")
    redact: list[str] | None = Field(
        None, description="Findings to redact (guard or guard.category); default all with spans."
    )
    description: str | None = None


class RedactionSpec(_Strict):
    placeholder: str = Field(
        "[{CATEGORY}]",
        description="Replacement text; {CATEGORY}, {category} and {guard} are filled in.",
    )

    @field_validator("placeholder")
    @classmethod
    def _formattable(cls, value: str) -> str:
        try:
            filled = value.format(CATEGORY="EMAIL", category="email", guard="pii")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"placeholder may only use {{CATEGORY}}, {{category}} and {{guard}} ({exc!r})"
            ) from None
        if '"' in filled or "\\" in filled:
            # Placeholders land inside JSON strings (tool-call arguments).
            raise ValueError("placeholder must not contain quotes or backslashes")
        return value


class PolicyTestCase(_Strict):
    name: str | None = None
    stage: Literal["input", "output"] = "input"
    text: str
    expect: Action
    findings: list[str] | None = Field(
        None, description="guard or guard.category names that must be found."
    )
    rules: list[str] | None = Field(None, description="Rule names that must match.")
    redacted: str | None = Field(None, description="Expected text after redaction.")


class PolicySpec(_Strict):
    version: Literal[1]
    description: str | None = None
    guards: dict[str, GuardSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    default_action: Literal[Action.ALLOW, Action.BLOCK] = Action.ALLOW
    on_guard_error: ErrorMode = ErrorMode.BLOCK
    short_circuit: bool = Field(
        False,
        description="Run cheap guards first and skip costly ones for texts already blocked "
        "(assumes no rule blocks on a score being low).",
    )
    escalation: list[str] = Field(
        default_factory=list, description="Guards run only when a rule escalates."
    )
    on_escalation_failure: ErrorMode = ErrorMode.BLOCK
    input_scope: InputScope = InputScope.CONVERSATION
    input_roles: list[Role] = Field(
        default_factory=_checked_roles,
        description="Message roles checked when input_scope is conversation (all of "
        "them by default: a client can write fake assistant turns too).",
    )
    streaming: StreamingSpec = Field(default_factory=StreamingSpec)
    block_response: BlockResponse = BlockResponse.ERROR
    block_message: str = "Request blocked by policy."
    output_block_message: str = "Response withheld by policy."
    non_text_content: ErrorMode = Field(
        ErrorMode.ALLOW,
        description="Request parts guards cannot read (images, audio, files): allow "
        "(counted in the audit line as unscanned_parts) or block.",
    )
    non_text_message: str = (
        "Request blocked by policy: it contains content the gateway cannot check."
    )
    redaction: RedactionSpec = Field(default_factory=RedactionSpec)
    tests: list[PolicyTestCase] = Field(default_factory=list)

    @field_validator("streaming", mode="before")
    @classmethod
    def _streaming_shorthand(cls, value: Any) -> Any:
        return {"mode": value} if isinstance(value, str) else value

    @field_validator("guards")
    @classmethod
    def _guard_names(cls, guards: dict[str, GuardSpec]) -> dict[str, GuardSpec]:
        import re

        for name in guards:
            if not re.match(NAME_PATTERN, name) or "." in name:
                raise ValueError(f"guard name {name!r} must match {NAME_PATTERN}")
        return guards
