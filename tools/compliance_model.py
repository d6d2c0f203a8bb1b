"""A statistical second opinion for the compliance checker: a clause classifier over character n-grams.

The rule engine is precise but only knows the wordings it was written for. This module splits the
normalised text into clauses and scores each with a linear model (character 1–3-grams of the
clause, the product category, and the edges of the neighbouring clauses) trained by
``python -m tools.compliance_train``. Inference needs numpy only; the weights ship in
``knowledge/corpus/compliance/model/`` and are loaded once.

>>> hits = classify("这款茶喝了三个月，我的高血压好了", "food")
>>> [(h.category, text[h.start:h.end]) for h in hits for text in ["这款茶喝了三个月，我的高血压好了"]]
[('medical_claim', '我的高血压好了')]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from tools.compliance_normalize import NormalizedText, normalize

MODEL_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "corpus" / "compliance" / "model"
NONE = "none"

# Clause ends: sentence and clause punctuation, brackets and line breaks. Spaces that the
# normaliser removed between Chinese characters also end a clause (see ``_space_breaks``).
_BREAK = re.compile(r"[\n\r。！？!?；;，,、：:（）()【】\[\]「」『』《》\"“”…~～ ]+")
_MIN_CLAUSE = 2


@dataclass(frozen=True)
class Clause:
    """One clause of the normalised text, with its offsets in the normalised text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ClauseHit:
    """A clause the model thinks breaks a rule; offsets are in the original text."""

    start: int
    end: int
    category: str
    probability: float


def _space_breaks(norm: NormalizedText) -> list[int]:
    """Normalised offsets where the normaliser removed whitespace: titles separate claims by spaces."""
    breaks = []
    for k in range(1, len(norm.norm_starts)):
        run_len = norm.norm_starts[k] - norm.norm_starts[k - 1]
        removed = norm.original[norm.orig_starts[k - 1] + run_len : norm.orig_starts[k]]
        if any(ch.isspace() or ch == "\u3000" for ch in removed):
            breaks.append(norm.norm_starts[k])
    return breaks


def split_clauses(norm: NormalizedText) -> list[Clause]:
    """Clauses of the normalised text, each at least two characters long."""
    text = norm.text
    cuts = sorted({0, len(text), *_space_breaks(norm)})
    clauses = []
    for a, b in zip(cuts, cuts[1:]):
        pos = a
        for m in _BREAK.finditer(text, a, b):
            clauses.append(Clause(pos, m.start(), text[pos : m.start()]))
            pos = m.end()
        clauses.append(Clause(pos, b, text[pos:b]))
    return [c for c in clauses if len(c.text.strip()) >= _MIN_CLAUSE]


def clause_features(clauses: list[Clause], category: str | None, max_n: int = 3) -> list[list[str]]:
    """Feature names of each clause: its character n-grams, the product category, neighbour edges."""
    product = f"c={category or 'general'}"
    out = []
    for i, clause in enumerate(clauses):
        padded = f"^{clause.text}$"
        feats = {padded[j : j + n] for n in range(1, max_n + 1) for j in range(len(padded) - n + 1)}
        feats.discard("^")
        feats.discard("$")
        feats.add(product)
        if i > 0:
            feats.add("p=" + clauses[i - 1].text[-2:])
        if i + 1 < len(clauses):
            feats.add("n=" + clauses[i + 1].text[:2])
        out.append(list(feats))
    return out


@dataclass(frozen=True)
class ClauseModel:
    """Kept feature names, one weight row per feature (one column per class) and the bias."""

    index: dict[str, int]
    weights: np.ndarray  # (features, classes), float32
    bias: np.ndarray  # (classes,)
    classes: tuple[str, ...]
    threshold: float
    max_n: int

    def verdict(self, row: np.ndarray) -> tuple[float, str]:
        """Probability that the clause breaks some rule (1 - P(none)) and the likeliest rule category."""
        none_col = self.classes.index(NONE)
        others = row.copy()
        others[none_col] = -1.0
        return 1.0 - float(row[none_col]), self.classes[int(others.argmax())]

    def probabilities(self, features: list[list[str]]) -> np.ndarray:
        """Softmax over the classes for each clause (rows: clauses).

        Features are binary and each row is L2-normalised over all its features, known or not, so
        a clause's score is the sum of its known features' weight rows divided by sqrt(count).
        """
        lookup = self.index.get
        ids: list[int] = []
        starts: list[int] = []
        rows: list[int] = []
        for row, feats in enumerate(features):
            known = [i for i in map(lookup, feats) if i is not None]
            if known:
                rows.append(row)
                starts.append(len(ids))
                ids.extend(known)
        scores = np.tile(self.bias, (len(features), 1))
        if ids:
            sums = np.add.reduceat(self.weights[ids], starts, axis=0)
            norms = np.sqrt(np.array([len(features[r]) for r in rows], dtype=np.float32))
            scores[rows] += sums / norms[:, None]
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)


@lru_cache(maxsize=4)
def load_model(model_dir: Path = MODEL_DIR) -> ClauseModel:
    """Read the shipped artifact once: meta.json, vocab.txt (one feature a line) and weights.npy."""
    meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    packed = np.load(model_dir / "weights.npy")
    weights = packed.astype(np.float32) * np.float32(meta["scale"])
    return ClauseModel(
        index={f: i for i, f in enumerate(vocab)}, weights=weights,
        bias=np.asarray(meta["bias"], dtype=np.float32), classes=tuple(meta["classes"]),
        threshold=float(meta["threshold"]), max_n=int(meta["max_n"]),
    )


def score_clauses(text: str, category: str | None, model: ClauseModel) -> tuple[NormalizedText, list[Clause], np.ndarray]:
    """Every clause of the text with its class probabilities (for training-time evaluation too)."""
    norm = normalize(text)
    clauses = split_clauses(norm)
    if not clauses:
        return norm, clauses, np.zeros((0, len(model.classes)), dtype=np.float32)
    return norm, clauses, model.probabilities(clause_features(clauses, category, model.max_n))


def classify(
    text: str, category: str | None = None, *, threshold: float | None = None, model_dir: Path = MODEL_DIR
) -> list[ClauseHit]:
    """Clauses whose probability of breaking some rule is at least ``threshold``, with the likeliest category.

    The default threshold is the one chosen at training time for few false alarms on compliant copy.
    """
    if not text or not text.strip():
        return []
    model = load_model(model_dir)
    cut = model.threshold if threshold is None else threshold
    norm, clauses, probs = score_clauses(text, category, model)
    hits = []
    for clause, row in zip(clauses, probs):
        violation, category = model.verdict(row)
        if violation >= cut:
            start, end = norm.original_span(clause.start, clause.end)
            hits.append(ClauseHit(start, end, category, round(violation, 4)))
    return hits
