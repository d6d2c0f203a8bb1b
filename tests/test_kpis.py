"""The KPI catalogue: coverage, lookup, knowledge-base chunks and clear errors for a malformed file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError
from knowledge.kpis import KPI_FILE, find_kpi, kpi_chunks, load_kpis, load_semantic_layer

REQUIRED = ["GMV", "支付金额", "拍下金额", "净成交额", "支付订单数", "支付买家数", "支付件数", "客单价", "笔单价", "访客数",
            "浏览量", "转化率", "加购率", "收藏率", "退款金额", "退款率", "退款订单率", "新客数", "复购率", "留存率", "LTV",
            "CAC", "广告花费", "CTR", "CPC", "CPM", "广告ROI", "全店投产比", "毛利率", "库存周转天数", "动销率",
            "首次响应时长", "询单转化率", "满意度", "NPS", "好评率"]


def test_catalogue_covers_the_required_kpis() -> None:
    kpis = load_kpis()
    assert len(kpis) >= 35
    assert len({k.id for k in kpis}) == len(kpis)
    for name in REQUIRED:
        assert find_kpi(name) is not None, name


@pytest.mark.parametrize(("alias", "kpi_id"), [
    ("成交额", "gmv"), ("销售额", "gmv"), ("revenue", "gmv"), ("UV", "uv"), ("cvr", "conversion_rate"),
    ("投产比", "roi"), ("获客成本", "cac"), ("首响", "first_response_time"), ("净推荐值", "nps"),
    ("Net Promoter Score", "nps"), ("  gmv ", "gmv"), ("不存在的指标", None), ("", None),
])
def test_find_kpi(alias: str, kpi_id: str | None) -> None:
    k = find_kpi(alias)
    assert (k.id if k else None) == kpi_id


def test_every_kpi_has_semantic_fields_and_prose() -> None:
    layer = load_semantic_layer()
    for k in layer.kpis:
        assert k.definition and k.formula and k.unit and k.pitfalls and k.time and k.aggregation
        assert all(m in layer.measures for m in k.measures())


def test_chunks_answer_definition_questions() -> None:
    chunks = {c.section: c for c in kpi_chunks()}
    c = chunks["repurchase_rate"]
    assert (c.kind, c.source, c.title, c.section_title) == ("kpi", "kpis.yaml", "KPI 口径", "复购率")
    assert "两笔及以上" in c.text and "回购率" in c.text
    assert "复购率" in find_kpi("复购率").describe()  # type: ignore[union-attr]


@pytest.mark.parametrize(("edit", "line_word"), [
    (lambda s: s.replace("  - id: gmv\n", "  - id: gmv\n    bogus: [unclosed\n", 1), "line"),
    (lambda s: s.replace("    expr: paid_amount\n", "    expr: no_such_measure\n", 1), "no_such_measure"),
    (lambda s: s.replace("    name: 支付金额\n", "", 1), "name"),
])
def test_malformed_file_names_file_and_line(tmp_path: Path, edit, line_word: str) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "kpis.yaml"
    bad.write_text(edit(KPI_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_kpis(bad)
    assert str(bad) in info.value.message and "line" in info.value.message and line_word in info.value.message
