"""Helpers shared by the analytics test files: one demo warehouse per test session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

TODAY = dt.date(2025, 12, 1)


def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo DuckDB warehouse, built once per session in a shared temp folder (default seed)."""
    from tools.demo_data import build_demo_warehouse

    path = tmp_path_factory.getbasetemp() / "analytics_demo" / "warehouse.duckdb"
    if not path.exists():
        build_demo_warehouse(path)
    return path


def settings_for(path: Path, home: Path, **extra: object):
    from agent.settings import Settings

    return Settings(home=home, warehouse_url=str(path), **extra)


def row_counts(con) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from tools.demo_data import TABLE_ORDER

    return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLE_ORDER}


def assert_matches_gold(question: str, gold_rows: list[tuple], ordered: bool, warehouse_url: str, home: Path,
                        today: dt.date | None = None) -> None:
    """Ask ``question`` of the warehouse at ``warehouse_url`` and compare its rows with the gold rows."""
    from evals.analytics import results_match
    from tools.analytics import ask_warehouse

    r = ask_warehouse(question, today=today or TODAY,
                      settings=settings_for(Path("unused"), home).model_copy(update={"warehouse_url": warehouse_url}))
    assert not r.refused, r.reason
    assert results_match(gold_rows, [tuple(x) for x in r.rows], ordered), r.sql
