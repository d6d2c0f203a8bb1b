"""The numbers behind an answer: a SKU's name and spec beside it, the order count beside GMV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from agent.settings import Settings
from tests.analytics_support import demo_warehouse
from tools.analytics import ask_warehouse

TODAY = dt.date(2025, 12, 1)


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return demo_warehouse(tmp_path_factory)


def ask(wh: Path, question: str):  # type: ignore[no-untyped-def]
    result = ask_warehouse(question, today=TODAY, settings=Settings(home=wh.parent, warehouse_url=str(wh)))
    assert not result.refused, result.reason
    return result


def test_sku_rows_carry_product_name_and_spec(wh: Path) -> None:
    result = ask(wh, "上个月销量前五的SKU")
    cols = result.columns
    assert cols[:2] == ["sku", "paid_units"] and {"product_name", "sku_spec"} <= set(cols)
    con = duckdb.connect(str(wh), read_only=True, config={"enable_external_access": False})
    names = dict(((s, (n, p)) for s, n, p in con.execute("SELECT sku, product_name, sku_spec FROM dim_product").fetchall()))
    con.close()
    for row in result.rows:
        r = dict(zip(cols, row))
        assert names[r["sku"]] == (r["product_name"], r["sku_spec"])
    assert len(result.rows) == 5


def test_product_rows_carry_their_spu(wh: Path) -> None:
    result = ask(wh, "上个月浏览量最高的商品")
    r = dict(zip(result.columns, result.rows[0]))
    assert r["spu"].startswith("SP") and r["product"]


def test_gmv_comes_with_its_orders_and_the_summary_stays_on_gmv(wh: Path) -> None:
    result = ask(wh, "上个月各渠道的GMV")
    assert result.columns[:2] == ["channel", "gmv"] and "paid_orders" in result.columns
    con = duckdb.connect(str(wh), read_only=True, config={"enable_external_access": False})
    orders = con.execute("SELECT COUNT(*) FROM fact_orders WHERE pay_time >= DATE '2025-11-01' "
                         "AND pay_time < DATE '2025-12-01'").fetchone()[0]
    con.close()
    i = result.columns.index("paid_orders")
    assert sum(row[i] for row in result.rows) == orders
    assert "支付金额" in result.summary and "订单" not in result.summary


def test_refund_amount_comes_with_the_refund_count(wh: Path) -> None:
    result = ask(wh, "上个月各退款原因的退款金额")
    assert "refund_count" in result.columns and all(row[result.columns.index("refund_count")] > 0 for row in result.rows)


def test_a_companion_from_other_rows_is_left_out(wh: Path) -> None:
    # units come from order items, not orders: GMV of one channel shows orders, not units
    result = ask(wh, "昨天抖音卖了多少钱")
    assert "paid_orders" in result.columns and "paid_units" not in result.columns


def test_a_share_comes_with_the_total_it_is_of(wh: Path) -> None:
    result = ask(wh, "上个月女性买家贡献的GMV占比多少")
    r = dict(zip(result.columns, result.rows[0]))
    assert len(result.rows) == 1 and r["gmv_total"] > r["gmv"]
    assert abs(r["gmv_share"] - r["gmv"] / r["gmv_total"]) < 1e-4
