"""`zhanggui demo-data` and `zhanggui sql`: build the demo warehouse and ask it questions."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import typer

from agent.errors import InputError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `zhanggui` app."""
    from connectors.cli import print_json, reports_errors

    @app.command("demo-data")
    @reports_errors
    def demo_data(
        seed: int = typer.Option(20251201, "--seed", help="Random seed; the same seed gives identical data."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
        target: str = typer.Option(None, "--target", help="DuckDB path or warehouse URL; default: the configured one."),
    ) -> None:
        """Build the demo-shop warehouse (DuckDB in the state folder, or the configured URL)."""
        from agent.settings import get_settings
        from connectors.progress import progress
        from tools.demo_data import build_demo_warehouse
        from tools.warehouse import default_duckdb_path

        settings = get_settings()
        where = target or settings.warehouse_url or str(default_duckdb_path(settings))
        started = time.perf_counter()
        with progress(quiet) as bar:
            counts = build_demo_warehouse(where, seed=seed, progress=bar)
        if not quiet:
            total = sum(counts.values())
            typer.echo(f"演示数仓已生成：{where}（{total:,} 行，{time.perf_counter() - started:.1f} 秒，seed={seed}）")
            for name, n in counts.items():
                typer.echo(f"  {name:<22} {n:>8,}")

    @app.command("sql")
    @reports_errors
    def sql(
        question: str = typer.Argument(..., help="数据问题，例如：上个月各渠道的GMV和转化率是多少"),
        today: str = typer.Option(None, "--today", help="Reference date for 上个月/最近7天 (YYYY-MM-DD); default today."),
        dialect: str = typer.Option(None, "--dialect", help="Print the SQL for this dialect (postgres, mysql, duckdb...)."),
        as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
        csv_out: Path = typer.Option(None, "--csv", help="Also write the rows to this CSV file."),
    ) -> None:
        """Answer a data question from the warehouse: the number, the SQL, the KPI definition, a chart."""
        from tools.analytics import ask_warehouse

        try:
            ref = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise InputError(f"--today 不是有效日期：{today}", hint="格式 YYYY-MM-DD，例如 2025-12-01") from None
        result = ask_warehouse(question, today=ref, dialect=dialect)
        if csv_out and not result.refused:
            csv_out.parent.mkdir(parents=True, exist_ok=True)
            with open(csv_out, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(result.columns)
                w.writerows(result.rows)
        if as_json:
            print_json(result.model_dump(mode="json"))
        elif result.refused:
            typer.echo(f"未执行：{result.reason}")
        else:
            _print_table(result.columns, result.rows)
            typer.echo(f"\n{result.summary}")
            for k in result.kpis:
                typer.echo(f"口径 · {k['definition']}")
            typer.echo(f"\nSQL（{result.dialect}）：\n{result.sql}")
            if result.chart:
                typer.echo(f"\n图表：{result.chart}")
        if csv_out and not result.refused:
            typer.echo(f"CSV：{csv_out}", err=True)
        if result.refused:
            raise typer.Exit(1)


def _print_table(columns: list[str], rows: list[list[object]], limit: int = 50) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns)
    for r in rows[:limit]:
        table.add_row(*("" if v is None else str(v) for v in r))
    Console().print(table)
    if len(rows) > limit:
        typer.echo(f"…共 {len(rows)} 行，只显示前 {limit} 行（--csv 导出全部）")
