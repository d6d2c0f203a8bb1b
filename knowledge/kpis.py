"""KPI definitions and the semantic layer, both read from ``knowledge/corpus/kpis.yaml``.

One file is the source of truth: the knowledge base indexes each KPI's prose through
``kpi_chunks`` and the analytics compiler reads ``sources``/``measures``/``dimensions`` and each
KPI's ``expr`` from the same entry, so the number and the definition cannot disagree.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import ConfigError
from knowledge.chunk import Chunk

KPI_FILE = Path(__file__).resolve().parent / "corpus" / "kpis.yaml"
_IDENT = re.compile(r"\b[a-z_][a-z0-9_]*\b")


class SourceDef(BaseModel):
    """A fact table (or derived relation) that measures aggregate over."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from")
    time: str | None = None
    where: str | None = None
    keys: dict[str, str] = Field(default_factory=dict)
    grain: list[str] = Field(default_factory=list)  # two-level aggregation: inner GROUP BY these
    inner: dict[str, str] = Field(default_factory=dict)  # inner aggregates the outer measures read


class MeasureDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    sql: str


class ShowDef(BaseModel):
    """Descriptive columns joined onto a result row by the dimension's value; ``{a}`` is the join's alias,
    ``{value}`` the result column holding the dimension's value."""

    model_config = ConfigDict(extra="forbid")
    join: str
    columns: list[str]


class DimensionDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    key: str | None = None
    join: str | None = None
    column: str | None = None
    grain: str | None = None  # day | week | month | quarter | year
    skip_null: bool = False  # rows without a value (e.g. robot-only sessions have no agent) are left out
    words: list[str] = Field(default_factory=list)
    show: ShowDef | None = None  # columns shown beside the dimension's value (a SKU's product name and spec)


class AmbiguityRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: list[str]
    unless: list[str] = Field(default_factory=list)
    question: str
    options: list[str] = Field(default_factory=list)


class KpiDefinition(BaseModel):
    """One KPI: the prose the knowledge base cites and the SQL the analytics layer runs."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    name_en: str
    aliases: list[str]
    definition: str
    formula: str
    unit: str
    pitfalls: str
    format: str = "number"  # money | ratio | count | number | seconds | points | multiple
    time: str
    aggregation: str
    expr: str
    variants: dict[str, str] = Field(default_factory=dict)
    params: dict[str, int] = Field(default_factory=dict)
    companions: list[str] = Field(default_factory=list)  # KPIs shown beside this one (orders and units beside GMV)

    def describe(self) -> str:
        """One Chinese paragraph: what it is, how it is computed, the unit and what to watch for."""
        return (f"{self.name}（{self.name_en}）：{self.definition}计算公式：{self.formula}；单位：{self.unit}；"
                f"时间归属：{self.time}。注意：{self.pitfalls}")

    def measures(self, variant: str | None = None) -> list[str]:
        """Measure names the KPI expression reads, in order of appearance."""
        expr = self.variants.get(variant, self.expr) if variant else self.expr
        names: list[str] = []
        for name in _IDENT.findall(expr):
            if name not in names and name not in _SQL_WORDS:
                names.append(name)
        return names


_SQL_WORDS = {"round", "nullif", "coalesce", "case", "when", "then", "else", "end", "and", "or", "not", "null",
              "days", "abs", "greatest", "least"}


class SemanticLayer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: dict[str, SourceDef]
    measures: dict[str, MeasureDef]
    dimensions: dict[str, DimensionDef]
    value_aliases: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    ambiguous: list[AmbiguityRule] = Field(default_factory=list)
    kpis: list[KpiDefinition]

    def kpi(self, kpi_id: str) -> KpiDefinition:
        for k in self.kpis:
            if k.id == kpi_id:
                return k
        raise KeyError(kpi_id)


def _line_of(node: yaml.Node | None, path: list[Any]) -> int | None:
    """1-based line of the YAML node at ``path`` (keys and list indexes), as deep as it exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == step]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _check(layer: SemanticLayer, fail: Any) -> None:
    seen: dict[str, str] = {}
    for i, k in enumerate(layer.kpis):
        if k.id in seen.values() and k.id != seen.get(k.id.lower()):
            fail(f"duplicate KPI id {k.id!r}", ["kpis", i, "id"])
        for alias in [k.id, k.name, *k.aliases]:
            owner = seen.setdefault(alias.lower(), k.id)
            if owner != k.id:
                fail(f"alias {alias!r} of {k.id!r} already names {owner!r}", ["kpis", i, "aliases"])
        for variant in [None, *k.variants]:
            for m in k.measures(variant):
                if m not in layer.measures:
                    fail(f"KPI {k.id!r} uses unknown measure {m!r}", ["kpis", i, "expr"])
    ids = {k.id for k in layer.kpis}
    for i, k in enumerate(layer.kpis):
        for c in k.companions:
            if c not in ids or c == k.id:
                fail(f"KPI {k.id!r} names an unknown companion {c!r}", ["kpis", i, "companions"])
    for name, m in layer.measures.items():
        if m.source not in layer.sources:
            fail(f"measure {name!r} uses unknown source {m.source!r}", ["measures", name])


def load_semantic_layer(path: str | Path | None = None) -> SemanticLayer:
    """Parse and validate the KPI file; a malformed file raises ConfigError naming file and line."""
    path = Path(path) if path else KPI_FILE
    return _load(str(path.resolve()), path.stat().st_mtime if path.exists() else 0.0)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: float) -> SemanticLayer:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the KPI file ({exc.strerror})") from exc
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ConfigError(f"{path}, line {line}: malformed YAML ({exc.problem})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}, line 1: expected a mapping with sources, measures, dimensions and kpis")

    def fail(message: str, where: list[Any]) -> None:
        raise ConfigError(f"{path}, line {_line_of(node, where)}: {message}")

    try:
        layer = SemanticLayer.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}", list(err["loc"]))
        raise  # unreachable: fail() raises
    _check(layer, fail)
    return layer


def load_kpis(path: str | Path | None = None) -> list[KpiDefinition]:
    """Every KPI definition in the file, in file order."""
    return list(load_semantic_layer(path).kpis)


def _norm(s: str) -> str:
    return re.sub(r"[\s_\-（）()·]", "", s).lower()


def find_kpi(name_or_alias: str, path: str | Path | None = None) -> KpiDefinition | None:
    """The KPI whose id, Chinese or English name or alias equals the text (case and spacing ignored)."""
    wanted = _norm(name_or_alias)
    if not wanted:
        return None
    for k in load_kpis(path):
        if wanted in {_norm(n) for n in [k.id, k.name, k.name_en, *k.aliases]}:
            return k
    return None


def kpi_chunks(kpis: list[KpiDefinition] | None = None) -> list[Chunk]:
    """One citable passage per KPI for the knowledge base."""
    out = []
    for k in kpis if kpis is not None else load_kpis():
        text = (f"{k.name}（{k.name_en}）\n别名：{'、'.join(k.aliases)}\n定义：{k.definition}\n"
                f"公式：{k.formula}\n单位：{k.unit}\n时间归属：{k.time}\n注意事项：{k.pitfalls}")
        out.append(Chunk(source="kpis.yaml", title="KPI 口径", section=k.id, section_title=k.name, text=text,
                         kind="kpi"))
    return out
