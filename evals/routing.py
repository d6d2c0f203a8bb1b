"""Offline routing accuracy on the labelled intents dev set (evals/datasets/intents.jsonl)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from agent.router import route

DATASET = Path(__file__).resolve().parent / "datasets" / "intents.jsonl"
# Written after the router was tuned on DATASET and never used to tune it: an honest figure.
HOLDOUT = Path(__file__).resolve().parent / "datasets" / "intents_holdout.jsonl"
# Fresh batches written later, each scored before the router was changed for it.
BLIND = Path(__file__).resolve().parent / "datasets" / "intents_blind.jsonl"


def load_cases(path: Path = DATASET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(bench: bool = False) -> dict:
    """Score the router; with ``bench``, also its p50 latency per message."""
    cases = load_cases()
    wrong: list[tuple[str, str, str]] = []
    per_intent: Counter[str] = Counter()
    per_intent_ok: Counter[str] = Counter()
    for case in cases:
        got = route(case["text"], case.get("last_intent")).intent
        per_intent[case["intent"]] += 1
        if got == case["intent"]:
            per_intent_ok[case["intent"]] += 1
        else:
            wrong.append((case["id"], case["intent"], got))
    accuracy = 1 - len(wrong) / len(cases)
    holdout = load_cases(HOLDOUT)
    holdout_wrong = [(c["id"], c["intent"], got) for c in holdout
                     if (got := route(c["text"], c.get("last_intent")).intent) != c["intent"]]
    blind = load_cases(BLIND) if BLIND.exists() else []
    blind_wrong = [(c["id"], c["intent"], got) for c in blind
                   if (got := route(c["text"], c.get("last_intent")).intent) != c["intent"]]
    figures: dict = {"routing_cases": len(cases), "routing_accuracy": round(accuracy, 3),
                     "routing_followup_cases": sum(1 for c in cases if c.get("last_intent")),
                     "routing_holdout_cases": len(holdout),
                     "routing_holdout_accuracy": round(1 - len(holdout_wrong) / len(holdout), 3)}
    if blind:
        figures["routing_blind_cases"] = len(blind)
        figures["routing_blind_accuracy"] = round(1 - len(blind_wrong) / len(blind), 3)
    for intent in sorted(per_intent):
        figures[f"routing_accuracy_{intent}"] = round(per_intent_ok[intent] / per_intent[intent], 3)
    if bench:
        timings = []
        for case in cases * 5:
            start = time.perf_counter()
            route(case["text"], case.get("last_intent"))
            timings.append((time.perf_counter() - start) * 1000)
        figures["routing_p50_ms"] = round(sorted(timings)[len(timings) // 2], 3)
    print(f"{'figure':<36}value")
    for key, value in figures.items():
        print(f"{key:<36}{value}")
    for case_id, want, got in wrong + holdout_wrong + blind_wrong:
        print(f"  miss {case_id}: want {want}, got {got}")
    figures["misses"] = [f"{i}:{w}->{g}" for i, w, g in wrong + holdout_wrong + blind_wrong]
    return figures


if __name__ == "__main__":
    run(bench=True)
