"""A transformers sequence classifier as a guard: DuoGuard-style multi-label
heads (sigmoid per category) or single-label ones (softmax), loaded once with
``from_pretrained`` from a hub id or a local path, run off the event loop
under ``torch.inference_mode``. Its categories come from the model's
configuration when it is constructed; the weights load in ``load``. Wrap it
with ``batch:`` in the policy to score concurrent requests together."""

from __future__ import annotations

from typing import Any

import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

from .base import Finding, GuardResult, ModelGuard
from .errors import GuardConfigError
from .model_loading import category_name, missing_model_message, torch_dtype
from .model_settings import SequenceClassifierSettings

__all__ = ["SequenceClassifierGuard", "SequenceClassifierSettings"]


class SequenceClassifierGuard(ModelGuard):
    Settings = SequenceClassifierSettings
    tokenizer: Any  # read by ``load``, with the model
    model: Any

    def __init__(self, name: str, settings: SequenceClassifierSettings) -> None:
        super().__init__()
        self.name = name
        self.settings = settings
        # The configuration alone names the outputs; the weights wait for load().
        try:
            config = AutoConfig.from_pretrained(settings.model)
        except OSError as exc:
            raise GuardConfigError(
                missing_model_message(settings.model, exc), field=("model",)
            ) from None
        self.labels, self.categories = _labels(settings, config)
        problem = getattr(config, "problem_type", None)
        self.sigmoid = settings.activation == "sigmoid" or (
            settings.activation == "auto" and problem == "multi_label_classification"
        )

    def _load(self) -> None:
        self.tokenizer, self.model = _load(self.settings)

    def _scan(self, texts: list[str]) -> list[GuardResult]:
        if not texts:
            return []
        shown = [self.prepare(text) for text in texts]
        batch = self.tokenizer(
            shown,
            padding=True,
            truncation=True,
            max_length=self.settings.max_length,
            return_tensors="pt",
        ).to(self.model.device)
        with torch.inference_mode():
            logits = self.model(**batch).logits.float()
        probs = torch.sigmoid(logits) if self.sigmoid else torch.softmax(logits, dim=-1)
        return [
            GuardResult(
                self.name,
                tuple(
                    Finding(category, float(score))
                    for category, score in zip(self.categories, row.tolist(), strict=True)
                ),
            )
            for row in probs
        ]

    def prepare(self, text: str) -> str:
        """The text as the model sees it: role token, template, and for
        ``long_text: ellipsis`` the middle replaced by ``<|...|>`` so both the
        start and the end of a long answer are read."""
        prefix = {"none": "", "user": "<|user|>", "assistant": "<|assistant|>"}[
            self.settings.role_token
        ]
        if self.settings.long_text == "ellipsis":
            text = self._elided(text, prefix)
        return self.settings.template.format(text=prefix + text)

    def _elided(self, text: str, prefix: str) -> str:
        limit = self.settings.max_length
        if self._length(prefix + text) <= limit:
            return text
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        budget = limit - self._length(prefix + ELLIPSIS)
        # Re-tokenising the joined halves can shift a token or two: shrink until it fits.
        for _ in range(8):
            head = max(budget // 2, 1)
            tail = max(budget - head, 1)
            elided: str = (
                self.tokenizer.decode(ids[:head]) + ELLIPSIS + self.tokenizer.decode(ids[-tail:])
            )
            over = self._length(prefix + elided) - limit
            if over <= 0 or budget <= 2:
                return elided
            budget -= over
        return elided

    def _length(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])


ELLIPSIS = "<|...|>"


def _labels(settings: SequenceClassifierSettings, config: Any) -> tuple[list[str], tuple[str, ...]]:
    """The model's output names and the policy categories they map to."""
    id2label = {int(k): str(v) for k, v in config.id2label.items()}
    labels = [id2label[i] for i in range(len(id2label))]
    if settings.label_names is not None:
        if len(settings.label_names) != len(labels):
            raise GuardConfigError(
                f"label_names has {len(settings.label_names)} names; the model has "
                f"{len(labels)} outputs",
                field=("label_names",),
            )
        labels = list(settings.label_names)
    for label in settings.labels:
        if label not in labels:
            raise GuardConfigError(
                f"label {label!r} is not one of the model's labels {labels}",
                field=("labels", label),
            )
    return labels, tuple(settings.labels.get(lb, category_name(lb)) for lb in labels)


def _load(settings: SequenceClassifierSettings) -> tuple[Any, Any]:
    try:
        tokenizer = AutoTokenizer.from_pretrained(settings.tokenizer or settings.model)
        model = AutoModelForSequenceClassification.from_pretrained(
            settings.model, dtype=torch_dtype(settings.dtype)
        )
    except OSError as exc:
        raise GuardConfigError(
            missing_model_message(settings.model, exc), field=("model",)
        ) from None
    if tokenizer.pad_token is None:  # decoder models (Llama): pad with eos
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    model.to(settings.device).eval()
    return tokenizer, model
