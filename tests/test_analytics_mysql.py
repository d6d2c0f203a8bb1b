"""A sample of the analytics suite on MariaDB/MySQL loaded with the demo data.

Needs ZHANGGUI_TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306/test); the demo tables go into
a database of their own, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pytest

from evals.analytics import results_match
from tests.analytics_support import assert_matches_gold, demo_warehouse, settings_for
from tests.test_analytics_postgres import PG_SHAPES
from tools.analytics import ask_warehouse

pytestmark = pytest.mark.mysql
URL = os.environ.get("ZHANGGUI_TEST_MYSQL_URL")
REPO = Path(__file__).resolve().parents[1]
CASES = [json.loads(line) for line in (REPO / "evals" / "datasets" / "sql_own.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]
ANSWERABLE = [c for c in CASES if c["expected"] == "answer"][2::6]


@pytest.fixture(scope="module")
def mysql_url():  # type: ignore[no-untyped-def]
    if not URL:
        pytest.skip("ZHANGGUI_TEST_MYSQL_URL is not set: MySQL/MariaDB analytics tests skipped")
    import pymysql

    from tools.demo_data import build_demo_warehouse
    from tools.warehouse import parse_warehouse_url

    parts = urlsplit(URL)
    url = urlunsplit(parts._replace(path=f"/zg_test_{uuid.uuid4().hex[:8]}"))
    build_demo_warehouse(url)
    yield url
    t = parse_warehouse_url(url)
    con = pymysql.connect(host=t.host, port=t.port or 3306, user=t.user or "root", password=t.password or "")
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{t.database}`")
    con.close()


@pytest.fixture(scope="module")
def gold(tmp_path_factory):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(demo_warehouse(tmp_path_factory)), read_only=True,
                         config={"enable_external_access": False})
    yield con
    con.close()


@pytest.mark.parametrize("case", ANSWERABLE, ids=[c["id"] for c in ANSWERABLE])
def test_mysql_answers_match_gold(case, mysql_url: str, gold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = ask_warehouse(case["question"], today=dt.date.fromisoformat(case["today"]),
                      settings=settings_for(Path("unused"), tmp_path).model_copy(update={"warehouse_url": mysql_url}))
    assert not r.refused, r.reason
    expected = gold.execute(case["gold_sql"]).fetchall()
    assert results_match(expected, [tuple(x) for x in r.rows], ordered=" LIMIT " in case["gold_sql"].upper())


# MySQL has no PERCENTILE_CONT aggregate (MariaDB only as a window function): medians are PostgreSQL/DuckDB only.
MYSQL_SHAPES = [c for c in PG_SHAPES if "中位数" not in c[0]]


@pytest.mark.parametrize("question, gold_sql, ordered", MYSQL_SHAPES, ids=[c[0] for c in MYSQL_SHAPES])
def test_mysql_shapes_match_hand_written_sql(question: str, gold_sql: str, ordered: bool, mysql_url: str, gold,  # type: ignore[no-untyped-def]
                                             tmp_path: Path) -> None:
    assert_matches_gold(question, gold.execute(gold_sql).fetchall(), ordered, mysql_url, tmp_path)
