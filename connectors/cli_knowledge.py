"""`zhanggui ingest | search | ask` — the knowledge base from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.settings import get_settings


def _kb():  # type: ignore[no-untyped-def]
    from knowledge.base import KnowledgeBase

    return KnowledgeBase.from_settings(get_settings())


def register(app: typer.Typer) -> None:
    from connectors.cli import print_json, reports_errors

    @app.command()
    @reports_errors
    def ingest(
        paths: list[Path] = typer.Argument(..., help="Files or folders (.txt .md .html .docx .pdf, kpis.yaml, rules)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
        json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Index documents into the knowledge base (incremental by content hash)."""
        from connectors.progress import progress

        kb = _kb()
        with progress(quiet) as bar:
            report = kb.ingest(paths, progress=bar)
        if json_out:
            print_json(report.to_dict())
            return
        for name, reason in report.skipped:
            typer.echo(f"skipped {name}: {reason}", err=True)
        if not quiet:
            stats = kb.stats()
            typer.echo(
                f"ingested {len(report.added)} new, {len(report.updated)} changed, "
                f"{len(report.unchanged)} unchanged, {len(report.removed)} removed; "
                f"{report.chunks} chunks written in {report.seconds:.1f}s; "
                f"index: {stats['documents']} documents, {stats['chunks']} chunks"
            )

    @app.command()
    @reports_errors
    def search(
        query: str = typer.Argument(..., help="What to look for (Chinese or English)."),
        k: int = typer.Option(5, "--k", "-k", help="How many passages."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show the passages that best match a question."""
        hits = _kb().search(query, k=k)
        if json_out:
            print_json([h.to_dict() for h in hits])
            return
        if not hits:
            typer.echo("no passages indexed yet: run `zhanggui ingest PATH` first")
        for i, h in enumerate(hits, 1):
            c = h.chunk
            typer.echo(f"[{i}] {c.source} · {c.section} {c.section_title}  ({h.score:.4f})")
            typer.echo("    " + c.text[:200].replace("\n", " "))

    @app.command()
    @reports_errors
    def ask(
        question: str = typer.Argument(..., help="A question about the playbooks, policies, KPIs or rules."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Answer from the knowledge base, every sentence cited (offline: extractive)."""
        from knowledge.answer import answer_question

        answer = answer_question(_kb(), question)
        if json_out:
            print_json(answer.to_dict())
            return
        typer.echo(answer.answer)
        for i, c in enumerate(answer.citations, 1):
            typer.echo(f"  [{i}] {c.source} · {c.section} {c.title}")
