"""The citation check: a reply may only cite passages retrieved while answering it.

Offline answers carry structured citations; a model's answer cites passages by the
references the tools gave them (``[S1]``). Either way, a citation that points at nothing
retrieved in this request is dropped, and a model's reference to it is removed from the text.
"""

from __future__ import annotations

import re
from typing import Any

from tools.registry import Passage

_REF = re.compile(r"\[\s*(S\d+)\s*\]")
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub("", text or "")


def _matches(citation: dict[str, Any], passage: Passage) -> bool:
    chunk_id = citation.get("chunk_id")
    if chunk_id:
        return chunk_id == passage.chunk_id
    if citation.get("source") != passage.source:
        return False
    if citation.get("section") and passage.section and citation["section"] != passage.section:
        return False
    quote = _squash(citation.get("quote", ""))
    return not quote or quote in _squash(passage.text) or _squash(passage.text) in quote


def check_citations(citations: list[dict[str, Any]], passages: dict[str, Passage]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split citations into (kept, dropped) by whether a retrieved passage backs them."""
    kept, dropped = [], []
    for citation in citations:
        (kept if any(_matches(citation, p) for p in passages.values()) else dropped).append(citation)
    return kept, dropped


def resolve_refs(text: str, passages: dict[str, Passage]) -> tuple[str, list[dict[str, Any]], list[str]]:
    """Turn a model's ``[S1]`` references into numbered citations; remove unknown ones.

    Returns the text with references renumbered ``[1]``, ``[2]`` in order of first use, the
    structured citations, and the references that were dropped.
    """
    order: dict[str, int] = {}
    dropped: list[str] = []

    def sub(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref not in passages:
            dropped.append(ref)
            return ""
        order.setdefault(ref, len(order) + 1)
        return f"[{order[ref]}]"

    new_text = _REF.sub(sub, text)
    citations = []
    for ref, number in order.items():
        p = passages[ref]
        citations.append({"number": number, "source": p.source, "section": p.section, "title": p.title,
                          "quote": p.text[:200], "chunk_id": p.chunk_id})
    return new_text, citations, dropped


def sources_footer(citations: list[dict[str, Any]]) -> str:
    """A short "来源" block listing citations for the text of a reply."""
    if not citations:
        return ""
    lines = ["来源："]
    for i, c in enumerate(citations, 1):
        number = c.get("number", i)
        section = f" §{c['section']}" if c.get("section") else ""
        lines.append(f"[{number}] {c.get('source', '')}{section}")
    return "\n".join(lines)
