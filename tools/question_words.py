"""Smaller readings of the offline parser that rewrite the metric list or the thresholds.

Each reads its words from ``kpis.yaml`` (``value_aliases``): the parser calls them once the
metric words have been scanned.
"""

from __future__ import annotations

import re

from knowledge.kpis import SemanticLayer

_LIST_SEP = r"(?:[、,，;；/]|和|及|以及|还有|跟|与|\band\b)"


def unpaid_included(metrics: list[str], text: str, layer: SemanticLayer) -> list[str]:
    """"下了多少单（不管付没付款）", "没付款的也算": orders and amounts counted when placed, paid or not."""
    words = layer.value_aliases.get("unpaid_included", {}).get("words", [])
    if not any(w.lower() in text for w in words):
        return metrics
    swap = {k: v[0] for k, v in layer.value_aliases.get("placed_instead", {}).items() if v}
    return list(dict.fromkeys(swap.get(m, m) for m in metrics))


def listed_metrics(metrics: list[str], spans: list[tuple[int, int]], text: str, layer: SemanticLayer) -> list[str]:
    """"卖了多少钱、多少件", "多少单、多少钱": a bare amount word listed after a metric asks for a second metric.

    The words (``value_aliases.metric_listed``) count only right after a list separator that follows
    an already-read metric, so "退了多少钱" alone stays a refund amount."""
    if not metrics or not spans:
        return metrics
    first = min(s for s, _ in spans)
    out = list(metrics)
    for kpi, words in layer.value_aliases.get("metric_listed", {}).items():
        for w in words:
            for m in re.finditer(rf"{_LIST_SEP}\s*(?:又|再|一共|总共|共)?\s*{re.escape(w.lower())}", text):
                start = m.end() - len(w)
                inside = any(s <= start < e for s, e in spans)
                if m.start() > first and not inside and kpi not in out:
                    out.append(kpi)
    return out


def inverted_exclusions(text: str, op_span: tuple[int, int], op: str) -> str:
    """"买家不到30人的省份不算": rows under the threshold are left out, so the kept rows are the opposite."""
    after = text[op_span[1]:op_span[1] + 16]
    if re.match(r"[^，。,;；?？]{0,10}?(?:不算|不计|不统计|不看|除外|排除|剔除|去掉|不要)", after):
        return {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}[op]
    return op


def counted_noun(text: str, op_span: tuple[int, int], layer: SemanticLayer) -> str | None:
    """The count a threshold is on when a noun names it: "买家不到30人" (buyers), "至少接待50个售前会话" (sessions),
    "at least 30 reviews" (``value_aliases.threshold_nouns``: KPI → nouns)."""
    before, after = text[max(0, op_span[0] - 4):op_span[0]], text[op_span[1]:op_span[1] + 8]
    for kpi, nouns in layer.value_aliases.get("threshold_nouns", {}).items():
        for noun in nouns:
            n = re.escape(noun.lower())
            if re.search(rf"{n}\s*$", before) or re.match(rf"\s*(?:个|位|名|条|次|人)?\s*(?:\S{{0,3}}?){n}", after):
                return kpi
    return None
