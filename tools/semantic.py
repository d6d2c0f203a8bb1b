"""``SemanticQuery`` (what a question asks) and its compiler to SQL for any sqlglot dialect.

The compiler reads the semantic layer in ``knowledge/corpus/kpis.yaml``: each KPI expression
names measures, each measure belongs to a source (a fact table with its time column and
join keys). One CTE per source aggregates its measures at the requested dimensions inside
the half-open time range; the CTEs are joined on the dimensions and the KPI expressions are
computed from the sums, so every ratio is a ratio of sums. SQL is written once in PostgreSQL
style and transpiled by sqlglot; dates are literals, never the clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Literal

import sqlglot
from pydantic import BaseModel, Field

from agent.errors import InputError
from knowledge.kpis import KpiDefinition, SemanticLayer, load_semantic_layer

DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres", "mysql": "mysql",
            "mariadb": "mysql", "sqlite": "sqlite", "snowflake": "snowflake", "bigquery": "bigquery",
            "clickhouse": "clickhouse", "hive": "hive", "spark": "spark", "trino": "trino", "tsql": "tsql"}
# One step of each time grain as (months, days): 环比 inside a per-period list compares each row with the step before.
GRAIN_STEPS = {"day": (0, 1), "week": (0, 7), "month": (1, 0), "quarter": (3, 0), "year": (12, 0)}
_GRAIN_SQL = {"day": "CAST({t} AS DATE)", "week": "CAST(DATE_TRUNC('week', {t}) AS DATE)",
              "month": "CAST(DATE_TRUNC('month', {t}) AS DATE)",
              "quarter": "CAST(DATE_TRUNC('quarter', {t}) AS DATE)", "year": "CAST(DATE_TRUNC('year', {t}) AS DATE)"}


class TimeRange(BaseModel):
    """Half-open date range [start, end)."""

    start: dt.date
    end: dt.date = Field(description="exclusive end date")
    label: str = ""
    key: str = Field("", description="the campaign id when the range is a campaign's window")

    @property
    def days(self) -> int:
        return (self.end - self.start).days


class Filter(BaseModel):
    dimension: str = Field(description="dimension id, e.g. channel, category_l1, province")
    values: list[str] = Field(min_length=1, description="dimension values as stored, e.g. 抖音, 护肤, 广东")
    negate: bool = False
    op: Literal["in", ">", ">=", "<", "<="] = Field(
        "in", description="'in' for values; a comparison for a numeric row field such as order_amount (one value)")


class Threshold(BaseModel):
    metric: str = Field(description="a KPI id also listed in metrics")
    op: Literal[">", ">=", "<", "<=", "=", "!="]
    value: float


class Comparison(BaseModel):
    kind: Literal["mom", "yoy", "custom"] = Field(description="mom=环比, yoy=同比, custom=another period")
    previous: TimeRange


class OrderBy(BaseModel):
    field: str = Field(description="an output column: KPI id, <kpi>_growth, <kpi>_change or a dimension id")
    descending: bool = True
    nulls_first: bool = False


class SemanticQuery(BaseModel):
    """A question as the semantic layer understands it; an LLM can fill this schema too."""

    metrics: list[str] = Field(min_length=1, description="KPI ids from kpis.yaml, e.g. gmv, conversion_rate")
    dimensions: list[str] = Field(default_factory=list, description="dimension ids: channel, province, month ...")
    filters: list[Filter] = Field(default_factory=list)
    time_range: TimeRange
    comparison: Comparison | None = None
    periods: list[TimeRange] = Field(default_factory=list, description="rows per period instead of one time range: "
                                     "each period's rows, labelled (2024双十一 and 2025双十一 side by side)")
    thresholds: list[Threshold] = Field(default_factory=list)
    order_by: list[OrderBy] = Field(default_factory=list)
    limit: int | None = Field(None, ge=1, le=10000)
    params: dict[str, int] = Field(default_factory=dict, description="cohort parameters: n (days), h (days), k (months); "
                                   "k_last asks for one row per month from k to k_last")
    share: bool = Field(False, description="add each row's share of the column total for the first metric")
    share_of_total: bool = Field(False, description="with share: the filters pick rows after the share of the "
                                 "unfiltered total is computed (抖音占全店GMV的比例)")
    combine: bool = Field(False, description="with share_of_total: the picked rows add up to one row "
                          "(金卡和黑金会员合计占全店GMV的比例)")
    per_day: bool = Field(False, description="also output each money/count metric per calendar day of the range (日均)")
    notes: list[str] = Field(default_factory=list, description="assumptions stated to the user")


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _date(d: dt.date) -> str:
    return f"DATE '{d.isoformat()}'"


class _Compiler:
    def __init__(self, sq: SemanticQuery, layer: SemanticLayer) -> None:
        self.sq, self.layer = sq, layer
        unknown = [m for m in sq.metrics if m not in {k.id for k in layer.kpis}]
        if unknown:
            raise InputError(f"unknown metric {', '.join(unknown)}", hint="see knowledge/corpus/kpis.yaml for KPI ids")
        for d in [*sq.dimensions, *(f.dimension for f in sq.filters)]:
            if d not in layer.dimensions:
                raise InputError(f"unknown dimension {d!r}")
        self.post_filters: list[Filter] = []
        self.exact: dict[str, int] = {}  # KPI id → the digits it is rounded to, when its exact value is kept too
        if sq.share and sq.share_of_total:
            # The share is of the unfiltered total: break down by the filtered dimensions, pick the rows afterwards.
            moved = [f for f in sq.filters if not layer.dimensions[f.dimension].grain and f.op == "in"]
            dims = list(dict.fromkeys([*sq.dimensions, *(f.dimension for f in moved)]))
            self.sq = sq = sq.model_copy(update={"dimensions": dims, "filters": [f for f in sq.filters if f not in moved]})
            self.post_filters = moved
        self.kpis: list[KpiDefinition] = [layer.kpi(m) for m in sq.metrics]
        keys = {layer.dimensions[d].key for d in [*sq.dimensions, *(f.dimension for f in sq.filters)]}
        self.variant = "product" if "product" in keys else None
        self.kpis += self.companions()

    def companions(self) -> list[KpiDefinition]:
        """KPIs shown beside the asked ones (orders and units beside GMV), when the same rows give them."""
        out: list[KpiDefinition] = []
        for k in list(self.kpis):
            sources = {self.layer.measures[m].source for m in self.measures_of(k)}
            for cid in k.companions:
                c = self.layer.kpi(cid)
                if cid in self.sq.metrics or c in out or c.params:
                    continue
                if {self.layer.measures[m].source for m in self.measures_of(c)} <= sources:
                    out.append(c)
        return out

    def measures_of(self, k: KpiDefinition) -> list[str]:
        return k.measures(self.variant if self.variant in k.variants else None)

    def expr_of(self, k: KpiDefinition) -> str:
        return k.variants.get(self.variant, k.expr) if self.variant else k.expr

    def params(self, tr: TimeRange) -> dict[str, str]:
        p = {**{k: v for kpi in self.kpis for k, v in kpi.params.items()}, **self.sq.params}
        k = int(p.get("k", 1))
        return {"start": _date(tr.start), "end": _date(tr.end), "days": str(max(tr.days, 1)),
                "n": str(int(p.get("n", 90))), "h": str(int(p.get("h", 365))), "k": str(k), "k1": str(k + 1),
                "s": str(int(p.get("s", 60)))}

    def source_sql(self, name: str, measures: list[str], tr: TimeRange) -> str:
        src, layer, sq = self.layer.sources[name], self.layer, self.sq
        params = self.params(tr)
        # {row_start}: the start of each row's own period when rows are periods ("每月的新客GMV"), else {start}
        grain = next((layer.dimensions[d].grain for d in sq.dimensions if layer.dimensions[d].grain), None)
        params["row_start"] = _GRAIN_SQL[grain].format(t=src.time) if grain and src.time else params["start"]
        fill = lambda s: re.sub(r"\{(" + "|".join(params) + r")\}", lambda m: params[m.group(1)], s)  # noqa: E731
        dims, joins, where = [], [], []
        for d in sq.dimensions:
            dim = layer.dimensions[d]
            if dim.grain:
                if not src.time:
                    raise InputError(f"这个指标没有时间列，不能按{dim.name}拆分")
                dims.append((_GRAIN_SQL[dim.grain].format(t=src.time), f"d_{d}"))
                continue
            col = fill(self._column(name, d, joins))  # a column may read the period: new or returning
            dims.append((col, f"d_{d}"))
            if dim.skip_null:
                where.append(f"{col} IS NOT NULL")
        for f in sq.filters:
            col = self._column(name, f.dimension, joins)
            if f.op != "in":
                try:
                    number = float(f.values[0])
                except ValueError:
                    raise InputError(f"“{f.values[0]}”不是数字，不能和{layer.dimensions[f.dimension].name}比较") from None
                where.append(f"{'NOT ' if f.negate else ''}{col} {f.op} {number:g}")
                continue
            op = "NOT IN" if f.negate else "IN"
            where.append(f"{col} {op} ({', '.join(_lit(v) for v in f.values)})")
        if src.where:
            where.insert(0, fill(src.where))
        if src.time:
            where.insert(0, f"{src.time} >= {_date(tr.start)} AND {src.time} < {_date(tr.end)}")
        frm = fill(src.from_) + "".join(f" LEFT JOIN {j}" for j in joins)
        where_sql = f" WHERE {' AND '.join(where)}" if where else ""
        aggs = [f"{fill(layer.measures[m].sql)} AS {m}" for m in measures]
        if not src.grain:
            cols = [f"{e} AS {a}" for e, a in dims] + aggs
            group = f" GROUP BY {', '.join(e for e, _ in dims)}" if dims else ""
            return f"SELECT {', '.join(cols)} FROM {frm}{where_sql}{group}"
        inner_cols = [f"{e} AS {a}" for e, a in dims] + [f"{g} AS g{i}" for i, g in enumerate(src.grain)]
        inner_cols += [f"{fill(v)} AS {k}" for k, v in src.inner.items()]
        inner_group = ", ".join([e for e, _ in dims] + src.grain)
        inner = f"SELECT {', '.join(inner_cols)} FROM {frm}{where_sql} GROUP BY {inner_group}"
        outer_dims = [a for _, a in dims]
        group = f" GROUP BY {', '.join(outer_dims)}" if dims else ""
        return f"SELECT {', '.join(outer_dims + aggs)} FROM ({inner}) x{group}"

    def _column(self, source: str, dim_id: str, joins: list[str]) -> str:
        dim, src = self.layer.dimensions[dim_id], self.layer.sources[source]
        if dim.key not in src.keys:
            metric_names = "、".join(k.name for k in self.kpis)
            raise InputError(f"{metric_names}不能按{dim.name}拆分或筛选（数据里没有这层关系）")
        key = src.keys[dim.key]
        if dim.join:
            j = dim.join.replace("{key}", key)
            if j not in joins:
                joins.append(j)
        return (dim.column or "{key}").replace("{key}", key)

    def period(self, tr: TimeRange, tag: str) -> tuple[list[tuple[str, str]], str, list[str]]:
        """CTEs and the SELECT of one period; returns (ctes, select, output KPI columns)."""
        by_source: dict[str, list[str]] = {}
        for k in self.kpis:
            for m in self.measures_of(k):
                by_source.setdefault(self.layer.measures[m].source, [])
                if m not in by_source[self.layer.measures[m].source]:
                    by_source[self.layer.measures[m].source].append(m)
        # The first CTE carries the rows (LEFT JOIN base): take the first ratio's denominator, so a day or
        # channel without refunds still shows a refund rate of 0 instead of disappearing.
        denominator = next((d.group(1) for k in self.kpis for d in [re.search(r"NULLIF\(([a-z_]+), 0\)", self.expr_of(k))]
                            if d and d.group(1) in self.layer.measures), None)
        if denominator:
            base = self.layer.measures[denominator].source
            by_source = {base: by_source.pop(base), **by_source} if base in by_source else by_source
        ctes, alias_of = [], {}
        for i, (src, measures) in enumerate(by_source.items()):
            name = f"{src}{tag}"
            ctes.append((name, self.source_sql(src, measures, tr)))
            for m in measures:
                alias_of[m] = name
        first = ctes[0][0]
        dim_cols = [f"{first}.d_{d} AS {d}" for d in self.sq.dimensions]
        frm = first
        for name, _ in ctes[1:]:
            if self.sq.dimensions:
                on = " AND ".join(f"{first}.d_{d} = {name}.d_{d}" for d in self.sq.dimensions)
                frm += f" LEFT JOIN {name} ON {on}"
            else:
                frm += f" CROSS JOIN {name}"
        params = self.params(tr)
        cols, outputs, seen = list(dim_cols), [], set()
        bare = {self.expr_of(k) for k in self.kpis if self.expr_of(k) in self.layer.measures}
        for k in self.kpis:
            expr = self.expr_of(k)
            measures = self.measures_of(k)
            if expr not in self.layer.measures:
                for m in measures:
                    if m not in seen and m not in bare:
                        seen.add(m)
                        cols.append(f"{alias_of[m]}.{m} AS {m}")
            qualified = re.sub(r"\b[a-z_][a-z0-9_]*\b",
                               lambda mt: f"{alias_of[mt.group(0)]}.{mt.group(0)}" if mt.group(0) in alias_of
                               else mt.group(0), expr)
            qualified = re.sub(r"\{(days)\}", lambda m: params[m.group(1)], qualified)
            cols.append(f"{qualified} AS {k.id}")
            exact = re.fullmatch(r"ROUND\((.*), (\d)\)", qualified)
            if self.sq.comparison and exact:  # a change is taken between exact values, then rounded
                cols.append(f"{exact.group(1)} AS {k.id}__exact")
                self.exact[k.id] = int(exact.group(2))
            outputs.append(k.id)
        return ctes, f"SELECT {', '.join(cols)} FROM {frm}", outputs

    def compile(self) -> str:
        sq = self.sq
        if sq.params.get("k_last", 0) > sq.params.get("k", 1):
            return self.retention_series()
        if sq.periods:
            return self.period_rows()
        ctes, select, outputs = self.period(sq.time_range, "")
        if sq.comparison:
            pctes, pselect, _ = self.period(sq.comparison.previous, "_prev")
            grain = next((self.layer.dimensions[d].grain for d in sq.dimensions if self.layer.dimensions[d].grain), None)
            shift = _shift(sq.comparison, grain)
            ctes = ctes + [("cur", select)] + pctes + [("prev", pselect)]
            cols = [f"c.{d} AS {d}" for d in sq.dimensions]
            for o in outputs:
                c, p = (f"c.{o}__exact", f"p.{o}__exact") if o in self.exact else (f"c.{o}", f"p.{o}")
                change = f"ROUND({c} - {p}, {self.exact[o]})" if o in self.exact else f"{c} - {p}"
                cols += [f"c.{o} AS {o}", f"p.{o} AS {o}_previous", f"{change} AS {o}_change",
                         f"ROUND(1.0 * ({c} - {p}) / NULLIF({p}, 0), 4) AS {o}_growth"]
            conds = []
            for d in sq.dimensions:
                if self.layer.dimensions[d].grain and shift:
                    conds.append(f"c.{d} = CAST(p.{d} + INTERVAL '{shift}' AS DATE)")
                else:
                    conds.append(f"c.{d} = p.{d}")
            join = f"LEFT JOIN prev p ON {' AND '.join(conds)}" if conds else "CROSS JOIN prev p"
            select = f"SELECT {', '.join(cols)} FROM cur c {join}"
        if sq.per_day and not any(self.layer.dimensions[d].grain for d in sq.dimensions):
            days = max(sq.time_range.days, 1)
            daily = [f"ROUND(1.0 * {k.id} / {days}, 2) AS {k.id}_per_day" for k in self.kpis
                     if k.format in ("money", "count")]
            if daily:
                ctes.append(("daily", select))
                select = f"SELECT daily.*, {', '.join(daily)} FROM daily"
        if sq.share and sq.dimensions:
            m = sq.metrics[0]
            # Within each period when the rows also split by something else (每月各渠道的占比).
            grains = [d for d in sq.dimensions if self.layer.dimensions[d].grain]
            part = f"PARTITION BY {', '.join(grains)}" if grains and len(grains) < len(sq.dimensions) else ""
            ctes.append(("base", select))
            # the total the share is of is shown beside it
            select = (f"SELECT base.*, SUM({m}) OVER ({part}) AS {m}_total,"
                      f" ROUND(1.0 * {m} / NULLIF(SUM({m}) OVER ({part}), 0), 4) AS {m}_share FROM base")
        select = self.with_descriptions(select, ctes)
        ctes.append(("result", select))
        sql = "WITH " + ",\n".join(f"{n} AS ({s})" for n, s in ctes) + "\nSELECT * FROM result"
        where = [f"{t.metric} {t.op} {t.value:g}" for t in sq.thresholds]
        where += [f"{f.dimension} {'NOT IN' if f.negate else 'IN'} ({', '.join(_lit(v) for v in f.values)})"
                  for f in self.post_filters]
        if where:
            sql += " WHERE " + " AND ".join(where)
        if sq.combine and self.post_filters:
            return self.combined(sql)
        order = self.order()
        if order:
            sql += " ORDER BY " + ", ".join(order)
        if sq.limit:
            sql += f" LIMIT {sq.limit}"
        return sql

    def retention_series(self) -> str:
        """One row per month after the cohort's (k to k_last): "6月首购的新客，7、8、9月各有多少还在买"."""
        sq, tr = self.sq, self.sq.time_range
        month = tr.start.day == 1 and tr.end == add_months(tr.start, 1)  # a one-month cohort names each month
        parts = []
        for k in range(int(sq.params.get("k", 1)), int(sq.params["k_last"]) + 1):
            params = {key: v for key, v in sq.params.items() if key != "k_last"} | {"k": k}
            one = _Compiler(sq.model_copy(update={"params": params}), self.layer).compile()
            label = f", {_date(add_months(tr.start, k))} AS retention_month" if month else ""
            parts.append(f"SELECT {k} AS k{label}, r{k}.* FROM ({one}) r{k}")
        return "SELECT * FROM (" + " UNION ALL ".join(parts) + ") series ORDER BY k"

    def period_rows(self) -> str:
        """Each period's rows with its label and start date, one period after another."""
        parts = []
        for i, p in enumerate(self.sq.periods):
            one = _Compiler(self.sq.model_copy(update={"periods": [], "time_range": p}), self.layer).compile()
            key = f"{_lit(p.key)} AS period_key, " if any(x.key for x in self.sq.periods) else ""
            parts.append(f"SELECT {_lit(p.label)} AS period, {key}{_date(p.start)} AS period_start, p{i}.* FROM ({one}) p{i}")
        return "SELECT * FROM (" + " UNION ALL ".join(parts) + ") periods ORDER BY period_start"

    def combined(self, sql: str) -> str:
        """The picked slices as one row: additive KPIs summed, the share recomputed from the sums."""
        m = self.sq.metrics[0]
        cols = [f"SUM({k.id}) AS {k.id}" for k in self.kpis if k.format in ("money", "count") and k.aggregation == "additive"]
        if f"SUM({m}) AS {m}" not in cols:
            return sql
        cols += [f"MAX({m}_total) AS {m}_total", f"ROUND(1.0 * SUM({m}) / NULLIF(MAX({m}_total), 0), 4) AS {m}_share"]
        return f"WITH picked AS ({sql}) SELECT {', '.join(cols)} FROM picked"

    def with_descriptions(self, select: str, ctes: list[tuple[str, str]]) -> str:
        """Join each dimension's descriptive columns (a SKU's product name and spec) onto the rows."""
        shown = [(d, self.layer.dimensions[d].show) for d in self.sq.dimensions if self.layer.dimensions[d].show]
        if not shown:
            return select
        ctes.append(("described", select))
        cols, joins, names = ["described.*"], [], set(self.sq.dimensions) | set(self.sq.metrics)
        for i, (d, show) in enumerate(shown):
            a = f"shown{i}"
            joins.append(" LEFT JOIN " + show.join.format(a=a, value=f"described.{d}"))
            cols += [f"{a}.{c} AS {c}" for c in show.columns if c not in names]
            names.update(show.columns)
        return f"SELECT {', '.join(cols)} FROM described{''.join(joins)}"

    def order(self) -> list[str]:
        sq = self.sq
        out = []
        for o in sq.order_by:
            nulls = "NULLS FIRST" if o.nulls_first else "NULLS LAST"
            out.append(f"{self.unrounded(o.field)} {'DESC' if o.descending else 'ASC'} {nulls}")
        grains = [d for d in sq.dimensions if self.layer.dimensions[d].grain]
        others = [d for d in sq.dimensions if d not in grains]
        if not out and sq.dimensions:
            if grains:
                out = [f"{d} ASC" for d in grains]
            else:
                out = [f"{sq.metrics[0]} DESC NULLS LAST"]
        used = {o.split()[0] for o in out}
        out += [f"{d} ASC" for d in grains + others if d not in used]
        return out

    def unrounded(self, field: str) -> str:
        """A rounded KPI is ranked by its exact value, so 40.42 s and 40.36 s do not tie as 40.4 s."""
        kpi = next((k for k in self.kpis if k.id == field), None)
        rounded = re.fullmatch(r"ROUND\((.*), \d\)", self.expr_of(kpi)) if kpi and not self.sq.comparison else None
        if not rounded:
            return field
        bare = {self.expr_of(k): k.id for k in self.kpis if self.expr_of(k) in self.layer.measures}
        shown = {m for k in self.kpis for m in self.measures_of(k)}
        names = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", rounded.group(1))) - {"nullif", "coalesce"}
        if not names <= shown:
            return field
        return re.sub(r"\b[a-z_][a-z0-9_]*\b", lambda m: bare.get(m.group(0), m.group(0)), rounded.group(1))


