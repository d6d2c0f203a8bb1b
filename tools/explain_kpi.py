"""Tool: explain a KPI by the team's own definition (knowledge/corpus/kpis.yaml)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from tools.registry import Tool, ToolContext, ToolOutput, register

# Questions that ask what a KPI *is*, not what its value was.
_DEFINITION = re.compile(r"什么是|是什么|什么意思|怎么算|如何计算|怎么计算|公式|定义|口径|指的是|含义|what is|definition|how is|define|meaning", re.I)


class ExplainKpiArgs(BaseModel):
    name: str = Field(..., min_length=1, description="KPI name or alias, Chinese or English (复购率, GMV, conversion rate).")


class ExplainKpiResult(BaseModel):
    found: bool
    query: str
    ref: str = Field("", description="Reference to cite in an answer, e.g. S1.")
    name: str = ""
    section: str = ""
    description: str = ""
    definition: dict[str, Any] = Field(default_factory=dict)


def _kpi_dict(kpi: Any) -> dict[str, Any]:
    if hasattr(kpi, "model_dump"):
        return kpi.model_dump(mode="json")
    if hasattr(kpi, "__dict__"):
        return {k: v for k, v in vars(kpi).items() if not k.startswith("_")}
    return {}


def _kpi_names(kpi: Any) -> list[str]:
    names = [getattr(kpi, attr, None) for attr in ("name", "name_zh", "name_en", "id")]
    names += list(getattr(kpi, "aliases", None) or [])
    return [n for n in names if isinstance(n, str) and n]


def find_in_text(text: str) -> Any | None:
    """The KPI a message names: the longest name or alias occurring in it."""
    from knowledge.kpis import find_kpi, load_kpis

    try:
        kpi = find_kpi(text)
    except Exception:  # find_kpi may insist on an exact name; fall back to scanning below
        kpi = None
    if kpi is not None:
        return kpi
    lowered = text.lower()
    best: tuple[int, Any] | None = None
    for candidate in load_kpis():
        for alias in _kpi_names(candidate):
            if alias.lower() in lowered and (best is None or len(alias) > best[0]):
                best = (len(alias), candidate)
    return best[1] if best else None


def explain_kpi(context: ToolContext, args: ExplainKpiArgs) -> ExplainKpiResult:
    kpi = find_in_text(args.name)
    if kpi is None:
        return ExplainKpiResult(found=False, query=args.name)
    describe = kpi.describe() if hasattr(kpi, "describe") else str(kpi)
    names = _kpi_names(kpi)
    name = names[0] if names else args.name
    section = str(getattr(kpi, "id", "") or name)  # the knowledge base cites a KPI by its id
    # The definition file is what this answer cites; record it as read for the citation check.
    passage = context.add_passage(chunk_id=f"kpi:{section}", source="kpis.yaml", section=section, text=describe)
    return ExplainKpiResult(found=True, query=args.name, ref=passage.ref, name=name, section=section,
                            description=describe, definition=_kpi_dict(kpi))


class ExplainKpiTool(Tool[ExplainKpiArgs, ExplainKpiResult]):
    name = "explain_kpi"
    description = (
        "Explain a KPI by the team's definition: names, definition, formula in words, unit and pitfalls. "
        "Use for 'what is / how is it calculated' questions; use run_analytics for its value."
    )
    args_model = ExplainKpiArgs
    result_model = ExplainKpiResult
    intents = ("knowledge",)
    priority = 10  # a definition question is answered from the KPI file before a free search

    def execute(self, context: ToolContext, args: ExplainKpiArgs) -> ExplainKpiResult:
        return explain_kpi(context, args)

    def offline_args(self, message: str, context: ToolContext) -> ExplainKpiArgs | None:
        if not _DEFINITION.search(message) and len(message) > 12:
            return None
        try:
            kpi = find_in_text(message)
        except Exception:  # no KPI file yet: let the knowledge search answer
            return None
        return ExplainKpiArgs(name=message) if kpi is not None else None

    def compose(self, result: ExplainKpiResult, context: ToolContext) -> ToolOutput:
        data = result.model_dump(mode="json")
        if not result.found:
            return ToolOutput(f"没有找到名为“{result.query}”的指标定义。", data=data)
        citation = {"source": "kpis.yaml", "section": result.section, "title": result.name,
                    "quote": result.description[:200]}
        return ToolOutput(f"{result.description}\n\n来源：[1] kpis.yaml §{result.section} {result.name}",
                          citations=[citation], data=data)


register(ExplainKpiTool())
