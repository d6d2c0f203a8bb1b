"""The demo warehouse: deterministic from a seed, and the contract's properties hold."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from tests.analytics_support import demo_warehouse
from tools.demo_data import TABLE_ORDER, generate


@pytest.fixture(scope="module")
def con(tmp_path_factory):  # type: ignore[no-untyped-def]
    c = duckdb.connect(str(demo_warehouse(tmp_path_factory)), read_only=True,
                       config={"enable_external_access": False})
    yield c
    c.close()


def _digest(seed: int) -> str:
    h = hashlib.sha256()
    for name, t in generate(seed).items():
        h.update(name.encode())
        for r in t.rows:
            h.update(repr(r).encode())
    return h.hexdigest()


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _digest(11) == _digest(11)
    assert _digest(11) != _digest(12)


def q(con, sql: str):  # type: ignore[no-untyped-def]
    return con.execute(sql).fetchone()[0]


# (check, SQL returning one number, low, high)
PROPERTIES = [
    ("all eleven tables exist", "SELECT COUNT(*) FROM information_schema.tables WHERE table_name IN ("
     + ", ".join(f"'{t}'" for t in TABLE_ORDER) + ")", 11, 11),
    ("about 2,000 customers", "SELECT COUNT(*) FROM dim_customer", 1900, 2100),
    ("about 30,000 orders", "SELECT COUNT(*) FROM fact_orders", 28000, 32000),
    ("the 40 SKUs", "SELECT COUNT(*) FROM dim_product", 40, 40),
    ("every status occurs", "SELECT COUNT(DISTINCT status) FROM fact_orders", 6, 6),
    ("pay_time null exactly when never paid",
     "SELECT COUNT(*) FROM fact_orders WHERE (pay_time IS NULL) <> (status IN ('created','cancelled'))", 0, 0),
    ("unpaid orders have paid_amount 0", "SELECT COUNT(*) FROM fact_orders WHERE pay_time IS NULL AND paid_amount <> 0", 0, 0),
    ("paid = gross - discount + shipping",
     "SELECT COUNT(*) FROM fact_orders WHERE pay_time IS NOT NULL AND paid_amount <> gross_amount - discount_amount + shipping_fee", 0, 0),
    ("items sum to gross", "SELECT COUNT(*) FROM fact_orders o JOIN (SELECT order_id, SUM(amount) a FROM fact_order_items "
     "GROUP BY 1) i USING (order_id) WHERE i.a <> o.gross_amount", 0, 0),
    ("allocated sums to paid less shipping", "SELECT COUNT(*) FROM fact_orders o JOIN (SELECT order_id, "
     "SUM(allocated_paid_amount) a FROM fact_order_items GROUP BY 1) i USING (order_id) "
     "WHERE i.a <> CASE WHEN o.pay_time IS NULL THEN 0 ELSE o.paid_amount - o.shipping_fee END", 0, 0),
    ("refunds 5-8% of paid amount", "SELECT SUM(refund_amount) / (SELECT SUM(paid_amount) FROM fact_orders) FROM fact_refunds", 0.05, 0.08),
    ("refunds only on paid orders", "SELECT COUNT(*) FROM fact_refunds r JOIN fact_orders o USING (order_id) "
     "WHERE o.pay_time IS NULL OR r.created_at < o.pay_time", 0, 0),
    ("conversion between 2% and 6% per channel", "SELECT MIN(cr) >= 0.02 AND MAX(cr) <= 0.06 FROM (SELECT o.channel_code, "
     "COUNT(DISTINCT o.customer_id || CAST(CAST(o.pay_time AS DATE) AS VARCHAR)) * 1.0 / MAX(t.uv_sum) cr FROM fact_orders o "
     "JOIN (SELECT channel_code, SUM(uv) uv_sum FROM fact_traffic_daily WHERE sku IS NULL GROUP BY 1) t USING (channel_code) "
     "WHERE o.pay_time IS NOT NULL GROUP BY 1)", 1, 1),
    ("双十一 peak beats an ordinary day", "SELECT (SELECT SUM(paid_amount) FROM fact_orders WHERE CAST(pay_time AS DATE) = "
     "DATE '2025-11-11') > 3 * (SELECT SUM(paid_amount) FROM fact_orders WHERE CAST(pay_time AS DATE) = DATE '2025-09-10')", 1, 1),
    ("year-on-year growth", "SELECT (SELECT SUM(paid_amount) FROM fact_orders WHERE pay_time >= DATE '2025-01-01' AND pay_time < "
     "DATE '2025-11-01') > (SELECT SUM(paid_amount) FROM fact_orders WHERE pay_time >= DATE '2024-01-01' AND pay_time < DATE '2024-11-01')", 1, 1),
    ("抖音 share grows", "SELECT (SELECT AVG(CASE WHEN channel_code='douyin' THEN 1.0 ELSE 0 END) FROM fact_orders WHERE "
     "order_time >= DATE '2025-09-01') > (SELECT AVG(CASE WHEN channel_code='douyin' THEN 1.0 ELSE 0 END) FROM fact_orders "
     "WHERE order_time < DATE '2024-04-01')", 1, 1),
    ("data ends 2025-11-30", "SELECT CAST(MAX(pay_time) AS DATE) = DATE '2025-11-30' FROM fact_orders", 1, 1),
    ("no personal data columns", "SELECT COUNT(*) FROM information_schema.columns WHERE column_name IN "
     "('name','phone','address','email')", 0, 0),
]


@pytest.mark.parametrize(("check", "sql", "low", "high"), PROPERTIES, ids=[p[0] for p in PROPERTIES])
def test_contract_properties(con, check: str, sql: str, low: float, high: float) -> None:  # type: ignore[no-untyped-def]
    value = float(q(con, sql))
    assert low <= value <= high, check


def test_refund_rate_higher_on_douyin(con) -> None:  # type: ignore[no-untyped-def]
    rates = dict(con.execute(
        "SELECT o.channel_code, SUM(r.refund_amount) / ANY_VALUE(p.paid) FROM fact_refunds r JOIN fact_orders o USING (order_id) "
        "JOIN (SELECT channel_code, SUM(paid_amount) paid FROM fact_orders GROUP BY 1) p USING (channel_code) GROUP BY 1").fetchall())
    assert rates["douyin"] > rates["tmall"]
