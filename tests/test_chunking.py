"""Headings found by pattern and sequence; sections, repeats and placeholders."""

from __future__ import annotations

import pytest

from knowledge.boilerplate import strip_boilerplate
from knowledge.chunking import cn_to_int, find_headings, markdown_sections, split_long, split_sections
from knowledge.normalize import normalize

from tests.conftest import need_seeds

RUN_TOGETHER = (
    "一、方案概述1.1行业背景 电商行业规模达13.1万亿元,同比增长4.3%。1.2痛点定义 获客成本上升37%,"
    "转化率增长2.1倍仍不足。二、方案设计2.1策略框架 本方案采用四支柱架构。2.2流量路径 平台外延与深耕并行。"
)


def test_run_together_headings_are_found_in_sequence() -> None:
    numbers = [h.number for h in find_headings(RUN_TOGETHER)]
    assert numbers == ["一", "1.1", "1.2", "二", "2.1", "2.2"]  # not 13.1, not 2.1倍


@pytest.mark.parametrize("text, number, title", [
    ("三、供应链协同1.1", "三", "供应链协同"),
    ("第2章电商平台运营策略设计一、", "第2章", "电商平台运营策略设计"),
])
def test_heading_titles(text: str, number: str, title: str) -> None:
    h = find_headings(text)[0]
    assert (h.number, h.title) == (number, title)


@pytest.mark.parametrize("text", ["增长1.5万名客服", "提升2.1倍", "占比4.3%以上"])
def test_quantities_are_not_headings(text: str) -> None:
    assert find_headings("1.1背景 正文。" + text) and [h.number for h in find_headings("1.1背景 正文。" + text)] == ["1.1"]


def test_table_of_contents_gives_titles_and_no_empty_sections() -> None:
    text = "1.1行业背景分析\n1.2问题定义\n一、概述1.1行业背景分析电商行业快速增长,用户规模持续扩大,竞争加剧。1.2问题定义获客成本持续攀升,转化效率不高,需要系统方案。"
    sections = split_sections(text)
    assert [(s.number, s.title) for s in sections] == [("1.1", "行业背景分析"), ("1.2", "问题定义")]
    assert sections[0].text.startswith("电商行业快速增长")


def test_repeated_blocks_and_placeholders_are_dropped() -> None:
    body = "持续优化机制需建立数据反馈、用户声音和环境变化三重触发机制,每月复盘一次并形成改进清单。"
    text = f"九、迭代机制9.1持续优化 {body}九、迭代机制9.1持续优化 {body}十、XXXXXX"
    sections = split_sections(text)
    assert len(sections) == 1 and sections[0].number == "9.1"


@pytest.mark.parametrize("text, n", [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("12", 12)])
def test_cn_to_int(text: str, n: int) -> None:
    assert cn_to_int(text) == n


def test_split_long_cuts_at_sentence_ends() -> None:
    text = "。".join(f"第{i}句话讲一件具体的事情并给出数字{i}" for i in range(60)) + "。"
    pieces = list(split_long(text))
    assert len(pieces) > 1 and "".join(pieces) == text
    assert all(len(p) <= 520 for p in pieces) and all(p.endswith("。") for p in pieces)


def test_markdown_sections_carry_numbers() -> None:
    md = "# 手册\n\n## 一、退货\n\n### 2.3 运费承担\n\n退货运费由顾客承担。\n"
    sections = markdown_sections(md)
    assert [(s.number, s.title, s.text) for s in sections] == [("2.3", "运费承担", "退货运费由顾客承担。")]


def test_every_seed_splits_into_numbered_sections() -> None:
    seeds = need_seeds()
    for path in sorted(seeds.glob("*.txt")):
        sections = split_sections(strip_boilerplate(normalize(path.read_text(encoding="utf-8"))))
        numbered = [s for s in sections if s.number]
        assert len(numbered) >= 20, path.name
        assert not any("XXX" in s.title for s in sections)
        texts = [s.text for s in sections]
        assert len(texts) == len(set(texts)), f"{path.name} keeps a repeated block"
        assert not any("温馨提示" in t or "下载本文档" in t or "提交评论" in t for t in texts)
