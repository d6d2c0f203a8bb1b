"""Load generated demo tables into DuckDB (a file), PostgreSQL or MySQL/MariaDB (a URL).

The DDL is the contract's schema.sql: run as is on DuckDB and PostgreSQL, and adapted for
MySQL (bounded VARCHAR keys, no COMMENT ON). Bulk paths: DuckDB reads a CSV it is given,
PostgreSQL takes COPY FROM STDIN, MySQL multi-row INSERTs.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from agent.errors import BackendError, ConfigError
from tools.demo_data import DATA_DIR, TABLE_ORDER, Table
from tools.warehouse import WarehouseTarget, parse_warehouse_url


def schema_statements(dialect: str) -> list[str]:
    """CREATE TABLE statements of the contract (COMMENT ON kept for DuckDB/PostgreSQL)."""
    text = (DATA_DIR / "schema.sql").read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    stmts = [s.strip() for s in text.split(";") if s.strip()]
    if dialect == "mysql":
        stmts = [s for s in stmts if not s.upper().startswith("COMMENT ON")]
        stmts = [re.sub(r"\bVARCHAR\b(?!\s*\()", "VARCHAR(64)", s) for s in stmts]
    return stmts


def _drop_all(execute: Callable[[str], object]) -> None:
    for name in reversed(TABLE_ORDER):
        execute(f"DROP TABLE IF EXISTS {name}")


def load_tables(target: str | Path, tables: dict[str, Table], *, schema: str | None = None,
                on_table: Callable[[str], None] | None = None) -> None:
    """Create the schema and load every table, replacing earlier demo tables."""
    t = parse_warehouse_url(str(target))
    if schema:
        t = t.model_copy(update={"schema_name": schema})
    loader = {"duckdb": _load_duckdb, "postgres": _load_postgres, "mysql": _load_mysql}[t.dialect]
    try:
        loader(t, tables, on_table or (lambda _n: None))
    except (ConfigError, BackendError):
        raise
    except Exception as exc:  # driver errors differ per backend; report them in one shape
        raise BackendError(f"could not load the demo warehouse into {t.display}: {exc}") from exc


def _load_duckdb(t: WarehouseTarget, tables: dict[str, Table], on_table: Callable[[str], None]) -> None:
    import duckdb

    path = Path(t.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so a reader never sees a half-built warehouse.
    tmp = path.with_name(path.name + ".building")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for stmt in schema_statements("duckdb"):
            con.execute(stmt)
        with tempfile.TemporaryDirectory() as d:
            for name, table in tables.items():
                f = Path(d) / f"{name}.csv"
                with open(f, "w", encoding="utf-8", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(table.columns)
                    w.writerows(table.rows)
                con.execute(f"COPY {name} FROM '{f.as_posix()}' (HEADER true, NULLSTR '', DELIMITER ',')")
                on_table(name)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(path)


def _load_postgres(t: WarehouseTarget, tables: dict[str, Table], on_table: Callable[[str], None]) -> None:
    import psycopg

    with psycopg.connect(t.conninfo, autocommit=False, connect_timeout=10) as con:
        with con.cursor() as cur:
            if t.schema_name:
                cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{t.schema_name}"')
                cur.execute(f'SET search_path TO "{t.schema_name}"')
            _drop_all(lambda s: cur.execute(s + " CASCADE"))
            for stmt in schema_statements("postgres"):
                cur.execute(stmt)
            for name, table in tables.items():
                with cur.copy(f"COPY {name} ({', '.join(table.columns)}) FROM STDIN") as cp:
                    for row in table.rows:
                        cp.write_row(row)
                on_table(name)
        con.commit()


def _load_mysql(t: WarehouseTarget, tables: dict[str, Table], on_table: Callable[[str], None]) -> None:
    import pymysql

    con = pymysql.connect(host=t.host, port=t.port or 3306, user=t.user, password=t.password or "",
                          charset="utf8mb4", autocommit=False, connect_timeout=10)
    try:
        with con.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{t.database}` CHARACTER SET utf8mb4")
            cur.execute(f"USE `{t.database}`")
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            _drop_all(cur.execute)
            for stmt in schema_statements("mysql"):
                cur.execute(stmt)
            for name, table in tables.items():
                sql = f"INSERT INTO {name} ({', '.join(table.columns)}) VALUES ({', '.join(['%s'] * len(table.columns))})"
                for i in range(0, len(table.rows), 5000):
                    cur.executemany(sql, table.rows[i:i + 5000])
                on_table(name)
            cur.execute("SET FOREIGN_KEY_CHECKS = 1")
        con.commit()
    finally:
        con.close()
