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

from tools.compliance_model import MODEL_DIR, NONE, ClauseModel, clause_features, split_clauses
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
# (rule engine plus classifier) stays at or under this
MAX_FLAGGED = 0.05

Span = tuple[int, int, str]  # start, end (original offsets), category


@dataclass
class TextExamples:
    case: dict[str, Any]
    spans: list[tuple[int, int]]  # original offsets of each clause
    features: list[list[str]]
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
        case, spans, [sorted(f) for f in clause_features(clauses, case.get("category"), MAX_N)],
        [_label(s, e, labels) for s, e in spans],
    )


def _matrix(features: list[list[str]], index: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for r, feats in enumerate(features):
        weight = 1.0 / np.sqrt(len(feats)) if feats else 0.0
        for f in feats:
            if f in index:
                rows.append(r)
                cols.append(index[f])
                vals.append(weight)
    return csr_matrix((vals, (rows, cols)), shape=(len(features), len(index)), dtype=np.float64)


def _vocabulary(features: list[list[str]]) -> dict[str, int]:
    df = Counter(f for feats in features for f in feats)
    kept = sorted(f for f, n in df.items() if n >= MIN_DF)
    return {f: i for i, f in enumerate(kept)}


def fit(examples: Sequence[TextExamples]) -> tuple[ClauseModel, np.ndarray]:
    """Fit on the examples; returns the model (unpruned) and the full weight matrix."""
    from sklearn.linear_model import LogisticRegression

    features = [f for ex in examples for f in ex.features]
    labels = [y for ex in examples for y in ex.labels]
    index = _vocabulary(features)
    clf = LogisticRegression(C=C, max_iter=3000, tol=1e-5)
    clf.fit(_matrix(features, index), labels)
    weights = clf.coef_.T.astype(np.float32)
    model = ClauseModel(index, weights, clf.intercept_.astype(np.float32), tuple(clf.classes_), 0.5, MAX_N)
    return model, weights


def predict(model: ClauseModel, ex: TextExamples, threshold: float) -> list[Span]:
    if not ex.features:
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
        model, _ = fit([ex for i, ex in enumerate(examples) if _fold_of(ex.case["id"]) != fold])
        for i in test:
            ex = examples[i]
            if ex.features:
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


def prune(model: ClauseModel, keep: int = KEEP_FEATURES) -> tuple[list[str], np.ndarray]:
    """The ``keep`` features with the largest weights (ties by name), in name order."""
    names = sorted(model.index, key=model.index.__getitem__)
    strength = np.abs(model.weights).max(axis=1)
    order = sorted(range(len(names)), key=lambda i: (-round(float(strength[i]), 6), names[i]))[:keep]
    order.sort(key=lambda i: names[i])
    return [names[i] for i in order], model.weights[order]


def write_artifact(model: ClauseModel, threshold: float, out_dir: Path = MODEL_DIR) -> dict[str, Any]:
    names, weights = prune(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    scale = float(np.abs(weights).max()) / 127.0
    packed = np.round(weights / scale).astype(np.int8)
    np.save(out_dir / "weights.npy", packed, allow_pickle=False)
    (out_dir / "vocab.txt").write_text("\n".join(names), encoding="utf-8")
    meta = {
        "about": "compliance clause classifier; rebuild with python -m tools.compliance_train",
        "classes": list(model.classes), "bias": [round(float(b), 6) for b in model.bias],
        "scale": scale, "threshold": threshold, "max_n": MAX_N, "features": len(names),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    examples = [examples_of(c) for c in load_cases()]
    labels = Counter(y for ex in examples for y in ex.labels)
    print(f"{len(examples)} texts, {sum(labels.values())} clauses: {dict(sorted(labels.items()))}")
    threshold = 0.6
    if "--no-cv" not in argv:
        threshold = choose_threshold(cross_validate(examples))
    model, _ = fit(examples)
    meta = write_artifact(model, threshold)
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    print(f"wrote {MODEL_DIR}: {meta['features']} features, threshold {threshold}, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
