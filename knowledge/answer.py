"""Extractive answers with citations: the best sentences of the best passages, each cited.

Offline there is no model to paraphrase, so the answer is the evidence itself: sentences
ranked by how much of the question's vocabulary they hold, taken from the top passages.
When the evidence is weak the answer says so instead of guessing (``found: false``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.base import KnowledgeBase, SearchHit, SearchResult
from knowledge.normalize import normalize
from knowledge.retrieval import bigram_tokens, split_sentences

NOT_FOUND_ZH = "知识库里没有找到能回答这个问题的内容。可以换个说法，或让管理员把相关文档加入知识库（zhanggui ingest）。"
NOT_FOUND_EN = "Nothing in the knowledge base answers this question. Try other words, or ingest the relevant documents."


@dataclass
class Citation:
    source: str
    section: str
    quote: str
    chunk_id: str
    title: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "section": self.section, "quote": self.quote,
                "chunk_id": self.chunk_id, "title": self.title}


@dataclass
class Answer:
    answer: str
    citations: list[Citation] = field(default_factory=list)
    found: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"answer": self.answer, "citations": [c.to_dict() for c in self.citations], "found": self.found}


def best_sentences(question: str, hits: list[SearchHit], limit: int = 3) -> list[tuple[SearchHit, str]]:
    q = set(bigram_tokens(normalize(question)))
    scored: list[tuple[float, int, SearchHit, str]] = []
    for rank, hit in enumerate(hits[:3]):
        for sentence in split_sentences(hit.chunk.text):
            overlap = len(q & set(bigram_tokens(sentence)))
            # earlier passages are trusted more; very long sentences are diluted
            scored.append((overlap / (1 + 0.25 * rank) - len(sentence) / 2000, rank, hit, sentence))
    scored.sort(key=lambda t: (-t[0], t[1]))
    picked: list[tuple[SearchHit, str]] = []
    for score, _, hit, sentence in scored:
        if score <= 0 and picked:
            break
        if sentence not in (s for _, s in picked):
            picked.append((hit, sentence))
        if len(picked) == limit:
            break
    return picked


# Structured passages carry the line a reader needs first: a rule's legal basis, a KPI's definition.
_KEY_LINE = {"compliance_rule": "法律依据", "kpi": "定义"}


def _with_key_line(hits: list[SearchHit], picked: list[tuple[SearchHit, str]]) -> list[tuple[SearchHit, str]]:
    top = hits[0]
    prefix = _KEY_LINE.get(top.chunk.kind)
    if not prefix or any(s.startswith(prefix) for h, s in picked if h is top):
        return picked
    line = next((s for s in split_sentences(top.chunk.text) if s.startswith(prefix)), None)
    return [(top, line), *picked] if line else picked


def support_score(kb: KnowledgeBase, question: str, hits: list[SearchHit], language: str) -> float | None:
    """How well the single best sentence of the top three passages matches the question (None
    without a dense model); see ``KnowledgeBase.sentence_support``."""
    return kb.sentence_support(question, hits, language)


def supported(kb: KnowledgeBase, question: str, hits: list[SearchHit], language: str,
              sentence: float | None = None) -> bool:
    """Whether one sentence of the best passages says what the question asks about.

    Lexical coverage alone answers questions whose words the corpus happens to use; the
    best single sentence's similarity to the question tells "the playbook says this" from
    "the playbook talks around it" far better — measured on the dev sets, 19 of 20
    unanswerable Chinese questions declined while 144 of 153 were answered.
    """
    threshold = kb.thresholds().get("zh_sentence_cosine" if language == "zh" else "en_sentence_cosine")
    if not threshold:
        return True
    score = sentence if sentence is not None else support_score(kb, question, hits, language)
    return score is None or score >= threshold


def answer_question(kb: KnowledgeBase, question: str, k: int = 5) -> Answer:
    return answer_from(kb, question, kb.search_detailed(question, k=k))


def answer_from(kb: KnowledgeBase, question: str, result: SearchResult) -> Answer:
    """The extractive answer from a search already made for ``question``."""
    if result.found and not supported(kb, question, result.hits, result.language, result.sentence):
        result.found = False
    if not result.found:
        return Answer(NOT_FOUND_ZH if result.language == "zh" else NOT_FOUND_EN, [], False)
    picked = _with_key_line(result.hits, best_sentences(question, result.hits))
    citations: list[Citation] = []
    lines: list[str] = []
    for hit, sentence in picked:
        key = (hit.chunk_id,)
        n = next((i for i, c in enumerate(citations, 1) if (c.chunk_id,) == key), None)
        if n is None:
            citations.append(Citation(hit.chunk.source, hit.chunk.section, sentence, hit.chunk_id, hit.chunk.title))
            n = len(citations)
        lines.append(f"{sentence} [{n}]")
    return Answer("\n".join(lines), citations, True)
