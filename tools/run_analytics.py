"""Tool: answer a data question from the warehouse through the semantic layer and the SQL guard."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from tools.analytics import AnalyticsResult
from tools.registry import Tool, ToolContext, ToolOutput, register


class RunAnalyticsArgs(BaseModel):
    question: str = Field(..., min_length=1, description="The data question in the user's words, e.g. 上个月各渠道的GMV.")
    today: date | None = Field(None, description="Reference date for relative times (上个月, 最近7天); default today.")
    sql: str | None = Field(
        None,
        description="Only when the question is outside the KPI layer and was refused: one read-only SELECT over "
        "the warehouse tables. It passes the SQL guard (allow-listed tables, LIMIT, timeout) or is refused.",
    )


def run_analytics(context: ToolContext, args: RunAnalyticsArgs) -> AnalyticsResult:
    from tools.analytics import ask_warehouse, run_guarded_sql

    today = args.today or context.today
    if args.sql:  # model-written SQL: the guard decides; a failure goes back to the model to correct
        result = run_guarded_sql(args.sql, context.settings, question=args.question)
    else:
        result = ask_warehouse(args.question, today=today, settings=context.settings)
    if result.sql:
        context.sql.append(result.sql)
    return result


def _table(columns: list[str], rows: list[list[Any]], limit: int = 20) -> str:
    if not columns:
        return ""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:limit]:
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    if len(rows) > limit:
        lines.append(f"…（共 {len(rows)} 行，只显示前 {limit} 行）")
    return "\n".join(lines)


def _kpi_text(kpi: Any) -> str:
    if isinstance(kpi, str):
        return kpi
    if isinstance(kpi, dict):
        name = kpi.get("name") or kpi.get("name_zh") or ""
        definition = kpi.get("definition") or kpi.get("description") or ""
        return f"{name}：{definition}" if name else str(definition)
    return str(kpi)


class RunAnalyticsTool(Tool[RunAnalyticsArgs, AnalyticsResult]):
    name = "run_analytics"
    description = (
        "Answer a question about the shop's numbers (GMV, orders, conversion, refunds, ads, inventory, "
        "customer service) from the warehouse. Pass the question in words with any follow-up folded in; "
        "returns the table, the SQL, the KPI definitions used and a one-sentence summary."
    )
    args_model = RunAnalyticsArgs
    result_model = AnalyticsResult
    intents = ("analytics",)

    def execute(self, context: ToolContext, args: RunAnalyticsArgs) -> AnalyticsResult:
        return run_analytics(context, args)

    def offline_args(self, message: str, context: ToolContext) -> RunAnalyticsArgs | None:
        return RunAnalyticsArgs(question=message, today=context.today)

    def compose(self, result: AnalyticsResult, context: ToolContext) -> ToolOutput:
        data = result.model_dump(mode="json")
        if result.refused:
            return ToolOutput(f"这个问题我不能执行：{result.reason or '不在允许的查询范围内'}", data=data)
        parts = [result.summary or "查询完成。"]
        table = _table(result.columns, result.rows)
        if table:
            parts.append(table)
        if result.kpis:
            parts.append("口径：" + "；".join(_kpi_text(k) for k in result.kpis))
        if result.sql:
            parts.append(f"SQL：\n```sql\n{result.sql}\n```")
        if result.chart:
            parts.append(f"图表：{result.chart}")
        citations = [{"source": "kpis.yaml", "section": _kpi_text(k).split("：")[0], "quote": _kpi_text(k)[:200]}
                     for k in result.kpis]
        for c in citations:
            context.add_passage(chunk_id=f"kpi:{c['section']}", source="kpis.yaml", section=c["section"], text=c["quote"])
        return ToolOutput("\n\n".join(parts), citations=citations, data=data)


register(RunAnalyticsTool())
