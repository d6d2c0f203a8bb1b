"""Ask the warehouse: question → SemanticQuery → guarded SQL → rows, KPI definitions, summary, chart.

``ask_warehouse`` is the offline path (the deterministic parser fills the SemanticQuery);
``run_guarded_sql`` is the path for SQL written elsewhere (an LLM), with up to three
corrections fed the error. Both return ``AnalyticsResult``, whose ``model_dump()`` is the
JSON of ``zhanggui sql --json``. Refusals come back as ``refused=True`` with the reason;
a warehouse that cannot be reached raises BackendError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.errors import BackendError, InputError, NotFoundError, RefusedError
from agent.settings import Settings, get_settings
from knowledge.kpis import KpiDefinition, SemanticLayer, load_semantic_layer
from tools.question_parser import parse_question
from tools.semantic import SemanticQuery, compile_query, normalize_dialect
from tools.sql_guard import guard_sql
from tools.warehouse import DEFAULT_TIMEOUT_S, open_runner, warehouse_target

MAX_CORRECTIONS = 3


class AnalyticsResult(BaseModel):
    """One answer from the warehouse, or a refusal with its reason."""

    question: str
    semantic_query: dict[str, Any] | None = None
    sql: str | None = None
    dialect: str | None = None
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    kpis: list[dict[str, str]] = Field(default_factory=list)
    summary: str | None = None
    chart: str | None = None
    refused: bool = False
    reason: str | None = None


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 6)
    return v


def format_value(v: Any, kpi: KpiDefinition | None) -> str:
    """A number the way a Chinese ops report writes it (元, %, 倍, 秒)."""
    if v is None:
        return "无数据"
    if not isinstance(v, (int, float)) or kpi is None:
        return str(v)
    return {"money": f"{v:,.2f} 元", "ratio": f"{v * 100:.2f}%", "count": f"{v:,.0f}", "multiple": f"{v:.2f} 倍",
            "seconds": f"{v:.1f} 秒", "points": f"{v:.1f} 分"}.get(kpi.format, f"{v:,.2f}")


def _summary(sq: SemanticQuery, layer: SemanticLayer, columns: list[str], rows: list[list[Any]]) -> str:
    tr = sq.time_range
    label = tr.label if tr.label and not tr.label.isascii() else ""
    when = f"{label}（{tr.start} 至 {tr.end - dt.timedelta(days=1)}）" if tr.end > tr.start else label
    kpis = [layer.kpi(m) for m in sq.metrics]
    col = {c: i for i, c in enumerate(columns)}
    if not rows:
        return f"{when}没有查到符合条件的数据。"
    if not sq.dimensions:
        parts = []
        for k in kpis:
            text = f"{k.name}为 {format_value(rows[0][col[k.id]], k)}"
            if f"{k.id}_per_day" in col and rows[0][col[f"{k.id}_per_day"]] is not None:
                text += f"，日均 {format_value(rows[0][col[f'{k.id}_per_day']], k)}"
            share = rows[0][col[f"{k.id}_share"]] if f"{k.id}_share" in col else None
            if isinstance(share, (int, float)):
                text += f"，占全店的 {share * 100:.2f}%"
            if sq.comparison and f"{k.id}_growth" in col:
                g = rows[0][col[f"{k.id}_growth"]]
                prev = rows[0][col[f"{k.id}_previous"]]
                if g is not None:
                    text += f"，对比{sq.comparison.previous.label or '上期'}（{format_value(prev, k)}）" \
                            f"{'增长' if g >= 0 else '下降'} {abs(g) * 100:.2f}%"
            parts.append(text)
        return f"{when}{'，'.join(parts)}。"
    dims = "、".join(layer.dimensions[d].name for d in sq.dimensions)
    k = kpis[0]
    order_col = sq.order_by[0].field if sq.order_by else k.id
    first = rows[0]
    label = " / ".join(str(first[col[d]]) for d in sq.dimensions)
    if sq.order_by:
        field = sq.order_by[0].field
        base, _, suffix = field.rpartition("_")
        base_kpi = layer.kpi(base) if suffix in ("growth", "change", "share") and base in sq.metrics else layer.kpi(
            field) if field in sq.metrics else k
        v = first[col[field]] if field in col else None
        shown = f"{v * 100:.2f}%" if suffix in ("growth", "share") and isinstance(v, (int, float)) else \
            format_value(v, base_kpi)
        what = base_kpi.name + ({"growth": "增长率", "change": "变化", "share": "占比"}.get(suffix, "")
                                if base_kpi.id != field else "")
        head = "排名第一" if sq.order_by[0].descending else "排在最前"
        return f"{when}按{dims}看{what}，{head}的是{label}（{shown}），共 {len(rows)} 行。"
    if any(layer.dimensions[d].grain for d in sq.dimensions):
        values = [r[col[k.id]] for r in rows if isinstance(r[col[k.id]], (int, float))]
        if values and k.format in ("money", "count"):
            return f"{when}按{dims}列出{k.name}，共 {len(rows)} 个时间点，合计 {format_value(sum(values), k)}。"
        return f"{when}按{dims}列出{k.name}，共 {len(rows)} 个时间点。"
    return f"{when}按{dims}统计{k.name}，共 {len(rows)} 行，{label}最高（{format_value(first[col[k.id]], k)}）。"


def _refused(question: str, exc: Exception) -> AnalyticsResult:
    reason = getattr(exc, "message", str(exc))
    hint = getattr(exc, "hint", None)
    return AnalyticsResult(question=question, refused=True, reason=f"{reason}（{hint}）" if hint else reason)


def ask_warehouse(question: str, *, today: dt.date | None = None, settings: Settings | None = None,
                  dialect: str | None = None, chart_dir: Path | None = None,
                  timeout_s: float = DEFAULT_TIMEOUT_S) -> AnalyticsResult:
    """Answer a data question from the warehouse through the semantic layer and the SQL guard."""
    settings = settings or get_settings()
    today = today or dt.date.today()
    if question and len(question) > settings.max_message_chars:
        return _refused(question[:200], InputError(
            f"问题太长（{len(question)} 字），最多 {settings.max_message_chars} 字", hint="请只问一个数据问题"))
    layer = load_semantic_layer()
    target = warehouse_target(settings)
    shown_dialect = normalize_dialect(dialect or target.dialect)
    try:
        sq = parse_question(question, today, layer)
        run_sql = guard_sql(compile_query(sq, target.dialect, layer, pretty=False), target.dialect)
        shown_sql = compile_query(sq, shown_dialect, layer)
        shown_sql = guard_sql(shown_sql, shown_dialect) if shown_dialect == target.dialect else shown_sql
    except (InputError, RefusedError, NotFoundError) as exc:
        return _refused(question, exc)
    runner = open_runner(settings)
    try:
        result = runner.run(run_sql, timeout_s=timeout_s)
    finally:
        runner.close()
    rows = [[_plain(v) for v in r] for r in result.rows]
    kpis = [{"id": k.id, "name": k.name, "name_en": k.name_en, "definition": k.describe()}
            for k in (layer.kpi(m) for m in sq.metrics)]
    chart = None
    if sq.dimensions and len(rows) >= 2:
        from tools.charts import render_chart

        labels = {d: layer.dimensions[d].name for d in sq.dimensions}
        labels.update({k.id: f"{k.name}（{k.unit}）" for k in (layer.kpi(m) for m in sq.metrics)})
        time_dims = {d for d in sq.dimensions if layer.dimensions[d].grain}
        cols = [sq.dimensions[0], *[c for c in result.columns if c not in sq.dimensions]]
        idx = [result.columns.index(c) for c in cols]
        metric_kpis = [layer.kpi(m) for m in sq.metrics]
        path = render_chart(cols, [[r[i] for i in idx] for r in rows], title=question[:40], labels=labels,
                            time_dims=time_dims, out_dir=chart_dir or Path(settings.home) / "charts",
                            metrics=[k.id for k in metric_kpis],
                            percent={k.id for k in metric_kpis if k.unit in ("%", "％")})
        chart = str(path) if path else None
    summary = _summary(sq, layer, result.columns, rows)
    if sq.notes:
        summary += "（" + "；".join(sq.notes) + "）"
    return AnalyticsResult(question=question, semantic_query=sq.model_dump(mode="json"), sql=shown_sql,
                           dialect=shown_dialect, columns=result.columns, rows=rows, kpis=kpis, summary=summary,
                           chart=chart)


def run_guarded_sql(sql: str, settings: Settings | None = None, *, question: str = "",
                    correct: Callable[[str, str], str] | None = None,
                    timeout_s: float = DEFAULT_TIMEOUT_S) -> AnalyticsResult:
    """Guard and run SQL written outside the semantic layer; a failing statement gets up to three
    corrections from ``correct(sql, error)``. Never raises for a bad statement: it is refused."""
    settings = settings or get_settings()
    target = warehouse_target(settings)
    error = ""
    for attempt in range(MAX_CORRECTIONS + 1):
        if attempt:
            if correct is None:
                break
            sql = correct(sql, error)
        try:
            guarded = guard_sql(sql, target.dialect)
        except RefusedError as exc:
            error = exc.message
            continue
        runner = open_runner(settings)
        try:
            result = runner.run(guarded, timeout_s=timeout_s)
        except BackendError as exc:
            error = exc.message
            if "cannot connect" in exc.message or "took longer" in exc.message:
                raise
            continue
        finally:
            runner.close()
        rows = [[_plain(v) for v in r] for r in result.rows]
        return AnalyticsResult(question=question, sql=guarded, dialect=target.dialect, columns=result.columns,
                               rows=rows, summary=f"查询返回 {len(rows)} 行（非口径库指标，口径以 SQL 为准）。")
    return AnalyticsResult(question=question, sql=sql, dialect=target.dialect, refused=True,
                           reason=f"SQL 无法安全执行：{error}")
