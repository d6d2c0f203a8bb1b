"""The clause classifier inside the checker: a warn finding where no rule speaks, never a rewrite."""

from __future__ import annotations

import pytest

from tools.compliance import CLASSIFIER_RULE_ID, check_text

# Claims in wordings no rule lists; the classifier recognises their shape.
UNLISTED = [
    ("用了半个月，脖子上的细纹几乎看不出来了", "food", "细纹几乎看不出来了", "efficacy_unapproved"),
    ("宝妈群里都在传，这款辅食吃了宝宝不爱生病", "food", "吃了宝宝不爱生病", "efficacy_unapproved"),
]

HARMLESS = [
    "开窗通风，定期清洁滤网，延长使用寿命",
    "本店支持七天无理由退货，运费险已包含",
    "第一次下单的顾客请先阅读尺码表",
    "满300减40，活动时间以页面为准",
    "纯棉面料，机洗请翻面，不可漂白",
    "周一至周五 9:00-18:00 客服在线",
]


@pytest.mark.parametrize(("text", "category", "part", "kind"), UNLISTED)
def test_a_claim_no_rule_lists_gets_a_warn_to_confirm(text: str, category: str, part: str, kind: str) -> None:
    report = check_text(text, category)
    found = [f for f in report.findings if f.source == "classifier"]
    assert len(found) == 1
    f = found[0]
    assert part in f.span == text[f.start : f.end]
    assert (f.category, f.severity, f.rule_id) == (kind, "warn", CLASSIFIER_RULE_ID)
    assert f.basis and "人工" in f.explanation
    assert report.verdict == "warn" and report.rewrite == text  # a reviewer confirms before anything is rewritten


def test_the_classifier_can_be_left_out() -> None:
    text, category, _, _ = UNLISTED[0]
    assert check_text(text, category, classifier=False).findings == []


def test_a_rule_finding_keeps_its_clause() -> None:
    report = check_text("喝完这箱，老爸的痛风再没犯过", "food")
    assert [f.source for f in report.findings] == ["rules"]


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_copy_is_not_flagged(text: str) -> None:
    assert check_text(text, "general").verdict == "pass"


def test_a_megabyte_of_clauses_is_scored_in_bounded_memory() -> None:
    text = "用了半个月，脖子上的细纹几乎看不出来了。" * 50_000  # ~3 MB of UTF-8, 100,000 clauses
    report = check_text(text, "food")
    assert [f.source for f in report.findings] == ["classifier"] * 50_000


def test_the_classifier_artifact_is_not_ingested_as_knowledge(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from knowledge.base import KnowledgeBase

    rules = Path(__file__).resolve().parents[1] / "knowledge" / "corpus" / "compliance"
    report = KnowledgeBase(tmp_path / "home", None).ingest([rules])
    assert report.added and all(Path(p).suffix == ".yaml" for p in report.added)
    assert not any("model" in Path(p).parts for p in report.added)
