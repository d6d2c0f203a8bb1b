"""Tool: search the knowledge base (playbooks, shop policies, KPI definitions, compliance rules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from agent.settings import Settings
from tools.registry import Tool, ToolContext, ToolOutput, register

_KB_CACHE: dict[tuple[str, str | None, str], Any] = {}
# The knowledge base keeps a SQLite connection that only its creating thread may use, while
# requests arrive on many threads (HTTP workers, the tool-calling loop). Every use of a base
# therefore runs on this one thread; a search takes milliseconds, so requests barely queue.
_KB_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zhanggui-kb")

T = TypeVar("T")


def _key(settings: Settings) -> tuple[str, str | None, str]:
    return (str(settings.home.resolve()), settings.chroma_url, settings.embedder)


def with_knowledge_base(settings: Settings, fn: Callable[[Any], T]) -> T:
    """Run ``fn(kb)`` with the loaded KnowledgeBase for these settings, on the knowledge-base thread."""

    def job() -> T:
        from knowledge.base import KnowledgeBase

        key = _key(settings)
        if key not in _KB_CACHE:
            _KB_CACHE[key] = KnowledgeBase.from_settings(settings)
        return fn(_KB_CACHE[key])

    return _KB_THREAD.submit(job).result()


def forget_knowledge_bases() -> None:
    """Drop loaded bases (after a re-ingest, or between tests)."""
    _KB_THREAD.submit(_KB_CACHE.clear).result()


# The request around the substance ("客户问…，怎么回?"): searched without it, the words of
# the customer's question decide the ranking.
_WRAPPER = re.compile(
    r"^(?:请问|帮我|麻烦)?(?:客户|顾客|买家|消费者|客人)(?:问|说|发来|咨询|要求|反映)[:：]?|"
    r"[，,。]?\s*(?:我)?(?:该|应该)?(?:怎么|如何)(?:回复?|答复|回答|处理|安抚)[?？。]*$|[，,。]?\s*帮我回复一下[?？。]*$",
)


class SearchKnowledgeArgs(BaseModel):
    query: str = Field(..., min_length=1, description="The question or keywords, in the user's words.")
    k: int = Field(5, ge=1, le=20, description="How many passages to return.")
    with_answer: bool = Field(False, description="Also compose an extractive answer with citations.")


class KnowledgePassage(BaseModel):
    ref: str = Field(..., description="Reference to cite in an answer, e.g. S1.")
    text: str
    source: str
    title: str = ""
    section: str = ""
    section_title: str = ""
    score: float = 0.0
    chunk_id: str = ""


class SearchKnowledgeResult(BaseModel):
    query: str
    passages: list[KnowledgePassage]
    answer: str | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list)
    found: bool = False


def search_knowledge(context: ToolContext, args: SearchKnowledgeArgs) -> SearchKnowledgeResult:
    """Retrieve passages (and, when asked, the offline extractive answer) for a question."""
    def run(kb):  # type: ignore[no-untyped-def]
        from knowledge.answer import answer_from

        found = kb.search_detailed(args.query, k=args.k)
        hits = list(found.hits)  # the answer step may mark the result declined, never drops hits
        return hits, (answer_from(kb, args.query, found).to_dict() if args.with_answer else None)

    hits, answer = with_knowledge_base(context.settings, run)
    passages = []
    for hit in hits:
        h = hit.to_dict()
        p = context.add_passage(chunk_id=h.get("chunk_id", ""), source=h.get("source", ""),
                                section=h.get("section", ""), text=h.get("text", ""),
                                title=h.get("title", ""), section_title=h.get("section_title", ""))
        passages.append(KnowledgePassage(ref=p.ref, text=h.get("text", ""), source=h.get("source", ""),
                                         title=h.get("title", ""), section=h.get("section", ""),
                                         section_title=h.get("section_title", ""),
                                         score=float(h.get("score") or 0.0), chunk_id=h.get("chunk_id", "")))
    result = SearchKnowledgeResult(query=args.query, passages=passages, found=bool(passages))
    if answer is not None:
        # The answer's own evidence counts as retrieved: it was read from the index just now.
        for cite in answer.get("citations", []):
            hit = next((p for p in passages if p.chunk_id and p.chunk_id == cite.get("chunk_id")), None)
            if hit is None and cite.get("chunk_id"):
                context.add_passage(chunk_id=cite["chunk_id"], source=cite.get("source", ""),
                                    section=cite.get("section", ""), text=cite.get("quote", ""))
        result.answer = answer.get("answer")
        result.citations = answer.get("citations", [])
        result.found = bool(answer.get("found"))
    return result


class SearchKnowledgeTool(Tool[SearchKnowledgeArgs, SearchKnowledgeResult]):
    name = "search_knowledge"
    description = (
        "Search the shop's knowledge base: operating playbooks (双十一, 私域, growth, livestream), "
        "customer-service policies, KPI definitions and advertising-compliance rules with their legal basis. "
        "Returns passages with references (S1, S2…) to cite."
    )
    args_model = SearchKnowledgeArgs
    result_model = SearchKnowledgeResult
    intents = ("knowledge",)
    fallback_intents = ("cs_reply", "copy", "campaign_plan")

    def execute(self, context: ToolContext, args: SearchKnowledgeArgs) -> SearchKnowledgeResult:
        return search_knowledge(context, args)

    def offline_args(self, message: str, context: ToolContext) -> SearchKnowledgeArgs | None:
        query = _WRAPPER.sub("", message).strip(" ，,。:：") or message
        return SearchKnowledgeArgs(query=query, k=5, with_answer=True)

    def compose(self, result: SearchKnowledgeResult, context: ToolContext) -> ToolOutput:
        data = result.model_dump(mode="json")
        if not result.found or not result.answer:
            return ToolOutput("知识库里没有找到足够可靠的依据，我不猜测。可以换个说法，或补充更具体的关键词。", data=data)
        lines = [result.answer.strip()]
        if result.citations:
            lines.append("")
            lines.append("来源：")
            for i, c in enumerate(result.citations, 1):
                section = f" §{c['section']}" if c.get("section") else ""
                lines.append(f"[{i}] {c.get('source', '')}{section}")
        return ToolOutput("\n".join(lines), citations=list(result.citations), data=data)


register(SearchKnowledgeTool())
