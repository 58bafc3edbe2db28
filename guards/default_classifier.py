"""The embedded default safety classifier: hashed character n-grams and a
linear multi-label head, trained by ``scripts/train_default.py`` on openly
licensed sets and shipped inside the package (``data/default_classifier.npz``),
so the default pack catches harmful requests, jailbreaks and
hateful text with no download, no torch and well under a millisecond per prompt.

Scores are calibrated probabilities per category (sigmoid of a logistic
regression); the thresholds chosen at training time on held-out benign text
(worst source's false-positive rate) travel in the same file, and the guard
carries them as its ``calibration`` for rules to read (``thresholds``,
``over_threshold``); it never compares a score with them itself.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .base import Finding, SyncGuard, not_loaded_error
from .errors import GuardConfigError
from .model_settings import THRESHOLDS_MOVED

__all__ = [
    "DefaultClassifier",
    "DefaultClassifierGuard",
    "DefaultClassifierSettings",
    "FeatureHasher",
]

EMBEDDED = "data/default_classifier.npz"
# Odd 64-bit multipliers; uint64 arithmetic wraps, which is the point.
_BASE = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class FeatureHasher:
    """Text -> sparse vector: character n-grams of the case-folded,
    NFKC-normalised text with spaces around words, hashed into ``buckets``,
    log-scaled counts (``1 + log(count)``), L2-normalised. Training and
    serving use this one function.

    The vector comes back one entry per n-gram occurrence, not per bucket: a
    bucket hit ``c`` times appears ``c`` times with ``1/c`` of its value each,
    so the entries of a bucket sum to its feature value (scipy's sparse
    matrices and a dot product with the weights both do that sum). Counting
    with ``bincount`` instead of sorting for unique buckets is what keeps a
    1,000-character prompt near a tenth of a millisecond."""

    buckets: int = 1 << 16
    orders: tuple[int, ...] = (1, 2, 3, 4, 5)
    max_chars: int = 4000  # head and tail of longer texts (where instructions sit)

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        # split() splits on exactly what \s matches, several times faster
        text = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
        if len(text) > self.max_chars:
            half = self.max_chars // 2
            text = text[:half] + " " + text[-half:]
        codes = np.frombuffer(f" {text} ".encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        length = len(codes)
        orders = sorted(n for n in self.orders if n <= length)
        mixed = np.empty(sum(length - n + 1 for n in orders), dtype=np.uint64)
        # The order-n hash extends the order-(n-1) one by a character:
        # h_n[i] = h_(n-1)[i] * BASE + codes[i + n - 1].
        rolling = np.zeros(length, dtype=np.uint64)
        done, position = 0, 0
        for n in orders:
            for k in range(done, n):
                width = length - k
                rolling = rolling[:width] * _BASE + codes[k : k + width]
            done = n
            width = length - n + 1
            mixed[position : position + width] = (rolling + np.uint64(n)) * _MIX
            position += width
        high = mixed >> np.uint64(32)
        if self.buckets & (self.buckets - 1) == 0:  # a power of two: mask, same result as %
            index = (high & np.uint64(self.buckets - 1)).astype(np.intp)
        else:
            index = (high % np.uint64(self.buckets)).astype(np.intp)
        counts = np.bincount(index, minlength=self.buckets)[index].astype(np.float32)
        scaled = 1.0 + np.log(counts)
        # Per occurrence: scaled / count; squared norm = sum over buckets of scaled**2.
        values = scaled / counts
        values /= np.sqrt(np.dot(values, scaled))
        return index, values


@dataclass(frozen=True)
class DefaultClassifier:
    """The trained head: ``weights[bucket, category]``, ``bias[category]``."""

    hasher: FeatureHasher
    categories: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    thresholds: dict[str, float]
    info: dict[str, Any]

    @classmethod
    def load(cls, path: Path | None = None) -> DefaultClassifier:
        source = path or embedded_path()
        meta = read_meta(source)
        hasher = FeatureHasher(int(meta["buckets"]), tuple(meta["orders"]), int(meta["max_chars"]))
        categories = tuple(meta["categories"])
        with _open(source) as data:
            weights, bias = data["weights"], data["bias"]
        if weights.shape != (hasher.buckets, len(categories)):
            raise GuardConfigError(
                f"{source}: weights {weights.shape} do not match {hasher.buckets} buckets and "
                f"{len(categories)} categories",
                field=("path",),
            )
        # float16 on disk (half the wheel), float32 in memory: gathering rows
        # of float32 and one matrix product beat converting per request.
        weights = weights.astype(np.float32)
        return cls(hasher, categories, weights, bias, meta["thresholds"], meta)

    def probabilities(self, text: str) -> np.ndarray:
        index, values = self.hasher(text)
        # take() gathers rows several times faster than fancy indexing
        logits = values @ self.weights.take(index, axis=0) + self.bias
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return probabilities


def embedded_path() -> Path:
    return Path(str(files("sluicegate.guards").joinpath(EMBEDDED)))


def read_meta(source: Path) -> dict[str, Any]:
    """The weights file's metadata (categories, trained thresholds, training
    data), without reading the weights: an ``.npz`` reads members on access."""
    with _open(source) as data:
        meta: dict[str, Any] = json.loads(str(data["meta"]))
    return meta


def _open(source: Path) -> Any:
    try:
        return np.load(source, allow_pickle=False)
    except OSError as exc:
        raise GuardConfigError(
            f"cannot read the default classifier's weights {source}: {exc}", field=("path",)
        ) from None


class DefaultClassifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moved_keys: ClassVar[dict[str, str]] = {"thresholds": THRESHOLDS_MOVED}

    path: str | None = Field(None, description="Weights file; default: the embedded one.")


class DefaultClassifierGuard(SyncGuard):
    """A :class:`~sluicegate.guards.base.LoadableGuard`: constructing it reads
    the weights file's metadata (categories and the trained thresholds, its
    ``calibration``), ``load`` the weights."""

    Settings = DefaultClassifierSettings

    def __init__(self, name: str, settings: DefaultClassifierSettings) -> None:
        self.name = name
        self.path = Path(settings.path) if settings.path else embedded_path()
        meta = read_meta(self.path)
        self.categories = tuple(meta["categories"])
        trained: dict[str, float] = meta["thresholds"]
        self.calibration = {c: float(t) for c, t in trained.items()}
        self._model: DefaultClassifier | None = None
        self._load_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> DefaultClassifier:
        if self._model is None:
            raise not_loaded_error(self.name)
        return self._model

    def load(self) -> None:
        with self._load_lock:
            if self._model is None:
                self._model = DefaultClassifier.load(self.path)

    def scan_one(self, text: str) -> tuple[Finding, ...]:
        model = self.model
        scores = model.probabilities(text).tolist()
        return tuple(Finding(c, s) for c, s in zip(model.categories, scores, strict=True))
