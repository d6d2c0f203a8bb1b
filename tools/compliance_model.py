"""A statistical second opinion for the compliance checker: a clause classifier over character n-grams.

The rule engine is precise but only knows the wordings it was written for. This module splits the
normalised text into clauses and scores each with a linear model (character 1–3-grams of the
clause, the product category, and the edges of the neighbouring clauses) trained by
``python -m tools.compliance_train``. Inference needs numpy only; the weights ship in
``knowledge/corpus/compliance/model/`` and are loaded once.

>>> text = "这款茶喝了三个月，我的高血压好了"
>>> [(h.category, text[h.start:h.end]) for h in classify(text, "food")]
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


_START, _END, _GAP = 1, 2, 0  # code points standing for a clause's start, its end, and between clauses


@dataclass(frozen=True)
class TextFeatures:
    """Features of every clause of one text.

    Character n-grams (1..max_n, over the clause padded with start and end marks) are numbers:
    the code points packed 21 bits each, so they are exact and computed with numpy in one pass.
    ``keys[i]`` occurs in clause ``key_clause[i]`` (repeats kept: a feature's value is its count).
    ``extras`` are the few named features of each clause (product category, neighbour edges).
    """

    keys: np.ndarray  # uint64
    key_clause: np.ndarray  # int64
    extras: list[list[str]]

    @property
    def totals(self) -> np.ndarray:
        """Feature occurrences per clause: each row is scaled by 1/sqrt(total)."""
        counts = np.bincount(self.key_clause, minlength=len(self.extras))
        return counts + np.array([len(e) for e in self.extras], dtype=np.int64)


def clause_features(clauses: list[Clause], category: str | None, max_n: int = 3) -> TextFeatures:
    """The n-gram keys of every clause, the product category and the edges of the neighbouring clauses."""
    joined = "".join(f"\x01{c.text}\x02\x00" for c in clauses)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    clause_of = np.cumsum(cps == _GAP) - (cps == _GAP)
    keys, owners = [], []
    gram = np.zeros(len(cps), dtype=np.uint64)
    valid = np.ones(len(cps), dtype=bool)
    for n in range(1, max_n + 1):
        size = len(cps) - n + 1
        if size <= 0:
            break
        gram = (gram[:size] << np.uint64(21)) | cps[n - 1 :]
        valid = valid[:size] & (cps[n - 1 :] != _GAP)
        keep = valid & (gram > _END) if n == 1 else valid
        keys.append(gram[keep])
        owners.append(clause_of[:size][keep])
    product = f"c={category or 'general'}"
    extras = []
    for i in range(len(clauses)):
        named = [product]
        if i > 0:
            named.append("p=" + clauses[i - 1].text[-2:])
        if i + 1 < len(clauses):
            named.append("n=" + clauses[i + 1].text[:2])
        extras.append(named)
    if not keys:
        return TextFeatures(np.zeros(0, np.uint64), np.zeros(0, np.int64), extras)
    return TextFeatures(np.concatenate(keys), np.concatenate(owners).astype(np.int64), extras)


@dataclass(frozen=True)
class ClauseModel:
    """Weights of the kept n-gram keys (sorted) and named features, one column per class, and the bias."""

    ngram_keys: np.ndarray  # uint64, sorted
    ngram_weights: np.ndarray  # (n-grams, classes), float32
    extra_index: dict[str, int]
    extra_weights: np.ndarray  # (named features, classes), float32
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

    def probabilities(self, feats: TextFeatures) -> np.ndarray:
        """Softmax over the classes for each clause (rows: clauses)."""
        n_clauses = len(feats.extras)
        pos = np.searchsorted(self.ngram_keys, feats.keys).clip(0, max(self.ngram_keys.size - 1, 0))
        hit = self.ngram_keys[pos] == feats.keys if self.ngram_keys.size else np.zeros(feats.keys.size, bool)
        lookup = self.extra_index.get
        named = [(row, idx) for row, names in enumerate(feats.extras) for idx in map(lookup, names) if idx is not None]
        rows = np.concatenate([feats.key_clause[hit], np.array([r for r, _ in named], dtype=np.int64)])
        weights = np.concatenate([self.ngram_weights[pos[hit]], self.extra_weights[[i for _, i in named]]])
        # each clause's score: the sum of its features' weights, scaled by its feature count (memory
        # stays proportional to the features, also for a 1 MB text)
        scale = (1.0 / np.sqrt(np.maximum(feats.totals, 1))).astype(np.float32)
        contrib = weights * scale[rows][:, None]
        scores = np.stack([np.bincount(rows, weights=contrib[:, c], minlength=n_clauses)
                           for c in range(self.bias.size)], axis=1).astype(np.float32) + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)


@lru_cache(maxsize=4)
def load_model(model_dir: Path = MODEL_DIR) -> ClauseModel:
    """Read the shipped artifact once: meta.json, ngrams.npy (sorted keys), extras.npy and weights.npy."""
    meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
    keys = np.load(model_dir / "ngrams.npy")
    extras = [str(e) for e in np.load(model_dir / "extras.npy")]
    weights = np.load(model_dir / "weights.npy").astype(np.float32) * np.float32(meta["scale"])
    return ClauseModel(
        ngram_keys=keys, ngram_weights=weights[: len(keys)],
        extra_index={name: i for i, name in enumerate(extras)}, extra_weights=weights[len(keys) :],
        bias=np.asarray(meta["bias"], dtype=np.float32), classes=tuple(meta["classes"]),
        threshold=float(meta["threshold"]), max_n=int(meta["max_n"]),
    )


def score_clauses(
    text: str, category: str | None, model: ClauseModel, norm: NormalizedText | None = None
) -> tuple[NormalizedText, list[Clause], np.ndarray]:
    """Every clause of the text with its class probabilities."""
    norm = normalize(text) if norm is None else norm
    clauses = split_clauses(norm)
    if not clauses:
        return norm, clauses, np.zeros((0, len(model.classes)), dtype=np.float32)
    return norm, clauses, model.probabilities(clause_features(clauses, category, model.max_n))


def classify(
    text: str,
    category: str | None = None,
    *,
    threshold: float | None = None,
    norm: NormalizedText | None = None,
    model_dir: Path = MODEL_DIR,
) -> list[ClauseHit]:
    """Clauses whose probability of breaking some rule is at least ``threshold``, with the likeliest category.

    The default threshold is the one chosen at training time for few false alarms on compliant copy.
    ``norm`` is ``normalize(text)`` when the caller has it already (the rule engine does).
    """
    if not text or not text.strip():
        return []
    model = load_model(model_dir)
    cut = model.threshold if threshold is None else threshold
    norm, clauses, probs = score_clauses(text, category, model, norm)
    none_col = model.classes.index(NONE)
    violation = 1.0 - probs[:, none_col] if len(clauses) else np.zeros(0)
    hits = []
    for i in np.flatnonzero(violation >= cut):
        _, category = model.verdict(probs[i])
        start, end = norm.original_span(clauses[i].start, clauses[i].end)
        hits.append(ClauseHit(start, end, category, round(float(violation[i]), 4)))
    return hits
