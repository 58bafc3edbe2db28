"""A LoRA-adapted causal LM with a multi-label linear head as a guard (the
OpenCC cm-escalation family: Qwen3.5-0.8B + LoRA + one logit per category).

The score of a text is ``sigmoid(head(h))`` where ``h`` is the final hidden
state (after the model's last norm) of its last non-padding token. The guard
reports every category's raw probability; the per-category thresholds the
manifest ships are its ``calibration``, data for the policy's rules
(``over_threshold("opencc")``), never compared by the guard itself.

The adapter directory ships a ``weight_frame.json`` manifest. Its published
format is not documented, so this is the format read here::

    {
      "format": "weight_frame",           optional marker
      "version": 1,                       optional; only 1
      "base_model": "Qwen/Qwen3.5-0.8B",  hub id or path, used as given; the
                                          guard's base_model: setting overrides it
      "adapter": ".",                     directory with adapter_config.json and
                                          the adapter weights, relative to the
                                          manifest's directory (default ".")
      "categories": ["cbrn", "cyber"],    head output order
      "head": {"file": "head.safetensors", "weight": "weight", "bias": "bias"},
                                          linear [n_categories, hidden] plus an
                                          optional bias [n_categories]; the file is
                                          relative to the manifest; the keys (and
                                          the head object) default as shown
      "thresholds": {"cbrn": 0.31, "cyber": 0.5},
                                          one per category in [0, 1]: a mapping, a
                                          list in category order, or the name of a
                                          JSON file (relative) holding either
      "max_length": 512,                  optional; the guard's max_length: wins
      "pooling": "last_token"             optional; the only pooling supported
    }

Unknown keys are ignored, so a manifest with more metadata still loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pydantic
import torch
from huggingface_hub import snapshot_download
from huggingface_hub.errors import EntryNotFoundError
from peft import PeftModel
from pydantic import BaseModel, Field
from safetensors import SafetensorError
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from .base import Finding, GuardResult, ModelGuard
from .errors import GuardConfigError
from .model_loading import torch_dtype
from .model_settings import PeftHeadSettings

__all__ = ["PeftHeadGuard", "PeftHeadSettings", "WeightFrame"]

MANIFEST = "weight_frame.json"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


class HeadSpec(BaseModel):
    file: str = "head.safetensors"
    weight: str = "weight"
    bias: str | None = "bias"  # absent from the file: no bias


class WeightFrame(BaseModel):
    """The ``weight_frame.json`` manifest (see the module docstring)."""

    format: Literal["weight_frame"] | None = None
    version: Literal[1] = 1
    base_model: str | None = None
    adapter: str = "."
    categories: list[str] = Field(min_length=1)
    head: HeadSpec = Field(default_factory=HeadSpec)
    thresholds: dict[str, float] | list[float] | str
    max_length: int | None = Field(None, gt=0)
    pooling: Literal["last_token"] = "last_token"

    @pydantic.field_validator("categories")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value) or not all(value):
            raise ValueError(f"categories must be distinct non-empty names, got {value}")
        return value


class PeftHeadGuard(ModelGuard):
    Settings = PeftHeadSettings
    # Read by ``load``: the tokenizer, the model, its backbone and the head.
    tokenizer: Any
    model: Any
    backbone: Any
    weight: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, name: str, settings: PeftHeadSettings) -> None:
        super().__init__()
        self.name = name
        self.settings = settings
        # The manifest alone (for a hub id, only its JSON files) names the
        # categories and thresholds; the weights wait for load().
        root = _locate(settings.model, manifest_only=True)
        self.frame = _read_manifest(root)
        self.calibration = _calibration(self.frame, root)
        self.categories = tuple(self.frame.categories)  # the head's outputs, in order
        self.max_length = settings.max_length or self.frame.max_length or 512

    def _load(self) -> None:
        settings = self.settings
        root = _locate(settings.model, manifest_only=False)
        self.tokenizer, self.model = _load(settings, self.frame, root)
        # The backbone alone gives the final (normed) hidden states without
        # computing vocabulary logits for every position.
        self.backbone = self.model.get_decoder()
        hidden = self.model.get_input_embeddings().embedding_dim
        self.weight, self.bias = _head(self.frame, root, hidden, settings.device)

    def _scan(self, texts: list[str]) -> list[GuardResult]:
        if not texts:
            return []
        probs = self.probabilities(texts)
        return [self._findings(row.tolist()) for row in probs]

    def probabilities(self, texts: list[str]) -> torch.Tensor:
        """``[len(texts), n_categories]`` sigmoid probabilities, in manifest order."""
        shown = [self.settings.template.format(text=text) for text in texts]
        encoded = self.tokenizer(shown, truncation=True, max_length=self.max_length)
        # Qwen adds no BOS: an empty text has no token to read a state from.
        fallback = self.tokenizer.eos_token_id
        rows = [{"input_ids": ids or [fallback]} for ids in encoded["input_ids"]]
        batch = self.tokenizer.pad(rows, return_tensors="pt").to(self.settings.device)
        mask = batch["attention_mask"]
        # Positions count real tokens only, so left padding shifts nothing.
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            hidden = self.backbone(
                input_ids=batch["input_ids"], attention_mask=mask, position_ids=positions
            ).last_hidden_state
            # Index of each row's last real token, whichever side was padded.
            last = (mask * torch.arange(mask.shape[1], device=mask.device)).argmax(-1)
            pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), last].float()
            logits = torch.nn.functional.linear(pooled, self.weight, self.bias)
            return torch.sigmoid(logits).cpu()

    def _findings(self, scores: list[float]) -> GuardResult:
        findings = tuple(Finding(c, s) for c, s in zip(self.categories, scores, strict=True))
        return GuardResult(self.name, findings)


def _error(message: str) -> GuardConfigError:
    return GuardConfigError(message, field=("model",))


def _download_hint(ref: str, setting: str) -> str:
    return (
        f"download it where this machine can read it (e.g. `huggingface-cli download {ref} "
        f"--local-dir models/{ref.rstrip('/').split('/')[-1]}`) and set {setting}: to that "
        f"directory"
    )


def _locate(model: str, *, manifest_only: bool) -> Path:
    """The directory holding the manifest: ``model`` itself when it is a local
    directory, else a hub snapshot (only the JSON files when ``manifest_only``)."""
    path = Path(model)
    if path.is_file() and path.name == MANIFEST:
        return path.parent
    if path.exists():
        if not (path / MANIFEST).is_file():
            raise _error(f"cannot load adapter {model!r}: {path / MANIFEST} does not exist")
        return path
    try:
        patterns = ["*.json"] if manifest_only else None
        return Path(snapshot_download(model, allow_patterns=patterns))
    except (OSError, ValueError, EntryNotFoundError) as exc:
        hint = _download_hint(model, "model")
        raise _error(f"cannot load adapter {model!r}: {hint} ({exc})") from None


def _read_manifest(root: Path) -> WeightFrame:
    path = root / MANIFEST
    try:
        return WeightFrame.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise _error(f"cannot read {path}: {exc}") from None
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "manifest"
        raise _error(f"{path}: {where}: {first['msg']}") from None


def _calibration(frame: WeightFrame, root: Path) -> dict[str, float]:
    """The manifest's per-category thresholds, checked."""
    source = f"{root / MANIFEST} thresholds"
    raw: Any = frame.thresholds
    if isinstance(raw, str):
        path = root / raw
        try:
            raw = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise _error(f"cannot read thresholds file {path}: {exc}") from None
        source = str(path)
    categories = frame.categories
    if isinstance(raw, list):
        if len(raw) != len(categories):
            raise _error(f"{source}: {len(raw)} thresholds for {len(categories)} categories")
        raw = dict(zip(categories, raw, strict=True))
    if not isinstance(raw, dict):
        raise _error(f"{source}: expected a mapping or a list of thresholds")
    unknown = sorted(set(raw) - set(categories))
    missing = [c for c in categories if c not in raw]
    if unknown or missing:
        raise _error(
            f"{source}: thresholds for unknown categories {unknown}, missing for {missing}; "
            f"categories are {categories}"
        )
    for category, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise _error(f"{source}: threshold for {category!r} must be in [0, 1], got {value!r}")
    return {c: float(raw[c]) for c in categories}


