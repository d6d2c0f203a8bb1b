"""The SQL guard's policy, pinned by a table of statements and what must happen to each."""

from __future__ import annotations

import pytest

from agent.errors import RefusedError
from tools.sql_guard import MAX_ROWS, allowed_schema, guard_sql

# (statement, dialect, words the refusal reason must contain)
REFUSED = [
    ("DROP TABLE fact_orders", "duckdb", "DROP"),
    ("CREATE TABLE x AS SELECT 1", "duckdb", "CREATE"),
    ("ALTER TABLE fact_orders ADD COLUMN x INT", "duckdb", "ALTER"),
    ("TRUNCATE fact_orders", "postgres", "TRUNCATE"),
    ("DELETE FROM fact_orders WHERE status = 'cancelled'", "duckdb", "DELETE"),
    ("UPDATE fact_orders SET paid_amount = 0", "postgres", "UPDATE"),
    ("INSERT INTO dim_channel VALUES ('x', 'x', 'x', 'shelf', DATE '2020-01-01')", "duckdb", "INSERT"),
    ("MERGE INTO dim_channel USING dim_channel d ON true WHEN MATCHED THEN DELETE", "postgres", "MERGE"),
    ("COPY fact_orders TO '/tmp/orders.csv'", "duckdb", "COPY"),
    ("ATTACH 'other.duckdb' AS other", "duckdb", "ATTACH"),
    ("DETACH other", "duckdb", "DETACH"),
    ("PRAGMA table_info('fact_orders')", "duckdb", "PRAGMA"),
    ("SET threads = 1", "duckdb", "SET"),
    ("INSTALL httpfs", "duckdb", "INSTALL"),
    ("LOAD httpfs", "duckdb", "COMMAND"),
    ("CALL pragma_version()", "duckdb", "COMMAND"),
    ("WITH d AS (DELETE FROM fact_orders RETURNING *) SELECT * FROM d", "postgres", "DELETE"),
    ("SELECT * INTO orders_copy FROM fact_orders", "postgres", "INTO"),
    ("SELECT * FROM fact_orders FOR UPDATE", "postgres", "LOCK"),
    ("SELECT * FROM read_csv('/etc/passwd')", "duckdb", "READ_CSV"),
    ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "duckdb", "READ_PARQUET"),
    ("SELECT * FROM read_json_auto('x.json')", "duckdb", "read_json_auto"),
    ("SELECT pg_read_file('/etc/passwd')", "postgres", "pg_read_file"),
    ("SELECT * FROM glob('*')", "duckdb", "GLOB"),
    ("SELECT pg_sleep(10)", "postgres", "pg_sleep"),
    ("SELECT * FROM '/etc/passwd'", "duckdb", "不存在"),
    ("SELECT 1; DROP TABLE fact_orders", "duckdb", "一条语句"),
    ("SELECT 1; SELECT 2", "duckdb", "一条语句"),
    ("SELECT * FROM users", "duckdb", "users"),
    ("SELECT * FROM information_schema.tables", "postgres", "information_schema"),
    ("SELECT * FROM pg_catalog.pg_user", "postgres", "pg_catalog"),
    ("SELECT foo FROM fact_orders", "duckdb", "foo"),
    ("SELECT phone FROM dim_customer", "duckdb", "个人信息"),
    ("SELECT customer_id, address FROM dim_customer", "postgres", "个人信息"),
    ("SELECT name, email FROM dim_customer", "duckdb", "个人信息"),
    ("", "duckdb", "为空"),
    ("SELEC * FRM fact_orders", "duckdb", "SELECT"),
]

# (statement, dialect, expected LIMIT in the output)
ALLOWED = [
    ("SELECT SUM(paid_amount) AS gmv FROM fact_orders WHERE pay_time IS NOT NULL", "duckdb", MAX_ROWS),
    ("SELECT channel_code, COUNT(*) FROM fact_orders GROUP BY 1 ORDER BY 2 DESC LIMIT 5", "postgres", 5),
    ("SELECT * FROM fact_orders LIMIT 50000", "duckdb", MAX_ROWS),
    ("WITH g AS (SELECT channel_code, SUM(paid_amount) AS gmv FROM fact_orders GROUP BY 1) SELECT * FROM g", "postgres",
     MAX_ROWS),
    ("SELECT sku FROM dim_product UNION SELECT sku FROM fact_inventory_daily", "duckdb", MAX_ROWS),
    ("SELECT c.province, COUNT(DISTINCT o.customer_id) AS buyers FROM fact_orders o "
     "JOIN dim_customer c ON c.customer_id = o.customer_id GROUP BY c.province", "mysql", MAX_ROWS),
]


@pytest.mark.parametrize(("sql", "dialect", "reason_word"), REFUSED)
def test_refused_with_reason(sql: str, dialect: str, reason_word: str) -> None:
    with pytest.raises(RefusedError) as info:
        guard_sql(sql, dialect)
    assert reason_word.lower() in info.value.message.lower()


@pytest.mark.parametrize(("sql", "dialect", "limit"), ALLOWED)
def test_allowed_gets_a_limit(sql: str, dialect: str, limit: int) -> None:
    out = guard_sql(sql, dialect)
    assert out.rstrip().upper().endswith(f"LIMIT {limit}")


def test_allow_list_is_the_contract_schema() -> None:
    schema = allowed_schema()
    assert len(schema) == 11
    assert "allocated_paid_amount" in schema["fact_order_items"]
    assert not {"name", "phone", "address"} & set().union(*schema.values())
