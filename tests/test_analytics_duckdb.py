"""End to end on the demo DuckDB: questions → numbers equal to hand-written SQL, refusals, bad input,
the CLI, charts, corrections of LLM-written SQL, and nothing ever written to the warehouse."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest

from agent.errors import BackendError, InputError, RefusedError
from evals.analytics import results_match
from tests.analytics_support import TODAY, demo_warehouse, row_counts, settings_for
from tools.analytics import ask_warehouse, run_guarded_sql

REPO = Path(__file__).resolve().parents[1]
CASES = [json.loads(line) for line in (REPO / "evals" / "datasets" / "sql_own.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]
ANSWERABLE = [c for c in CASES if c["expected"] == "answer"][::4]  # every fourth: a fast, varied sample
REFUSALS = [c for c in CASES if c["expected"] != "answer"]


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return demo_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def gold(wh: Path):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(wh), read_only=True, config={"enable_external_access": False})
    yield con
    con.close()


@pytest.mark.parametrize("case", ANSWERABLE, ids=[c["id"] for c in ANSWERABLE])
def test_answers_match_gold_sql(case, wh: Path, gold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    r = ask_warehouse(case["question"], today=dt.date.fromisoformat(case["today"]), settings=settings_for(wh, tmp_path))
    assert not r.refused, r.reason
    expected = gold.execute(case["gold_sql"]).fetchall()
    assert results_match(expected, [tuple(x) for x in r.rows], ordered=" LIMIT " in case["gold_sql"].upper())


@pytest.mark.parametrize("case", REFUSALS, ids=[c["id"] for c in REFUSALS])
def test_refusals_are_refused_and_write_nothing(case, wh: Path, gold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = row_counts(gold)
    r = ask_warehouse(case["question"], today=TODAY, settings=settings_for(wh, tmp_path))
    assert r.refused and r.reason and r.sql is None and r.rows == []
    assert row_counts(gold) == before


def test_full_result_shape(wh: Path, tmp_path: Path) -> None:
    r = ask_warehouse("上个月各渠道的GMV和转化率是多少", today=TODAY, settings=settings_for(wh, tmp_path),
                      chart_dir=tmp_path / "charts")
    data = r.model_dump()
    assert set(data) == {"question", "semantic_query", "sql", "dialect", "columns", "rows", "kpis", "summary", "chart",
                         "refused", "reason"}
    assert data["columns"][0] == "channel" and len(data["rows"]) == 7
    assert [k["id"] for k in data["kpis"]] == ["gmv", "conversion_rate"] and "支付" in data["kpis"][0]["definition"]
    assert "上个月" in data["summary"] and data["dialect"] == "duckdb"
    assert "2025-11-01" in data["sql"] and "CURRENT_DATE" not in data["sql"].upper()
    png = Path(data["chart"])
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_font_renders_chinese() -> None:
    from tools.charts import cjk_font_path

    path = cjk_font_path()
    assert path is not None, "no CJK font: install mplfonts"
    from matplotlib import ft2font

    font = ft2font.FT2Font(path)
    assert font.get_char_index(ord("渠")) != 0


def test_postgres_dialect_is_printed(wh: Path, tmp_path: Path) -> None:
    r = ask_warehouse("上个月CTR", today=TODAY, settings=settings_for(wh, tmp_path), dialect="postgres")
    assert r.dialect == "postgres" and not r.refused and r.rows


@pytest.mark.parametrize(("question", "word"), [
    ("", "空"), ("GMV" * 3334, "太长"), ("2025年2月30日的GMV", "不存在"), ("上个月直播间观看人数", "指标"),
    ("上个月广东的访客数", "省份"),
])
def test_bad_input_gets_a_clear_reason(question: str, word: str, wh: Path, tmp_path: Path) -> None:
    r = ask_warehouse(question, today=TODAY, settings=settings_for(wh, tmp_path))
    assert r.refused and word in (r.reason or "")


def test_missing_or_unreachable_warehouse(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="does not exist") as info:
        ask_warehouse("上个月GMV", today=TODAY, settings=settings_for(tmp_path / "none.duckdb", tmp_path))
    assert "demo-data" in (info.value.hint or "")
    with pytest.raises(BackendError, match="cannot connect"):
        ask_warehouse("上个月GMV", today=TODAY,
                      settings=settings_for(Path("x"), tmp_path).model_copy(
                          update={"warehouse_url": "postgresql://nobody@127.0.0.1:1/none"}))


def test_query_past_the_timeout_is_stopped(wh: Path) -> None:
    from tools.warehouse import DuckDbRunner

    runner = DuckDbRunner(str(wh))
    slow = "SELECT SUM(i % 7) FROM range(100000000000) t(i)"  # minutes of work without the timeout
    with pytest.raises(BackendError, match="took longer"):
        runner.run(slow, timeout_s=0.3)
    runner.close()


def test_llm_sql_is_guarded_and_corrected(wh: Path, tmp_path: Path) -> None:
    settings = settings_for(wh, tmp_path)
    calls: list[str] = []

    def correct(sql: str, error: str) -> str:
        calls.append(error)
        return "SELECT SUM(paid_amount) AS gmv FROM fact_orders WHERE pay_time IS NOT NULL"

    r = run_guarded_sql("SELECT SUM(paid_amont) FROM fact_orders", settings, correct=correct)
    assert not r.refused and r.rows[0][0] > 0 and len(calls) == 1 and "paid_amont" in calls[0]
    bad = run_guarded_sql("DELETE FROM fact_orders", settings, correct=lambda s, e: s)
    assert bad.refused and "DELETE" in (bad.reason or "")
    gone = run_guarded_sql("SELECT nope FROM fact_orders", settings)
    assert gone.refused


def test_read_only_connection_refuses_writes_even_past_the_guard(wh: Path) -> None:
    from tools.warehouse import DuckDbRunner

    runner = DuckDbRunner(str(wh))
    with pytest.raises(BackendError):
        runner.run("DELETE FROM fact_orders")
    with pytest.raises(BackendError):
        runner.run("SELECT * FROM read_csv('/etc/passwd')")
    runner.close()


def test_cli_sql_json_and_csv(wh: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from agent.settings import get_settings
    from connectors.cli import app

    monkeypatch.setenv("ZHANGGUI_WAREHOUSE_URL", str(wh))
    get_settings.cache_clear()
    out_csv = tmp_path / "rows.csv"
    res = CliRunner().invoke(app, ["sql", "上周每天的GMV", "--today", "2025-12-01", "--json", "--csv", str(out_csv)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout[res.stdout.index("{"):])
    # GMV comes with its companions (the paid orders and buyers behind it)
    assert len(data["rows"]) == 7 and data["columns"] == ["day", "gmv", "paid_orders", "paying_buyers"]
    assert out_csv.read_text(encoding="utf-8-sig").splitlines()[0] == "day,gmv,paid_orders,paying_buyers"
    res = CliRunner().invoke(app, ["sql", "删掉订单表", "--today", "2025-12-01"])
    assert res.exit_code == 1 and "只读" in res.output
    res = CliRunner().invoke(app, ["sql", "上个月GMV", "--today", "2025-13-01"])
    assert res.exit_code == 2


def test_cli_demo_data(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from agent.settings import get_settings
    from connectors.cli import app

    monkeypatch.setenv("ZHANGGUI_HOME", str(tmp_path))
    get_settings.cache_clear()
    started = time.perf_counter()
    res = CliRunner().invoke(app, ["demo-data", "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "warehouse.duckdb").exists() and "fact_orders" in res.output
    assert time.perf_counter() - started > 0  # timing is measured in evals, not asserted here


@pytest.mark.parametrize(("question", "column", "shown"), [
    ("上个月日均GMV是多少", "gmv_per_day", "日均"),
    ("上个月抖音GMV占全店的比例", "gmv_share", "占全店"),
])
def test_summary_states_the_figure_asked_for(question: str, column: str, shown: str, wh: Path,
                                             tmp_path: Path) -> None:
    r = ask_warehouse(question, today=TODAY, settings=settings_for(wh, tmp_path), chart_dir=tmp_path / "charts")
    value = r.rows[0][r.columns.index(column)]
    assert shown in r.summary
    if column.endswith("_share"):
        assert f"{value * 100:.2f}%" in r.summary
    else:
        assert f"{value:,.2f}" in r.summary
