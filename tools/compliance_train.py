"""Train the compliance clause classifier and rewrite its artifact: ``python -m tools.compliance_train``.

Needs scikit-learn at training time only. Reads the labelled sets in ``evals/datasets``; a clause
overlapping a labelled span is a positive of that span's finding category, every other clause is
``none``. Prints cross-validated figures (group k-fold by text id): the classifier alone and the
rule engine plus the classifier, for several thresholds, then fits on everything, prunes the
vocabulary and writes ``knowledge/corpus/compliance/model/`` deterministically.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.compliance_model import MODEL_DIR, NONE, ClauseModel, TextFeatures, clause_features, split_clauses
from tools.compliance_normalize import normalize

REPO = Path(__file__).resolve().parent.parent
DATASETS = ("compliance_own.jsonl", "compliance_blind.jsonl", "compliance_own_clean.jsonl")
MAX_N = 3
MIN_DF = 2
C = 30.0
FOLDS = 5
KEEP_FEATURES = 60_000
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# the threshold shipped: the lowest one whose cross-validated share of flagged compliant texts
# (rule engine plus classifier) stays at or under this. Unseen copy gets flagged more often than
# cross-validation shows (the rules alone flag up to a tenth of fresh compliant texts), so the
# classifier's own share is kept small.
MAX_FLAGGED = 0.03

Span = tuple[int, int, str]  # start, end (original offsets), category


@dataclass
class TextExamples:
    case: dict[str, Any]
    spans: list[tuple[int, int]]  # original offsets of each clause
    features: TextFeatures
    labels: list[str]


def load_cases(root: Path = REPO) -> list[dict[str, Any]]:
    cases = []
    for name in DATASETS:
        with open(root / "evals" / "datasets" / name, encoding="utf-8") as fh:
            cases.extend(json.loads(line) for line in fh if line.strip())
    return cases


def labelled_spans(case: dict[str, Any]) -> list[Span]:
    out = []
    for v in case.get("violations") or []:
        start = case["text"].find(v["span"])
        if start >= 0:
            out.append((start, start + len(v["span"]), v["rule"]))
    return out


def _label(start: int, end: int, labels: list[Span]) -> str:
    overlaps = [(min(end, e) - max(start, s), cat) for s, e, cat in labels if s < end and e > start]
    return max(overlaps)[1] if overlaps else NONE


def examples_of(case: dict[str, Any]) -> TextExamples:
    norm = normalize(case["text"])
    clauses = split_clauses(norm)
    spans = [norm.original_span(c.start, c.end) for c in clauses]
    labels = labelled_spans(case)
    return TextExamples(
        case, spans, clause_features(clauses, case.get("category"), MAX_N), [_label(s, e, labels) for s, e in spans]
    )


@dataclass(frozen=True)
class Vocabulary:
    ngrams: np.ndarray  # sorted uint64 keys
    extras: dict[str, int]  # column = len(ngrams) + index

    @property
    def size(self) -> int:
        return len(self.ngrams) + len(self.extras)


def _vocabulary(feats: Sequence[TextFeatures]) -> Vocabulary:
    keys, counts = np.unique(np.concatenate([f.keys for f in feats]), return_counts=True)
    named = Counter(name for f in feats for names in f.extras for name in names)
    kept = sorted(name for name, n in named.items() if n >= MIN_DF)
    return Vocabulary(keys[counts >= MIN_DF], {name: i for i, name in enumerate(kept)})


def _matrix(feats: Sequence[TextFeatures], vocab: Vocabulary) -> Any:
    """One row per clause: each feature's count divided by sqrt(the clause's feature occurrences)."""
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    offset = 0
    for f in feats:
        scale = 1.0 / np.sqrt(np.maximum(f.totals, 1))
        pos = np.searchsorted(vocab.ngrams, f.keys).clip(0, max(len(vocab.ngrams) - 1, 0))
        hit = vocab.ngrams[pos] == f.keys
        rows.append(offset + f.key_clause[hit])
        cols.append(pos[hit])
        vals.append(scale[f.key_clause[hit]])
        for r, names in enumerate(f.extras):
            idx = [vocab.extras[n] for n in names if n in vocab.extras]
            rows.append(np.full(len(idx), offset + r))
            cols.append(len(vocab.ngrams) + np.array(idx, dtype=np.int64))
            vals.append(np.full(len(idx), scale[r]))
        offset += len(f.extras)
    data = (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols)))
    return csr_matrix(data, shape=(offset, vocab.size), dtype=np.float64)


def fit(examples: Sequence[TextExamples]) -> ClauseModel:
    """Fit on the examples; returns the model with every kept feature (before pruning)."""
    from sklearn.linear_model import LogisticRegression

    feats = [ex.features for ex in examples]
    labels = [y for ex in examples for y in ex.labels]
    vocab = _vocabulary(feats)
    clf = LogisticRegression(C=C, max_iter=3000, tol=1e-5)
    clf.fit(_matrix(feats, vocab), labels)
    weights = clf.coef_.T.astype(np.float32)
    cut = len(vocab.ngrams)
    return ClauseModel(
        vocab.ngrams, weights[:cut], vocab.extras, weights[cut:], clf.intercept_.astype(np.float32),
        tuple(clf.classes_), 0.5, MAX_N,
    )


def predict(model: ClauseModel, ex: TextExamples, threshold: float) -> list[Span]:
    if not ex.labels:
        return []
    hits = []
    for (s, e), row in zip(ex.spans, model.probabilities(ex.features)):
        violation, category = model.verdict(row)
        if violation >= threshold:
            hits.append((s, e, category))
    return hits


def rule_findings(case: dict[str, Any]) -> list[Span]:
    from tools.compliance import check_text

    report = check_text(case["text"], case.get("category"))
    return [(f.start, f.end, f.category) for f in report.findings if f.severity in ("warn", "block")]


def combine(rules: list[Span], hits: list[Span]) -> list[Span]:
    """Rule findings first; a classifier hit is added only where no rule finding overlaps it."""
    extra = [h for h in hits if not any(s < h[1] and e > h[0] for s, e, _ in rules)]
    return [*rules, *extra]


def span_figures(cases: Sequence[dict[str, Any]], findings: Sequence[list[Span]]) -> dict[str, Any]:
    """The figures of ``evals.compliance.score`` for given findings per case."""
    spans = found = right = compliant = flagged = 0
    for case, fs in zip(cases, findings):
        labels = labelled_spans(case)
        if not case.get("violations"):
            compliant += 1
            flagged += bool(fs)
            continue
        spans += len(case["violations"])
        for s, e, cat in labels:
            over = [(min(e, fe) - max(s, fs_), fc) for fs_, fe, fc in fs if fs_ < e and fe > s]
            if over:
                found += 1
                right += max(over, key=lambda t: t[0])[1] == cat
    return {
        "span_recall": round(found / spans, 3) if spans else None,
        "category_accuracy": round(right / found, 3) if found else None,
        "compliant_flagged": round(flagged / compliant, 3) if compliant else None,
    }


def _fold_of(case_id: str) -> int:
    return zlib.crc32(case_id.encode("utf-8")) % FOLDS


def cross_validate(examples: list[TextExamples], log: Callable[[str], None] = print) -> dict[float, dict[str, Any]]:
    """Group k-fold by text id; returns, per threshold, the classifier-alone and combined figures."""
    cases = [ex.case for ex in examples]
    hits_at: dict[float, list[list[Span]]] = {t: [[] for _ in examples] for t in THRESHOLDS}
    clause_right = clause_total = 0
    for fold in range(FOLDS):
        test = [i for i, ex in enumerate(examples) if _fold_of(ex.case["id"]) == fold]
        model = fit([ex for i, ex in enumerate(examples) if _fold_of(ex.case["id"]) != fold])
        for i in test:
            ex = examples[i]
            if ex.labels:
                probs = model.probabilities(ex.features)
                predicted = [model.classes[int(r.argmax())] for r in probs]
                clause_right += sum(p == y for p, y in zip(predicted, ex.labels))
                clause_total += len(ex.labels)
            for t in THRESHOLDS:
                hits_at[t][i] = predict(model, ex, t)
        log(f"  fold {fold + 1}/{FOLDS}: {len(test)} texts")
    log(f"clause accuracy (argmax, all classes): {clause_right / clause_total:.3f} of {clause_total} clauses")
    rules = [rule_findings(c) for c in cases]
    log(f"rules alone (fitted on these texts, so optimistic): {span_figures(cases, rules)}")
    results = {}
    for t in THRESHOLDS:
        alone = span_figures(cases, hits_at[t])
        both = span_figures(cases, [combine(r, h) for r, h in zip(rules, hits_at[t])])
        results[t] = {"classifier": alone, "combined": both}
        log(f"threshold {t:.2f}  classifier alone {alone}  rules + classifier {both}")
    return results


def choose_threshold(results: dict[float, dict[str, Any]]) -> float:
    ok = [t for t, r in sorted(results.items()) if (r["combined"]["compliant_flagged"] or 0) <= MAX_FLAGGED]
    return ok[0] if ok else max(results)


def prune(model: ClauseModel, keep: int = KEEP_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` n-grams with the largest weights (ties by key), in key order."""
    strength = np.round(np.abs(model.ngram_weights).max(axis=1), 6)
    order = np.lexsort((model.ngram_keys, -strength))[:keep]
    order.sort()  # the keys are sorted, so index order is key order
    return model.ngram_keys[order], model.ngram_weights[order]