def _load(settings: PeftHeadSettings, frame: WeightFrame, root: Path) -> tuple[Any, Any]:
    adapter = root / frame.adapter
    if not (adapter / "adapter_config.json").is_file():
        raise _error(f"cannot load adapter: {adapter / 'adapter_config.json'} does not exist")
    base = settings.base_model or frame.base_model
    if base is None:
        raise _error(f"{root / MANIFEST} names no base_model: set base_model: in the guard")
    own = next(
        (d for d in (adapter, root) if any((d / f).is_file() for f in _TOKENIZER_FILES)), None
    )
    tokenizer_ref = settings.tokenizer or (str(own) if own else base)
    try:
        model: Any = AutoModelForCausalLM.from_pretrained(base, dtype=torch_dtype(settings.dtype))
    except OSError as exc:
        where = Path(base)
        hint = (
            f"{where} exists but holds no loadable model"
            if where.exists()
            else _download_hint(base, "base_model")
        )
        raise _error(f"cannot load base model {base!r}: {hint} ({exc})") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_ref)
    except OSError as exc:
        raise _error(f"cannot load tokenizer {tokenizer_ref!r}: {exc}") from None
    try:
        model = PeftModel.from_pretrained(model, str(adapter))
    except (OSError, ValueError, RuntimeError) as exc:  # e.g. modules the base lacks
        raise _error(f"cannot apply adapter {adapter} to {base!r}: {exc}") from None
    # Merged, the LoRA deltas cost nothing per token; unmerged, the injected
    # layers inside the base model still apply them.
    model = model.merge_and_unload() if settings.merge else model.get_base_model()
    if tokenizer.pad_token is None:  # causal LMs often have none: pad with eos
        tokenizer.pad_token = tokenizer.eos_token
    model.to(settings.device).eval()
    return tokenizer, model


