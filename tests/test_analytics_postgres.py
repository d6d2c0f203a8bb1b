"""The same analytics suite on a real PostgreSQL server loaded with the demo data.

Needs ZHANGGUI_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test); the demo
tables go into a schema of their own, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import duckdb
import pytest

from evals.analytics import results_match
from tests.analytics_support import TODAY, assert_matches_gold, demo_warehouse, settings_for
from tests.test_analytics_shapes import CASES as SHAPES
from tools.analytics import ask_warehouse

pytestmark = pytest.mark.postgres
URL = os.environ.get("ZHANGGUI_TEST_POSTGRES_URL")
REPO = Path(__file__).resolve().parents[1]
CASES = [json.loads(line) for line in (REPO / "evals" / "datasets" / "sql_own.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]
ANSWERABLE = [c for c in CASES if c["expected"] == "answer"][1::3]
REFUSALS = [c for c in CASES if c["expected"] != "answer"][::3]


@pytest.fixture(scope="module")
def pg_url():  # type: ignore[no-untyped-def]
    if not URL:
        pytest.skip("ZHANGGUI_TEST_POSTGRES_URL is not set: PostgreSQL analytics tests skipped")
    import psycopg

    from tools.demo_data import build_demo_warehouse

    schema = f"zg_test_{uuid.uuid4().hex[:8]}"
    build_demo_warehouse(URL, schema=schema)
    sep = "&" if "?" in URL else "?"
    yield f"{URL}{sep}schema={schema}"
    with psycopg.connect(URL, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
def gold(tmp_path_factory):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(demo_warehouse(tmp_path_factory)), read_only=True,
                         config={"enable_external_access": False})
    yield con
    con.close()


def _pg_counts(url: str) -> dict[str, int]:
    from tools.demo_data import TABLE_ORDER
    from tools.warehouse import PostgresRunner, parse_warehouse_url

    runner = PostgresRunner(parse_warehouse_url(url))
    try:
        return {t: runner.run(f"SELECT COUNT(*) FROM {t}").rows[0][0] for t in TABLE_ORDER}
    finally:
        runner.close()


@pytest.mark.parametrize("case", ANSWERABLE, ids=[c["id"] for c in ANSWERABLE])
def test_postgres_answers_match_gold(case, pg_url: str, gold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = ask_warehouse(case["question"], today=dt.date.fromisoformat(case["today"]),
                      settings=settings_for(Path("unused"), tmp_path).model_copy(update={"warehouse_url": pg_url}))
    assert not r.refused, r.reason
    assert r.dialect == "postgres"
    expected = gold.execute(case["gold_sql"]).fetchall()
    assert results_match(expected, [tuple(x) for x in r.rows], ordered=" LIMIT " in case["gold_sql"].upper())


@pytest.mark.parametrize("case", REFUSALS, ids=[c["id"] for c in REFUSALS])
def test_postgres_refusals_write_nothing(case, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = _pg_counts(pg_url)
    r = ask_warehouse(case["question"], today=TODAY,
                      settings=settings_for(Path("unused"), tmp_path).model_copy(update={"warehouse_url": pg_url}))
    assert r.refused
    assert _pg_counts(pg_url) == before


# Shapes whose SQL leans on the dialect: percentiles, a retention row per month, 环比 inside a list, combined slices,
# date arithmetic in a cohort, periods side by side, a stock of members, changes between exact ratios.
PG_SHAPES = [c for c in SHAPES if c[0].startswith(("11月客服首响", "3月份首单", "今年每个季度", "上个月天猫和京东", "9月有购买",
                                                  "Put Double 11", "现在各个会员", "11月各渠道的加购率"))]


@pytest.mark.parametrize("question, gold_sql, ordered", PG_SHAPES, ids=[c[0] for c in PG_SHAPES])
def test_postgres_shapes_match_hand_written_sql(question: str, gold_sql: str, ordered: bool, pg_url: str, gold,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    assert_matches_gold(question, gold.execute(gold_sql).fetchall(), ordered, pg_url, tmp_path)


def test_postgres_connection_is_read_only_with_a_timeout(pg_url: str) -> None:
    from agent.errors import BackendError
    from tools.warehouse import PostgresRunner, parse_warehouse_url

    runner = PostgresRunner(parse_warehouse_url(pg_url))
    try:
        with pytest.raises(BackendError, match="read-only"):
            runner.run("DELETE FROM fact_refunds")
        with pytest.raises(BackendError, match="took longer"):
            runner.run("SELECT pg_sleep(5)", timeout_s=0.3)
    finally:
        runner.close()