def write_artifact(model: ClauseModel, threshold: float, out_dir: Path = MODEL_DIR) -> dict[str, Any]:
    keys, ngram_weights = prune(model)
    extras = sorted(model.extra_index, key=model.extra_index.__getitem__)
    weights = np.vstack([ngram_weights, model.extra_weights])
    out_dir.mkdir(parents=True, exist_ok=True)
    scale = float(np.abs(weights).max()) / 127.0
    np.save(out_dir / "ngrams.npy", keys.astype(np.uint64), allow_pickle=False)
    np.save(out_dir / "weights.npy", np.round(weights / scale).astype(np.int8), allow_pickle=False)
    # a .npy, not a .txt: the knowledge base ingests text files under knowledge/corpus
    np.save(out_dir / "extras.npy", np.array(extras, dtype=str))
    meta = {
        "about": "compliance clause classifier; rebuild with python -m tools.compliance_train",
        "classes": list(model.classes), "bias": [round(float(b), 6) for b in model.bias],
        "scale": scale, "threshold": threshold, "max_n": MAX_N, "ngrams": len(keys), "named_features": len(extras),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    examples = [examples_of(c) for c in load_cases()]
    labels = Counter(y for ex in examples for y in ex.labels)
    print(f"{len(examples)} texts, {sum(labels.values())} clauses: {dict(sorted(labels.items()))}")
    threshold = 0.7  # what the cross-validation chose last time
    if "--no-cv" not in argv:
        threshold = choose_threshold(cross_validate(examples))
    meta = write_artifact(fit(examples), threshold)
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    print(f"wrote {MODEL_DIR}: {meta['ngrams']} n-grams, {meta['named_features']} named features,"
          f" threshold {threshold}, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
