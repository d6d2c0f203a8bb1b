"""`zhanggui check`: one text, JSON output, errors, JSONL batches and the Excel report."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from typer.testing import CliRunner

from connectors.cli import app

runner = CliRunner()


def test_check_json() -> None:
    result = runner.invoke(app, ["check", "XX面霜，全网最低价，美白淡斑", "--category", "cosmetics", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "block"
    assert {f["category"] for f in data["findings"]} == {"false_price", "efficacy_unapproved"}
    assert "全网最低价" not in data["rewrite"]


def test_check_human_readable() -> None:
    result = runner.invoke(app, ["check", "最佳赏味期：开封后7天内"])
    assert result.exit_code == 0
    assert "通过" in result.stdout
    result = runner.invoke(app, ["check", "史上最强面膜"])
    assert "不通过" in result.stdout and "广告法" in result.stdout and "建议" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "   "], "empty"),
        (["check", "全网最低价", "--category", "spaceships"], "health_food"),
        (["check"], "nothing to check"),
        (["check", "文案", "--jsonl", "x.jsonl"], "not both"),
        (["check", "--jsonl", "does-not-exist.jsonl"], "no such file"),
        (["check", "文案", "--xlsx", "r.xlsx"], "--jsonl"),
    ],
)
def test_bad_input_is_a_one_line_error(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def _batch(tmp_path: Path) -> Path:
    lines = [
        json.dumps({"id": 1, "text": "全网最低价，史上最强", "category": "general"}, ensure_ascii=False).encode(),
        b'{"id": 2, "text": "\xff\xfe broken bytes"}',
        b'{"id": 3, "text": ',
        json.dumps({"id": 4, "text": "XX蓝莓软糖，护眼明目，增强免疫力。", "category": "food"}, ensure_ascii=False).encode(),
        json.dumps({"id": 5, "text": "面料成分：100%棉", "category": "apparel"}, ensure_ascii=False).encode(),
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_batch_to_file_and_excel(tmp_path: Path) -> None:
    source = _batch(tmp_path)
    out, xlsx = tmp_path / "out.jsonl", tmp_path / "report.xlsx"
    result = runner.invoke(app, ["check", "--jsonl", str(source), "--out", str(out), "--xlsx", str(xlsx), "-q"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [1, 2, None, 4, 5]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert "UTF-8" in records[1]["message"] and "line 2" in records[1]["message"]
    assert "JSON" in records[2]["message"] and "line 3" in records[2]["message"]
    assert records[3]["verdict"] == "block" and records[4]["verdict"] == "pass"
    assert all("text" not in r for r in records)

    finding_count = sum(len(r.get("findings", [])) for r in records)
    wb = openpyxl.load_workbook(xlsx, rich_text=True)
    sheet = wb["findings"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == finding_count >= 4
    header = [c.value for c in sheet[1]]
    span_col, text_col = header.index("违规片段"), header.index("文案（违规片段标红）")
    for row in rows:
        marked = row[text_col].value
        assert isinstance(marked, CellRichText)
        red = [part for part in marked if isinstance(part, TextBlock)]
        assert [part.text for part in red] == [row[span_col].value]
    assert wb["errors"].max_row == 3  # header + two bad lines
    assert wb["texts"].max_row == 4  # header + three checked texts


def test_batch_to_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--jsonl", str(_batch(tmp_path))])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 5
    assert sum("error" in r for r in lines) == 2
