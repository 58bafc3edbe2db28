"""Train the embedded default classifier (guards/data/default_classifier.npz).

    pip install -e ".[test,models]"      # scikit-learn comes with the models extra
    python scripts/train_default.py [--data-dir ../shared/datasets] [--c 4] [--target-fpr 0.02]

Reproducible: fixed seeds, fixed dataset list, deterministic validation split.
Only sets whose licence allows redistributing a derived model are trained on
(the script refuses any other); whole sets are held out for evaluation
(HarmBench, StrongREJECT, XSTest, Alpaca, deepset's test split, ToxicChat,
XSafety, RTP-LX, Tensor Trust, BIPIA's test split, and the agent-framework
prompts of tests/conformance/agent_prompts.py, which
scripts/agent_prompts_benign.py checks it shares no 8-word window with), so
`sluicegate eval` on them measures generalisation, not memory. The training data and licences are
written into the weights file and listed in guards/data/DEFAULT_CLASSIFIER.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from sluicegate.guards.default_classifier import FeatureHasher

REPO = Path(__file__).resolve().parents[1]
CATEGORIES = ("unsafe", "harmful_request", "jailbreak", "hate", "self_harm", "sexual", "violence")

# (dataset, split, role): what a positive of the set means.
TRAIN: tuple[tuple[str, str | None, str], ...] = (
    ("advbench", None, "harmful"),
    ("jbb_behaviors", None, "harmful"),
    ("simple_safety_tests", None, "harmful"),
    ("red_instruct_harmful_questions", None, "harmful"),  # CatQA: en, zh, vi
    ("red_instruct_harmful_questions/dangerousqa", None, "harmful"),
    ("jailbreak_llms/forbidden_questions", None, "harmful"),
    ("jailbreak_llms", None, "jailbreak"),
    ("gptfuzz/templates", None, "jailbreak"),
    ("deepset_prompt_injections", "train", "jailbreak"),
    ("bipia", "train", "jailbreak"),
    ("hatecheck", None, "hate"),
    ("multilingual_hatecheck", None, "hate"),
    ("davidson_hate_offensive", None, "hate"),
    ("toxigen_demonstrations", None, "hate"),
    ("xquad_questions", None, "benign"),
    ("mgsm_prompts", None, "benign"),
    ("afriqa_swahili_queries", None, "benign"),
    ("arena_hard_prompts", None, "benign"),
    ("massive_en_us", None, "benign"),
)
#: benign user prompts a threshold is chosen on (their held-out fifth): real
#: questions and requests, not templated or tweet-style negatives
THRESHOLD_SOURCES = (
    "xquad_questions", "mgsm_prompts", "afriqa_swahili_queries", "arena_hard_prompts",
    "massive_en_us",
)  # fmt: skip
# Finer categories from the harmful sets' own category names.
CATEGORY_PATTERNS = {
    "self_harm": re.compile(r"self|suicid|eating"),
    "sexual": re.compile(r"sex|adult|porn|erotic|child_abuse|child_safety"),
    "violence": re.compile(r"violen|physical|weapon|terror|kill|murder"),
    "hate": re.compile(r"hate|harass|discriminat|racis"),
}


def labels_for(role: str, unsafe: bool, category: str | None) -> list[int]:
    row = dict.fromkeys(CATEGORIES, 0)
    if unsafe and role != "benign":
        row["unsafe"] = 1
        row[{"harmful": "harmful_request", "jailbreak": "jailbreak", "hate": "hate"}[role]] = 1
        if role == "harmful" and category:
            for name, pattern in CATEGORY_PATTERNS.items():
                if pattern.search(category):
                    row[name] = 1
    return [row[c] for c in CATEGORIES]


def held_out(source: str, text: str) -> bool:
    """A deterministic fifth of each benign source, kept for thresholds."""
    return hashlib.blake2b(f"{source}\0{text}".encode(), digest_size=2).digest()[0] < 51


@dataclass
class TrainingData:
    texts: list[str] = field(default_factory=list)
    labels: list[list[int]] = field(default_factory=list)
    groups: list[tuple[str, str, int]] = field(default_factory=list)  # (source, language, unsafe)
    #: held-out fifth of each threshold source: the thresholds are chosen on it
    validation: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    provenance: list[dict[str, object]] = field(default_factory=list)


def collect(data_dir: Path | None) -> TrainingData:
    """Every training row, its labels and group, and the validation texts."""
    from agent_prompts_benign import agent_prompts
    from borderline_benign import borderline_prompts, request_shaped_prompts

    from sluicegate.policies.quality.datasets import dataset_info, load_dataset

    data = TrainingData()
    for name, split, role in TRAIN:
        info = dataset_info(name)
        if not info.redistributable:
            sys.exit(f"refusing to train on {name}: licence {info.licence!r} does not allow it")
        _, samples = load_dataset(name, root=data_dir, split=split)
        kept = 0
        for s in samples:
            if s.unsafe is None or not s.text.strip():
                continue
            if role == "benign" and name in THRESHOLD_SOURCES and held_out(name, s.text):
                data.validation[name].append(s.text)
                continue
            data.texts.append(s.text)
            data.labels.append(labels_for(role, bool(s.unsafe), s.category))
            data.groups.append((name, s.language or "xx", int(bool(s.unsafe))))
            kept += 1
        data.provenance.append({"dataset": name, "split": split, "role": role, "rows": kept,
                                "licence": info.licence})  # fmt: skip
        print(f"{name}{'/' + split if split else ''}: {kept} rows", file=sys.stderr)
    # Safe prompts that sound dangerous, written for this project.
    authored = {"borderline": borderline_prompts(), "request_shapes": request_shaped_prompts()}
    for group, prompts in authored.items():
        for text in prompts:
            data.texts.append(text)
            data.labels.append(labels_for("benign", False, None))
            data.groups.append((group, "en", 0))
        data.provenance.append({"dataset": f"scripts/borderline_benign.py ({group})",
                                "split": None, "role": "benign", "rows": len(prompts),
                                "licence": "this project's (Apache-2.0)"})  # fmt: skip
    # Agent frameworks' own system, tool-use, retry and handoff prompts, written
    # for this project: role and format instructions are not a jailbreak by
    # themselves (tests/conformance/agent_prompts.py, held out, checks them).
    agents = agent_prompts()
    for text, language in agents:
        data.texts.append(text)
        data.labels.append(labels_for("benign", False, None))
        data.groups.append(("agent_prompts", language, 0))
    data.provenance.append({"dataset": "scripts/agent_prompts_benign.py (agent_prompts)",
                            "split": None, "role": "benign", "rows": len(agents),
                            "licence": "this project's (Apache-2.0)"})  # fmt: skip
    return data


def sample_weights(
    groups: list[tuple[str, str, int]], borderline_weight: float, agent_weight: float = 1.0
) -> np.ndarray:
    """Every source counts alike (a 36k-row set must not drown a 100-row
    one), except the authored borderline and agent prompts, which count as
    ``borderline_weight`` and ``agent_weight`` sources; then within each
    language unsafe and safe weigh the same, so a language or script is not
    learnt as a sign of harm."""
    per_source = Counter(g[0] for g in groups)
    weights = np.array([1.0 / max(per_source[g[0]], 200) for g in groups])
    weights[[g[0] == "borderline" for g in groups]] *= borderline_weight
    weights[[g[0] == "agent_prompts" for g in groups]] *= agent_weight
    mass: dict[tuple[str, int], float] = defaultdict(float)
    for g, w in zip(groups, weights, strict=True):
        mass[(g[1], g[2])] += w
    for i, (_, language, unsafe) in enumerate(groups):
        other = mass.get((language, 1 - unsafe), 0.0)
        if other:
            mine = mass[(language, unsafe)]
            weights[i] *= (mine + other) / (2 * mine)
    weights *= len(weights) / weights.sum()
    return weights


def featurise(hasher: FeatureHasher, texts: list[str]) -> csr_matrix:
    """One sparse row per text; a bucket's repeated entries are summed."""
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        index, values = hasher(text)
        rows.append(np.full(len(index), i))
        cols.append(index)
        vals.append(values)
    return csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(texts), hasher.buckets),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--c", type=float, default=4.0, help="inverse regularisation")
    parser.add_argument("--target-fpr", type=float, default=0.01,
                        help="per benign source, for the thresholds")
    parser.add_argument("--borderline-weight", type=float, default=3.0,
                        help="weight of the borderline benign prompts, in sources")
    parser.add_argument("--agent-weight", type=float, default=1.0,
                        help="weight of the agent-framework benign prompts, in sources")
    parser.add_argument("--output", type=Path,
                        default=REPO / "guards" / "data" / "default_classifier.npz")
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression

    from sluicegate.guards.default_classifier import FeatureHasher
    from sluicegate.policies.quality.metrics import threshold_for_fpr

    hasher = FeatureHasher()
    data = collect(args.data_dir)
    weights = sample_weights(data.groups, args.borderline_weight, args.agent_weight)
    started = time.perf_counter()
    x = featurise(hasher, data.texts)
    y = np.array(data.labels)
    print(f"features: {x.shape}, {x.nnz} non-zeros, {time.perf_counter() - started:.0f} s",
          file=sys.stderr)  # fmt: skip

    coef = np.zeros((hasher.buckets, len(CATEGORIES)), dtype=np.float32)
    bias = np.zeros(len(CATEGORIES), dtype=np.float32)
    for k, category in enumerate(CATEGORIES):
        t0 = time.perf_counter()
        model = LogisticRegression(C=args.c, solver="liblinear", max_iter=200)
        model.fit(x, y[:, k], sample_weight=weights)
        coef[:, k] = model.coef_[0]
        bias[k] = model.intercept_[0]
        print(f"{category}: {int(y[:, k].sum())} positives, {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)  # fmt: skip

    # Thresholds on held-out benign prompts: the worst source decides.
    def probabilities(text: str) -> np.ndarray:
        index, values = hasher(text)
        logits = values @ coef[index].astype(np.float16).astype(np.float32) + bias
        return 1.0 / (1.0 + np.exp(-logits))

    scored = {src: np.array([probabilities(t) for t in ts]) for src, ts in data.validation.items()}
    thresholds = {}
    for k, category in enumerate(CATEGORIES):
        found = threshold_for_fpr({s: v[:, k].tolist() for s, v in scored.items()},
                                  args.target_fpr)  # fmt: skip
        thresholds[category] = round(max(found, 0.5), 4)
    print(f"thresholds: {thresholds}", file=sys.stderr)

    meta = {
        "version": 1,
        "buckets": hasher.buckets,
        "orders": list(hasher.orders),
        "max_chars": hasher.max_chars,
        "categories": list(CATEGORIES),
        "thresholds": thresholds,
        "c": args.c,
        "borderline_weight": args.borderline_weight,
        "agent_weight": args.agent_weight,
        "target_fpr": args.target_fpr,
        "threshold_sources": {s: len(v) for s, v in data.validation.items()},
        "training_data": data.provenance,
        "rows": len(data.texts),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, weights=coef.astype(np.float16), bias=bias,
                        meta=np.array(json.dumps(meta)))  # fmt: skip
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    card = args.output.with_name("DEFAULT_CLASSIFIER.md")
    card.write_text(data_card(meta), encoding="utf-8")
    print(f"wrote {card}", file=sys.stderr)


def data_card(meta: dict[str, object]) -> str:
    """What the weights were trained on, under which licences: shipped with them."""
    lines = [
        "# Default classifier: training data",
        "",
        "`default_classifier.npz` is a logistic-regression head over hashed character "
        f"n-grams (orders {min(meta['orders'])}-{max(meta['orders'])}, "
        f"2^{int(meta['buckets']).bit_length() - 1} buckets), trained by "
        "`scripts/train_default.py` on the sets below. Every one allows redistributing "
        "a model derived from it; the script "
        "refuses the others. Evaluation sets are held out whole (see the script).",
        "",
        "| dataset | split | used as | rows | licence |",
        "|---|---|---|---:|---|",
    ]
    for row in meta["training_data"]:  # type: ignore[attr-defined]
        lines.append(
            f"| {row['dataset']} | {row['split'] or 'all'} | {row['role']} | {row['rows']} "
            f"| {row['licence']} |"
        )
    lines += [
        "",
        f"Thresholds (lowest at which every held-out benign source stays at or under "
        f"{meta['target_fpr']:.0%} false positives, at least 0.5): "
        + ", ".join(f"{k} {v}" for k, v in meta["thresholds"].items())  # type: ignore[attr-defined]
        + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
