"""A GLiClass zero-shot classifier as a guard (the Opir family): the policy
supplies the labels, the model scores how well the text matches each.

GLiClass reads one sequence holding a label block (``<<LABEL>>a<<LABEL>>b
<<SEP>>`` and an optional task prompt) and the text. The usual pipeline
tokenises the joined string and truncates it at ``max_length``: when the text
comes first, a long text pushes the label block out and every label scores
about 0.5, silently. Here the label block is tokenised once and always kept
whole; only the text is cut, and a text longer than the room left is scored in
overlapping windows with the highest score per label kept, so harm placed deep
inside a long prompt is still read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .base import Finding, GuardResult, ModelGuard
from .errors import GuardConfigError, GuardError
from .model_loading import category_name, missing_model_message, torch_dtype
from .model_settings import GLiClassSettings, flatten_labels

__all__ = ["GLiClassGuard", "GLiClassSettings", "flatten_labels"]

LABEL_TOKEN = "<<LABEL>>"
SEP_TOKEN = "<<SEP>>"
#: the least text a window must hold, or the labels leave no room to read anything
MIN_TEXT_TOKENS = 16


@dataclass(frozen=True, slots=True)
class _Window:
    text_index: int
    input_ids: list[int]


class GLiClassGuard(ModelGuard):
    Settings = GLiClassSettings
    # Read by ``load``: the tokenizer, the model and the token budget they leave.
    tokenizer: Any
    model: Any
    prompt_first: bool
    text_budget: int

    def __init__(self, name: str, settings: GLiClassSettings) -> None:
        super().__init__()
        self.name = name
        self.settings = settings
        self.labels = flatten_labels(settings.labels)
        self.categories = _categories(settings)
        self._label_categories = [category_name(lb) for lb in self.labels]

    def _load(self) -> None:
        settings = self.settings
        self.tokenizer, self.model = _load(settings)
        self.prompt_first = bool(getattr(self.model.config, "prompt_first", False))
        self._label_ids = self._encode(self._label_block())
        self._prefix, self._suffix = _special_tokens(self.tokenizer)
        self.text_budget = (
            settings.max_length - len(self._label_ids) - len(self._prefix) - len(self._suffix)
        )
        if self.text_budget < MIN_TEXT_TOKENS:
            raise GuardConfigError(
                f"the labels and prompt take {len(self._label_ids)} of max_length "
                f"{settings.max_length} tokens, leaving {self.text_budget} for the text; "
                f"raise max_length or use fewer labels",
                field=("labels",),
            )
        self._stride = max(self.text_budget - settings.window_overlap, 1)
        self._batch_tokens = settings.batch_tokens or (
            1024 if self.model.device.type == "cpu" else 65536
        )

    def _scan(self, texts: list[str]) -> list[GuardResult]:
        if not texts:
            return []
        windows = [w for i, text in enumerate(texts) for w in self.windows(i, text)]
        best = torch.zeros(len(texts), len(self.labels))
        # Similar lengths share a forward pass: less padding to compute.
        windows.sort(key=lambda w: len(w.input_ids))
        for chunk in self._chunks(windows):
            scores = self._score([w.input_ids for w in chunk])
            for window, row in zip(chunk, scores, strict=True):
                best[window.text_index] = torch.maximum(best[window.text_index], row)
        return [self._result(row.tolist()) for row in best]

    def _chunks(self, windows: list[_Window]) -> list[list[_Window]]:
        """Length-sorted windows in forward passes of at most batch_size
        windows and batch_tokens padded tokens (one window always fits)."""
        chunks: list[list[_Window]] = []
        current: list[_Window] = []
        for window in windows:  # sorted: the last one added is the longest
            padded = (len(current) + 1) * len(window.input_ids)
            if current and (
                len(current) >= self.settings.batch_size or padded > self._batch_tokens
            ):
                chunks.append(current)
                current = []
            current.append(window)
        if current:
            chunks.append(current)
        return chunks

    def windows(self, index: int, text: str) -> list[_Window]:
        """The model inputs for one text: the whole label block, then the text,
        or the next overlapping slice of it."""
        ids = self._encode(text)
        starts = range(0, max(len(ids) - self.settings.window_overlap, 1), self._stride)
        limit = self.settings.max_windows
        if limit is not None and len(starts) > limit:
            raise GuardError(
                f"text needs {len(starts)} windows of {self.text_budget} tokens; "
                f"max_windows is {limit}"
            )
        return [self._window(index, ids[s : s + self.text_budget]) for s in starts]

    def _window(self, index: int, text_ids: list[int]) -> _Window:
        body = self._label_ids + text_ids if self.prompt_first else text_ids + self._label_ids
        return _Window(index, self._prefix + body + self._suffix)

    def _score(self, rows: list[list[int]]) -> torch.Tensor:
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        with torch.inference_mode():
            logits = self.model(
                input_ids=input_ids.to(self.model.device),
                attention_mask=mask.to(self.model.device),
                max_num_classes=len(self.labels),
            ).logits[:, : len(self.labels)]
        logits = logits.float().cpu()
        if self.settings.classification == "single-label":
            return torch.softmax(logits, dim=-1)
        return torch.sigmoid(logits)

    def _result(self, scores: list[float]) -> GuardResult:
        findings = tuple(
            Finding(category, score)
            for category, score in zip(self._label_categories, scores, strict=True)
        )
        return GuardResult(self.name, findings)

    def _label_block(self) -> str:
        block = "".join(LABEL_TOKEN + label for label in self.labels) + SEP_TOKEN
        return block + (self.settings.prompt or "")

    def _encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids


def _categories(settings: GLiClassSettings) -> tuple[str, ...]:
    return tuple(category_name(lb) for lb in flatten_labels(settings.labels))


def _special_tokens(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after one sequence ([CLS] ... [SEP]),
    found by encoding a probe with and without them."""
    bare: list[int] = tokenizer("probe", add_special_tokens=False)["input_ids"]
    full: list[int] = tokenizer("probe")["input_ids"]
    for i in range(len(full) - len(bare) + 1):
        if full[i : i + len(bare)] == bare:
            return full[:i], full[i + len(bare) :]
    return [], []


def _load(settings: GLiClassSettings) -> tuple[Any, Any]:
    try:
        from gliclass import GLiClassModel
    except ImportError as exc:  # the models extra without gliclass
        raise GuardConfigError(
            f"the gliclass guard needs the gliclass package: "
            f"pip install 'sluicegate[models]' ({exc})",
            field=("type",),
        ) from None
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(settings.tokenizer or settings.model)
        model = GLiClassModel.from_pretrained(settings.model)
    except (OSError, ValueError) as exc:
        raise GuardConfigError(
            missing_model_message(settings.model, exc), field=("model",)
        ) from None
    if getattr(model.config, "architecture_type", "uni-encoder") != "uni-encoder":
        raise GuardConfigError(
            f"{settings.model} is a {model.config.architecture_type} GLiClass model; "
            f"this guard runs uni-encoder models (the Opir family)",
            field=("model",),
        )
    for token in (LABEL_TOKEN, SEP_TOKEN):
        if tokenizer.convert_tokens_to_ids(token) in (None, tokenizer.unk_token_id):
            raise GuardConfigError(
                f"the tokenizer of {settings.model} has no {token} token; is it a GLiClass model?",
                field=("model",),
            )
    model.to(device=settings.device, dtype=torch_dtype(settings.dtype)).eval()
    return tokenizer, model
