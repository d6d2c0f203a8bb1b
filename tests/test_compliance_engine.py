"""The compliance engine: the case table, offsets, bad input, batch records and the model pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent.errors import BackendError, InputError
from tools.compliance import (
    ComplianceReport,
    add_model_findings,
    check_batch,
    check_text,
    valid_categories,
)
from tools.compliance_normalize import normalize

CASES = yaml.safe_load((Path(__file__).parent / "data" / "compliance_cases.yaml").read_text(encoding="utf-8"))
LOUD = ("warn", "block")


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:18] for c in CASES])
def test_case_table(case: dict) -> None:
    report = check_text(case["text"], case.get("category"), classifier=False)  # the rules' own cases
    for f in report.findings:
        assert case["text"][f.start : f.end] == f.span, "every span maps back to the original text"
    if case.get("none"):
        assert [f.span for f in report.findings if f.severity in LOUD] == []
        assert report.verdict == "pass"
        return
    for want in case["expect"]:
        start = case["text"].index(want["span"])
        end = start + len(want["span"])
        matches = sorted((f for f in report.findings if f.start < end and f.end > start),
                         key=lambda f: -(min(end, f.end) - max(start, f.start)))
        got = [(f.span, f.category) for f in report.findings]
        assert matches, f"no finding on {want['span']!r}; got {got}"
        if case.get("exact"):
            assert matches[0].span == want["span"], got
        if "category" in want:
            assert matches[0].category == want["category"], got
        if "rule" in want:
            assert matches[0].rule_id == want["rule"], got
    assert report.verdict in ("warn", "block")


@pytest.mark.parametrize(
    ("text", "norm_span", "original_span"),
    [
        ("全網 最-低價", (2, 5), "最-低價"),
        ("ＮＯ．１品质", (0, 4), "ＮＯ．１"),
        ("第 - 一名", (0, 3), "第 - 一名"),
        ("最\u200b佳", (0, 2), "最\u200b佳"),
        ("ab最 好cd", (2, 4), "最 好"),
    ],
)
def test_normalized_offsets_map_back(text: str, norm_span: tuple[int, int], original_span: str) -> None:
    norm = normalize(text)
    start, end = norm.original_span(*norm_span)
    assert text[start:end] == original_span


def test_normalization_keeps_separators_outside_chinese_text() -> None:
    assert normalize("GB 21455-2019 最 好").text == "gb 21455-2019 最好"
    assert normalize("第一行\n第二行").text == "第一行\n第二行"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_a_clear_error(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        check_text(text)


def test_unknown_category_lists_the_valid_ones() -> None:
    with pytest.raises(InputError) as err:
        check_text("全网最低价", category="spaceships")
    for category in ("cosmetics", "food", "health_food", "infant", "general"):
        assert category in err.value.message
    assert set(valid_categories()) >= {"cosmetics", "food", "health_food", "infant", "medical_device", "general"}


@pytest.mark.parametrize(("alias", "expect_finding"), [("化妆品", True), ("特殊化妆品", False), ("COSMETICS", True)])
def test_category_aliases(alias: str, expect_finding: bool) -> None:
    report = check_text("美白精华", category=alias)
    assert any(f.span == "美白" for f in report.findings) is expect_finding


def test_one_megabyte_text_is_checked() -> None:
    unit = "这款面霜全网最低价，最近很多人买。面料成分：100%棉。第一次使用请阅读说明书。"
    text = unit * (1_000_000 // len(unit.encode("utf-8")) + 1)
    assert len(text.encode("utf-8")) >= 1_000_000
    report = check_text(text)
    assert report.verdict == "block"
    assert len(report.findings) == text.count("全网最低价")
    assert all(text[f.start : f.end] == f.span == "全网最低价" for f in report.findings)
    assert len(report.rewrite) < len(text)


def test_verdict_and_rewrite() -> None:
    text = "史上最强面膜，仅剩3件，全网最低价"
    report = check_text(text, category="cosmetics")
    assert report.verdict == "block"
    severities = {f.span: f.severity for f in report.findings}
    assert severities["仅剩3件"] == "warn"
    assert "全网最低价" not in report.rewrite and "史上最强" not in report.rewrite
    assert "仅剩3件" in report.rewrite, "warnings are shown, not rewritten"
    assert check_text("新鲜苹果，脆甜多汁。", category="food").verdict == "pass"
    assert check_text("新鲜苹果，仅剩3件。", category="food").verdict == "warn"


def test_report_json_shape() -> None:
    data = check_text("全网最低价").model_dump()
    assert set(data) == {"verdict", "findings", "rewrite"}
    assert set(data["findings"][0]) == {"start", "end", "span", "rule_id", "category", "severity", "basis",
                                         "explanation", "suggestion", "source"}
    assert data["findings"][0]["source"] == "rules"
    assert "第十九条" in data["findings"][0]["basis"]


def test_batch_keeps_going_past_bad_lines() -> None:
    lines = [
        json.dumps({"id": "a", "text": "全网最低价", "category": "general"}, ensure_ascii=False).encode(),
        b'{"id": "b", "text": "ok \xff\xfe"}',
        b"{broken json",
        b"",
        b'["not", "an", "object"]',
        json.dumps({"id": "e", "text": "", "category": "food"}).encode(),
        json.dumps({"id": "f", "text": "美白", "category": "nope"}).encode(),
        json.dumps({"id": "g", "text": "最佳赏味期7天", "category": "food"}, ensure_ascii=False).encode(),
    ]
    results = list(check_batch(lines))
    by_line = {r["line"]: r for r in results}
    assert sorted(by_line) == [1, 2, 3, 5, 6, 7, 8], "a blank line is skipped, every other line answered"
    assert by_line[1]["id"] == "a" and by_line[1]["verdict"] == "block"
    for line in (2, 3, 5, 6, 7):
        assert by_line[line]["error"] == "bad_input"
        assert f"line {line}" in by_line[line]["message"]
    assert by_line[2]["id"] == "b" and "UTF-8" in by_line[2]["message"]
    assert "JSON" in by_line[3]["message"]
    assert "cosmetics" in by_line[7]["message"]
    assert by_line[8]["verdict"] == "pass" and by_line[8]["id"] == "g"


def test_model_findings_must_quote_the_text() -> None:
    text = "这款面霜全网最低价，用完皮肤像剥了壳的鸡蛋。"
    report = check_text(text, category="cosmetics")
    proposals = [
        {"span": "皮肤像剥了壳的鸡蛋", "category": "guarantee_claim", "explanation": "夸大效果", "severity": "block"},
        {"span": "七天换脸", "category": "guarantee_claim"},  # not in the text: dropped
        {"span": "最低价", "category": "false_price"},  # inside a rule finding: dropped
        {"span": "面霜", "category": "made_up", "start": 2},
        {"span": "", "category": "other"},
        "not a dict",
    ]
    merged = add_model_findings(text, report, lambda t: proposals)
    model = [f for f in merged.findings if f.source == "model"]
    assert [f.span for f in model] == ["面霜", "皮肤像剥了壳的鸡蛋"]
    for f in model:
        assert text[f.start : f.end] == f.span
        assert f.severity == "warn", "a model finding alone never blocks"
    assert model[0].category == "other"
    assert merged.rewrite == report.rewrite
    assert len(merged.findings) == len(report.findings) + 2


def test_model_pass_with_a_wrong_offset_hint_uses_the_real_one() -> None:
    text = "好用好用，真的好用"
    merged = add_model_findings(text, ComplianceReport(verdict="pass", findings=[], rewrite=text),
                                lambda t: [{"span": "真的好用", "start": 0}])
    assert [(f.start, f.end) for f in merged.findings] == [(5, 9)]


def test_model_pass_failure_is_a_backend_error() -> None:
    def broken(_: str) -> list[dict]:
        raise TimeoutError("model timed out")

    report = check_text("新鲜苹果")
    with pytest.raises(BackendError, match="timed out"):
        add_model_findings("新鲜苹果", report, broken)


def test_rewrite_hedges_neighbouring_claims_of_one_kind_once() -> None:
    report = check_text("三天美白祛斑,无效退款。")
    assert len([f for f in report.findings if f.severity == "block"]) >= 2
    blocked = {f.rule_id for f in report.findings if f.severity == "block"}
    assert all(f.span not in report.rewrite for f in report.findings if f.severity == "block")
    hedges = [h for h in ("效果因人而异",) if report.rewrite.count(h) > 1]
    assert not hedges, (blocked, report.rewrite)
