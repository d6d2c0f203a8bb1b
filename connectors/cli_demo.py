"""`zhanggui demo` — the main job on the embedded defaults, offline, in one command.

Builds the knowledge base (shipped corpus, plus the raw seed playbooks when they are
present), the DuckDB demo warehouse, and then shows one answer from each capability.
"""

from __future__ import annotations

import datetime as dt

import typer

from agent.settings import PROJECT_ROOT, get_settings

SAMPLES = {
    "ask": "双十一预热期要做哪些准备?",
    "check": "全网最低价!本品第一品牌,三天美白祛斑,无效退款。",
    "sql": "上个月各渠道的GMV和转化率是多少",
}
DEMO_TODAY = dt.date(2025, 12, 1)  # the demo warehouse's data runs to 2025-11-30


def register(app: typer.Typer) -> None:
    from connectors.cli import reports_errors

    @app.command()
    @reports_errors
    def demo(quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display.")) -> None:
        """Build the knowledge base and demo warehouse, then answer one sample of each kind."""
        from connectors.progress import progress
        from knowledge.answer import answer_question
        from knowledge.base import KnowledgeBase
        from tools.analytics import ask_warehouse
        from tools.compliance import check_text
        from tools.demo_data import build_demo_warehouse
        from tools.warehouse import default_duckdb_path

        settings = get_settings()
        kb = KnowledgeBase.from_settings(settings)
        paths = [PROJECT_ROOT / "knowledge" / "corpus"]
        if settings.seeds_dir.is_dir():
            paths.append(settings.seeds_dir)
        typer.echo(f"1/3 knowledge base: ingesting {', '.join(str(p) for p in paths)}")
        with progress(quiet) as bar:
            report = kb.ingest(paths, progress=bar)
            stats = kb.stats()
            typer.echo(f"    {stats['documents']} documents, {stats['chunks']} chunks "
                       f"({len(report.added) + len(report.updated)} (re)indexed, {len(report.unchanged)} unchanged)")
            warehouse = default_duckdb_path(settings)
            if settings.warehouse_url is None and not warehouse.exists():
                typer.echo(f"2/3 demo warehouse: building {warehouse}")
                build_demo_warehouse(warehouse, progress=bar)
            else:
                typer.echo(f"2/3 demo warehouse: {settings.warehouse_url or warehouse}")
        typer.echo("3/3 one answer of each kind (offline, no LLM):\n")

        answer = answer_question(kb, SAMPLES["ask"])
        typer.echo(f"» zhanggui ask \"{SAMPLES['ask']}\"\n{answer.answer}")
        for i, c in enumerate(answer.citations, 1):
            typer.echo(f"  [{i}] {c.source} · {c.section}")

        report_c = check_text(SAMPLES["check"])
        typer.echo(f"\n» zhanggui check \"{SAMPLES['check']}\"\nverdict: {report_c.verdict}")
        for f in report_c.findings:
            typer.echo(f"  [{f.severity}] {f.span} — {f.category} · {f.basis}")
        typer.echo(f"  rewrite: {report_c.rewrite}")

        result = ask_warehouse(SAMPLES["sql"], today=DEMO_TODAY, settings=settings)
        typer.echo(f"\n» zhanggui sql \"{SAMPLES['sql']}\" --today {DEMO_TODAY}\n{result.summary}")
        typer.echo(f"  columns: {result.columns}")
        for row in result.rows[:8]:
            typer.echo(f"  {row}")
        if result.chart:
            typer.echo(f"  chart: {result.chart}")
        typer.echo("\nNext: zhanggui ask/search/check/sql/chat/serve --help")
