"""A reviewer's Excel report for a compliance batch: one row per finding, the span marked in red.

Sheets: ``findings`` (one row per finding, the text with the offending span in bold red rich
text), ``texts`` (one row per checked text with its verdict) and ``errors`` (lines that could
not be checked, with their line numbers).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Alignment, Font, PatternFill

FINDING_COLUMNS = ("id", "line", "verdict", "severity", "category", "rule_id", "span", "start", "end",
                   "text", "basis", "explanation", "suggestion", "source")
_HEADERS_ZH = {"id": "编号", "line": "行号", "verdict": "结论", "severity": "严重程度", "category": "违规类别",
               "rule_id": "规则", "span": "违规片段", "start": "起", "end": "止", "text": "文案（违规片段标红）",
               "basis": "法律依据", "explanation": "说明", "suggestion": "修改建议", "source": "来源",
               "findings": "问题数", "rewrite": "改写参考", "error": "错误", "message": "错误信息"}
_MARK = InlineFont(color="FFC00000", b=True)
_SEVERITY_FILL = {"block": "FFF8CBAD", "warn": "FFFFE699", "info": "FFDDEBF7"}
# Excel refuses cells longer than this; a longer text is cut around the span.
_CELL_LIMIT = 32000


def _marked(text: str, start: int, end: int) -> CellRichText:
    if len(text) > _CELL_LIMIT:
        lo = max(0, start - _CELL_LIMIT // 2)
        text, start, end = text[lo : lo + _CELL_LIMIT], start - lo, end - lo
    parts: list[Any] = []
    if start > 0:
        parts.append(text[:start])
    parts.append(TextBlock(_MARK, text[start:end]))
    if end < len(text):
        parts.append(text[end:])
    return CellRichText(parts)


def _header(ws: Any, columns: Iterable[str]) -> None:
    ws.append([_HEADERS_ZH.get(c, c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"


def write_xlsx(results: Iterable[dict[str, Any]], path: Path) -> int:
    """Write batch results (``check_batch(..., keep_text=True)`` records) to ``path``; returns finding rows."""
    wb = Workbook()
    findings_ws = wb.active
    findings_ws.title = "findings"
    _header(findings_ws, FINDING_COLUMNS)
    texts_ws = wb.create_sheet("texts")
    _header(texts_ws, ("id", "line", "verdict", "findings", "rewrite"))
    errors_ws = wb.create_sheet("errors")
    _header(errors_ws, ("id", "line", "error", "message"))
    rows = 0
    for result in results:
        if "error" in result:
            errors_ws.append([str(result.get("id") or ""), result.get("line"), result["error"], result["message"]])
            continue
        text = result.get("text", "")
        texts_ws.append([str(result.get("id") or ""), result.get("line"), result["verdict"],
                         len(result["findings"]), result.get("rewrite", "")])
        for f in result["findings"]:
            values = {**f, "id": str(result.get("id") or ""), "line": result.get("line"), "verdict": result["verdict"]}
            findings_ws.append([values.get(c) if c != "text" else None for c in FINDING_COLUMNS])
            row = findings_ws.max_row
            findings_ws.cell(row=row, column=FINDING_COLUMNS.index("text") + 1).value = _marked(text, f["start"], f["end"])
            span_cell = findings_ws.cell(row=row, column=FINDING_COLUMNS.index("span") + 1)
            span_cell.fill = PatternFill("solid", fgColor=_SEVERITY_FILL.get(f["severity"], "FFFFFFFF"))
            rows += 1
    for ws, widths in ((findings_ws, {"G": 18, "J": 60, "K": 30, "L": 40, "M": 30}), (texts_ws, {"E": 60})):
        for col, width in widths.items():
            ws.column_dimensions[col].width = width
            for cell in ws[col][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return rows
