"""`zhanggui check` — the advertising-compliance checker from the command line."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import typer

_SEVERITY_ZH = {"block": "禁止", "warn": "警告", "info": "提示"}
_VERDICT_ZH = {"pass": "通过", "warn": "有风险", "block": "不通过"}


def _print_report(report: dict[str, Any]) -> None:
    """A reviewer-readable report: verdict, each finding with basis and suggestion, the rewrite."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    findings = report["findings"]
    console.print(f"结论：[bold]{_VERDICT_ZH[report['verdict']]}[/bold]（{report['verdict']}），{len(findings)} 处问题")
    for i, f in enumerate(findings, 1):
        style = {"block": "red", "warn": "yellow"}.get(f["severity"], "cyan")
        console.print(
            f"{i}. [{style}]“{escape(f['span'])}”[/{style}] [{f['start']}:{f['end']}] "
            f"{_SEVERITY_ZH[f['severity']]} · {f['category']} · {f['rule_id']}"
            + (" · 模型" if f["source"] == "model" else "")
        )
        console.print(f"   原因：{escape(f['explanation'])}")
        console.print(f"   依据：{escape(f['basis'])}")
        console.print(f"   建议：{escape(f['suggestion'])}")
    if findings and report["rewrite"]:
        console.print(f"改写参考：{escape(report['rewrite'])}")


def _run_batch(source: Path, out: Path | None, xlsx: Path | None, quiet: bool) -> dict[str, int]:
    from agent.errors import NotFoundError
    from connectors.progress import progress
    from tools.compliance import check_batch

    if not source.is_file():
        raise NotFoundError(f"no such file: {source}", hint="pass a JSONL file with one {\"id\", \"text\", \"category\"} per line")
    counts = {"lines": 0, "errors": 0, "findings": 0}
    collected: list[dict[str, Any]] = []
    with ExitStack() as stack, progress(quiet) as bar:
        raw = stack.enter_context(source.open("rb"))
        sink = stack.enter_context(out.open("w", encoding="utf-8")) if out else sys.stdout
        bar.start("checking lines")
        for result in check_batch(raw, keep_text=xlsx is not None):
            counts["lines"] += 1
            counts["errors"] += "error" in result
            counts["findings"] += len(result.get("findings", []))
            if xlsx is not None:
                collected.append(result)
                result = {k: v for k, v in result.items() if k != "text"}
            sink.write(json.dumps(result, ensure_ascii=False) + "\n")
            bar.advance("checking lines")
    if xlsx is not None:
        from tools.compliance_xlsx import write_xlsx

        write_xlsx(collected, xlsx)
    return counts


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `zhanggui` app."""
    from connectors.cli import print_json, reports_errors

    @app.command()
    @reports_errors
    def check(
        text: str | None = typer.Argument(None, help="The ad text to check (a title, detail page, script, note)."),
        category: str | None = typer.Option(None, "--category", "-c", help="Product category id, e.g. cosmetics, food, health_food."),
        json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        jsonl: Path | None = typer.Option(None, "--jsonl", help='Check a JSONL file of {"id", "text", "category"} lines.'),
        out: Path | None = typer.Option(None, "--out", "-o", help="With --jsonl: write results here instead of stdout."),
        xlsx: Path | None = typer.Option(None, "--xlsx", help="With --jsonl: also write a reviewer's Excel report."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    ) -> None:
        """Check ad copy against Chinese advertising law: findings with span, rule, basis, suggestion and a rewrite."""
        from agent.errors import InputError
        from tools.compliance import check_text

        if jsonl is not None:
            if text is not None:
                raise InputError("give either a text or --jsonl, not both")
            counts = _run_batch(jsonl, out, xlsx, quiet)
            if out is not None or xlsx is not None:
                typer.echo(
                    f"checked {counts['lines']} lines: {counts['findings']} findings, {counts['errors']} line errors"
                    + (f"; results in {out}" if out else "") + (f"; report in {xlsx}" if xlsx else ""),
                    err=True,
                )
            return
        if out is not None or xlsx is not None:
            raise InputError("--out and --xlsx go with --jsonl", hint="zhanggui check --jsonl in.jsonl --xlsx report.xlsx")
        if text is None:
            raise InputError("nothing to check", hint='zhanggui check "文案" [--category cosmetics] [--json]')
        report = check_text(text, category).model_dump()
        if json_out:
            print_json(report)
        else:
            _print_report(report)
