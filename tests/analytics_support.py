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
