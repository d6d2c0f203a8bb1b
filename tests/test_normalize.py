"""Each normalisation step, pinned by a table of cases taken from the seed playbooks."""

from __future__ import annotations

import re

import pytest

from knowledge.boilerplate import strip_boilerplate, strip_template_suffix
from knowledge.normalize import GARBLED, is_chinese, mark_garbled, normalize, strip_pinyin, to_halfwidth, to_simplified

from tests.conftest import need_seeds


@pytest.mark.parametrize("raw, expected", [
    ("電商系統(tǒng)運營方案", "電商系統運營方案"),
    ("運(yùn)營(yíng)管理", "運營管理"),
    ("提升轉化率(LTV)", "提升轉化率(LTV)"),
    ("根據(jù)艾瑞咨詢(iResearch)數據", "根據艾瑞咨詢(iResearch)數據"),
    ("(1)建立三通道", "(1)建立三通道"),
    ("NPS(凈推薦值)", "NPS(凈推薦值)"),
    ("分享裂變?yōu)", "分享裂變"),  # a lost byte ate the opening parenthesis
    ("B2B(企業對企業)", "B2B(企業對企業)"),
])
def test_strip_pinyin(raw: str, expected: str) -> None:
    assert strip_pinyin(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("電商運營", "电商运营"),
    ("倉儲網絡佈局", "仓储网络布局"),
    ("已经是简体", "已经是简体"),
])
def test_to_simplified(raw: str, expected: str) -> None:
    assert to_simplified(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("ＧＭＶ達到１２３億", "GMV達到123億"),
    ("增長５０％！", "增長50%!"),
    ("全角　空格", "全角 空格"),
    ("保留。、“”《》", "保留。、“”《》"),
])
def test_to_halfwidth(raw: str, expected: str) -> None:
    assert to_halfwidth(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("1.1行業背景?電商行業", "1.1行業背景 電商行業"),  # a lost line break
    ("升50%??梢暬矫嫘璨捎枚嗑", f"升50%{GARBLED}"),  # a misdecoded run
    ("橫向?qū)Ρ?縱向", f"橫向{GARBLED}縱向"),
    ("私有區\ue7c9域", f"私有區{GARBLED}域"),  # private-use debris
    ("正常的句子。", "正常的句子。"),
])
def test_mark_garbled(raw: str, expected: str) -> None:
    assert mark_garbled(strip_pinyin(raw)) == expected


@pytest.mark.parametrize("title, expected", [
    ("电商系统运营方案参考模板", "电商系统运营方案"),
    ("淘宝双十一运营活动方案范文参考", "淘宝双十一运营活动方案"),
    ("2025年电子商务管理团队配置与品牌运营方案模板范文", "2025年电子商务管理团队配置与品牌运营方案"),
])
def test_strip_template_suffix(title: str, expected: str) -> None:
    assert strip_template_suffix(title) == expected


BOILERPLATE = """电商系统运营方案_第1页
电商系统运营方案_第2页
已阅读5页,还剩10页未读 继续免费阅读

下载本文档

版权说明:本文档由用户提供并上传,收益归属内容提供方,若内容存在侵权,请进行举报或认领

文档简介

正文第一段,讲的是流量结构。

温馨提示
  • 1. 本站所有资源如无特殊说明,都需要本地电脑安装OFFICE2007和PDF阅读器。
  • 2. 本站的文档不包含任何第三方提供的附件图纸等。
最新文档
- 养老院老人请假审批制度
- 2025年捆钞机合作协议书
评论
0/150
提交评论"""


def test_strip_boilerplate_keeps_only_the_text() -> None:
    kept = [line for line in strip_boilerplate(BOILERPLATE).split("\n") if line.strip()]
    assert kept == ["正文第一段,讲的是流量结构。"]


def test_normalize_pipeline_on_every_seed() -> None:
    seeds = need_seeds()
    toned = re.compile(r"\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)")
    annotations = 0
    for path in sorted(seeds.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        annotations += len(toned.findall(raw))
        text = normalize(raw)
        assert not toned.search(text), f"{path.name} keeps a pinyin annotation"
        assert "(LTV)" not in raw or "(LTV)" in text
        assert "\ue7c9" not in text and "ь" not in text
        assert "電" not in text, f"{path.name} still has traditional characters"
    assert annotations > 9000  # the seeds do carry ~9,400 annotations that were removed


def test_query_and_document_normalise_alike() -> None:
    assert normalize("電商系統(tǒng)運營") == normalize("电商系统运营")


@pytest.mark.parametrize("text, chinese", [
    ("什么是复购率", True), ("What is the repurchase rate?", False), ("GMV和转化率", True), ("GMV", False),
])
def test_is_chinese(text: str, chinese: bool) -> None:
    assert is_chinese(text) is chinese