def _shift(c: Comparison, grain: str | None = None) -> str | None:
    """How far the previous period's dates move to line up with the current period: a year for 同比,
    one row's period for 环比 inside a per-period list ("每个月的GMV和环比")."""
    if c.kind == "yoy":
        return "1 year"
    if c.kind == "mom" and grain:
        months, days = GRAIN_STEPS[grain]
        return f"{months} month" if months else f"{days} day"
    return None


def add_months(d: dt.date, n: int) -> dt.date:
    """The same day n months later (or earlier), clipped to the month's last day."""
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def normalize_dialect(dialect: str | None) -> str:
    d = (dialect or "duckdb").lower()
    if d not in DIALECTS:
        raise InputError(f"unsupported SQL dialect {dialect!r}", hint=f"choose one of {', '.join(sorted(DIALECTS))}")
    return DIALECTS[d]


def compile_query(sq: SemanticQuery, dialect: str = "duckdb", layer: SemanticLayer | None = None,
                  pretty: bool = True) -> str:
    """SQL for the semantic query in the given dialect (duckdb, postgres, mysql, ... any sqlglot writes)."""
    sql = _Compiler(sq, layer or load_semantic_layer()).compile()
    target = normalize_dialect(dialect)
    # The layer is written in PostgreSQL style (integer division, 1.0 * casts) which sqlglot carries to any dialect.
    return sqlglot.transpile(sql, read="postgres", write=target, pretty=pretty)[0]
