"""Settings of the model guard types, apart from the guards themselves: they
import without torch, so the policy schema (and ``policy check`` of a policy
that only names a model guard) works on the core install."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .model_loading import category_name

__all__ = [
    "THRESHOLDS_MOVED",
    "GLiClassSettings",
    "PeftHeadSettings",
    "SequenceClassifierSettings",
    "flatten_labels",
]

Labels = list[str] | dict[str, Any]


#: where a threshold setting of a guard type went (see GuardType)
THRESHOLDS_MOVED = (
    "`thresholds` belongs to the policy, not to the guard type: in a policy file it is "
    "a key of the guard's entry (next to stages), and rules read it as "
    'thresholds["{name}.<category>"] and through over_threshold("{name}")'
)


class GLiClassSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moved_keys: ClassVar[dict[str, str]] = {
        "threshold": (
            "`threshold` is no longer a setting: guards report scores and rules decide. "
            'Compare a score in a rule (scores["{name}.<label>"] >= 0.5, or a category_map '
            'name such as scores["{name}.unsafe"] >= 0.5), or set per-label `thresholds:` '
            'on the guard (next to stages) and use over_threshold("{name}")'
        ),
        "benign": (
            "`benign` is no longer a setting: it only kept labels out of `flagged`, which "
            "guards no longer report; leave those labels out of the guard's `thresholds:` "
            "(and out of what category_map sends to `unsafe`)"
        ),
        "thresholds": THRESHOLDS_MOVED,
    }

    model: str = Field(description="Hub id or local directory of the GLiClass model.")
    tokenizer: str | None = Field(None, description="Tokenizer directory; default: the model's.")
    labels: Labels = Field(
        description="Labels to score: a list (plain or dotted names) or a hierarchy "
        "dict ({parent: [child, ...]}, nested), flattened to dotted names."
    )
    classification: Literal["multi-label", "single-label"] = Field(
        "multi-label",
        description="multi-label: a sigmoid per label; single-label: a softmax over "
        "the labels (e.g. safe/unsafe).",
    )
    prompt: str | None = Field(None, description="Task prompt placed after the label block.")
    max_length: int = Field(1024, gt=0, description="Tokens per window, labels included.")
    window_overlap: int = Field(
        64, ge=0, description="Tokens shared by consecutive windows of a long text."
    )
    max_windows: int | None = Field(
        None,
        gt=0,
        description="Most windows per text; a longer text is a guard error (the "
        "policy's on_error decides) rather than a silently unread tail. Default: no limit.",
    )
    batch_size: int = Field(16, gt=0, description="Most windows per forward pass.")
    batch_tokens: int | None = Field(
        None,
        gt=0,
        description="Most padded tokens per forward pass. Default: 1024 on CPU, where "
        "big batches of long texts cost more per text than small ones (measured: 512-token "
        "texts 0.9 s one by one, 1.2 s each in fours), 65536 elsewhere.",
    )
    device: str = "cpu"
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"

    @model_validator(mode="after")
    def _check(self) -> GLiClassSettings:
        labels = flatten_labels(self.labels)
        if not labels:
            raise ValueError("labels must name at least one label")
        if len(set(labels)) != len(labels):
            raise ValueError("labels must be distinct")
        names = [category_name(lb) for lb in labels]
        if len(set(names)) != len(names):
            raise ValueError(f"labels must give distinct category names: {names}")
        return self


def flatten_labels(labels: Labels | str, prefix: str = "") -> list[str]:
    """``{"a": ["x", {"b": ["y"]}]}`` -> ``["a.x", "a.b.y"]``; lists stay as they are."""
    if isinstance(labels, str):
        return [f"{prefix}{labels}"]
    if isinstance(labels, dict):
        return [
            name
            for key, value in labels.items()
            for name in flatten_labels(value, f"{prefix}{key}.")
        ]
    return [name for item in labels for name in flatten_labels(item, prefix)]


class SequenceClassifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="Hub id or local directory of the classifier.")
    tokenizer: str | None = Field(None, description="Tokenizer from another repo or directory.")
    activation: Literal["auto", "sigmoid", "softmax"] = Field(
        "auto", description="auto: sigmoid for multi-label configs, softmax otherwise."
    )
    label_names: list[str] | None = Field(
        None,
        description="Names of the model's outputs by index, when its config only has "
        "LABEL_0, LABEL_1, ... (as published model cards list them).",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Model label -> policy category; default: the config's labels, "
        "lower-cased with non-alphanumerics as underscores.",
    )
    max_length: int = Field(512, gt=0)
    device: str = "cpu"
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    template: str = Field("{text}", description="Text shown to the model; {text} is filled in.")
    role_token: Literal["none", "user", "assistant"] = Field(
        "none",
        description="Prefix the text with <|user|> or <|assistant|> (role-token "
        "formats such as the multilingual-e5 refusal classifier's).",
    )
    long_text: Literal["truncate", "ellipsis"] = Field(
        "truncate",
        description="Over max_length: cut the end, or keep head and tail joined "
        "by the <|...|> placeholder (what role-token models were trained with).",
    )


class PeftHeadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moved_keys: ClassVar[dict[str, str]] = {"thresholds": THRESHOLDS_MOVED}

    model: str = Field(description="Hub id or local directory of the adapter (weight_frame.json).")
    base_model: str | None = Field(
        None, description="Base model hub id or directory; default: the manifest's base_model."
    )
    tokenizer: str | None = Field(
        None, description="Default: the adapter directory if it has one, else the base model."
    )
    max_length: int | None = Field(None, gt=0, description="Default: the manifest's, else 512.")
    device: str = "cpu"
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    template: str = Field("{text}", description="Text shown to the model; {text} is filled in.")
    merge: bool = Field(True, description="Merge the LoRA weights into the base (faster).")