def _head(
    frame: WeightFrame, root: Path, hidden: int, device: str
) -> tuple[torch.Tensor, torch.Tensor | None]:
    path = root / frame.head.file
    if not path.is_file():
        raise _error(f"head file {path} does not exist")
    try:
        tensors = load_file(str(path))
    except (OSError, SafetensorError) as exc:
        raise _error(f"cannot read head file {path}: {exc}") from None
    spec = frame.head
    if spec.weight not in tensors:
        raise _error(f"head file {path} has no tensor {spec.weight!r} (has {sorted(tensors)})")
    n = len(frame.categories)
    weight = tensors[spec.weight]
    if tuple(weight.shape) != (n, hidden):
        raise _error(
            f"head weight {spec.weight!r} in {path} has shape {list(weight.shape)}; expected "
            f"[{n}, {hidden}] ({n} categories, hidden size {hidden})"
        )
    if spec.bias and "bias" in spec.model_fields_set and spec.bias not in tensors:
        raise _error(f"head file {path} has no tensor {spec.bias!r} (has {sorted(tensors)})")
    bias = tensors.get(spec.bias) if spec.bias else None
    if bias is not None and tuple(bias.shape) != (n,):
        raise _error(
            f"head bias {spec.bias!r} in {path} has shape {list(bias.shape)}; expected [{n}]"
        )
    # The head runs in float32 whatever the model's dtype: calibrated thresholds
    # should not move with it.
    return weight.float().to(device), None if bias is None else bias.float().to(device)
