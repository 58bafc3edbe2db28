"""What every model guard needs when it loads weights: dtype names, category
names derived from model labels, and the error that says what to download."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["DTYPE_NAMES", "category_name", "missing_model_message", "torch_dtype"]

DTYPE_NAMES = ("float32", "float16", "bfloat16")


def torch_dtype(name: str) -> object:
    import torch  # the models extra; callers already depend on it

    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[name]


def category_name(label: str) -> str:
    """A model label as a policy category: lower case, non-alphanumerics as
    underscores (``"Violent crimes"`` -> ``violent_crimes``)."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "label"


def missing_model_message(model: str, exc: Exception, *, what: str = "model") -> str:
    """Why ``model`` (a hub id or a path) could not be loaded, and what to do."""
    if Path(model).exists():
        hint = f"{model} exists but holds no loadable {what}"
    elif model.startswith(("/", ".", "~")) or model.count("/") > 1:
        hint = f"no such directory {model}; point {what}: at the directory holding it"
    else:
        hint = (
            f"download it where this machine can read it (e.g. `huggingface-cli download "
            f"{model} --local-dir models/{model.rstrip('/').split('/')[-1]}`) and set "
            f"{what}: to that directory"
        )
    return f"cannot load {what} {model!r}: {hint} ({exc})"
