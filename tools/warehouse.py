"""Where analytics SQL runs: one small ``SqlRunner`` interface, one class per backend.

Warehouse URL forms (``ZHANGGUI_WAREHOUSE_URL`` / ``Settings.warehouse_url``):

- unset: the DuckDB demo warehouse ``<home>/warehouse.duckdb``
- ``duckdb:///path/to/file.duckdb`` or a plain path ending in ``.duckdb``
- ``postgresql://user:pass@host:5432/db`` (also ``postgres://``, ``postgresql+psycopg://``);
  ``?schema=name`` picks the schema holding the tables
- ``mysql://user:pass@host:3306/db`` (also ``mysql+pymysql://``, ``mariadb://``)

Every connection is read-only (DuckDB ``read_only`` with external access off, a PostgreSQL /
MySQL read-only transaction) and every statement has a timeout.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from pydantic import BaseModel

from agent.errors import BackendError, ConfigError
from agent.settings import Settings, get_settings

DEFAULT_TIMEOUT_S = 10.0


class WarehouseTarget(BaseModel):
    """A parsed warehouse URL."""

    dialect: str  # duckdb | postgres | mysql
    database: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    schema_name: str | None = None
    query: dict[str, str] = {}

    @property
    def display(self) -> str:
        """The URL without its password, for messages."""
        if self.dialect == "duckdb":
            return f"duckdb:///{self.database}"
        return f"{self.dialect}://{self.user or ''}@{self.host}:{self.port or ''}/{self.database}"

    @property
    def conninfo(self) -> str:
        auth = self.user or ""
        if self.password:
            auth += ":" + self.password
        q = f"?{urlencode(self.query)}" if self.query else ""
        return f"postgresql://{auth}@{self.host or 'localhost'}:{self.port or 5432}/{self.database}{q}"


def parse_warehouse_url(url: str) -> WarehouseTarget:
    """Parse one of the URL forms in the module docstring; raise ConfigError otherwise."""
    url = url.strip()
    if "://" not in url:
        if url.endswith(".duckdb") or url.endswith(".db"):
            return WarehouseTarget(dialect="duckdb", database=str(Path(url).expanduser()))
        raise ConfigError(f"unrecognised warehouse URL {url!r}",
                          hint="use postgresql://user@host:5432/db, mysql://user@host:3306/db or a .duckdb path")
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0].lower()
    if scheme == "duckdb":
        return WarehouseTarget(dialect="duckdb", database=unquote(parts.path.removeprefix("/")) or ":memory:")
    kinds = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql"}
    if scheme not in kinds:
        raise ConfigError(f"unsupported warehouse URL scheme {parts.scheme!r}",
                          hint="supported: duckdb, postgresql, mysql/mariadb")
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"bad port in warehouse URL: {exc}") from exc
    return WarehouseTarget(dialect=kinds[scheme], database=unquote(parts.path.lstrip("/")) or "test",
                           host=parts.hostname or "localhost", port=port,
                           user=unquote(parts.username) if parts.username else None,
                           password=unquote(parts.password) if parts.password else None,
                           schema_name=schema, query=query)


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


class SqlRunner(Protocol):
    """Runs one guarded, read-only SELECT and returns its rows."""

    dialect: str

    def run(self, sql: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult: ...

    def close(self) -> None: ...


class DuckDbRunner:
    dialect = "duckdb"

    def __init__(self, path: str) -> None:
        import duckdb

        if path != ":memory:" and not Path(path).exists():
            raise BackendError(f"the DuckDB warehouse {path} does not exist",
                               hint="run `zhanggui demo-data` to build the demo warehouse")
        try:
            self._con = duckdb.connect(path, read_only=path != ":memory:",
                                       config={"enable_external_access": False})
        except duckdb.Error as exc:
            raise BackendError(f"cannot open the DuckDB warehouse {path}: {exc}") from exc
        self._lock = threading.Lock()

    def run(self, sql: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
        import duckdb

        with self._lock:  # one DuckDB connection serves one statement at a time
            return self._run(sql, timeout_s)

    def _run(self, sql: str, timeout_s: float) -> QueryResult:
        import duckdb

        timer = threading.Timer(timeout_s, self._con.interrupt)
        timer.start()
        try:
            cur = self._con.execute(sql)
            rows = cur.fetchall()
            cols = [d[0] for d in cur.description or []]
        except duckdb.InterruptException as exc:
            raise BackendError(f"the query took longer than {timeout_s:g} s and was stopped",
                               hint="narrow the time range or the breakdown") from exc
        except duckdb.Error as exc:
            raise BackendError(f"the warehouse rejected the query: {exc}") from exc
        finally:
            timer.cancel()
        return QueryResult(cols, rows)

    def close(self) -> None:
        self._con.close()


class PostgresRunner:
    dialect = "postgres"

    def __init__(self, target: WarehouseTarget, connect_timeout: int = 5) -> None:
        import psycopg

        try:
            self._con = psycopg.connect(target.conninfo, connect_timeout=connect_timeout, autocommit=False)
        except psycopg.Error as exc:
            raise BackendError(f"cannot connect to the warehouse {target.display}: {str(exc).strip()}",
                               hint="check ZHANGGUI_WAREHOUSE_URL and that the server is running") from exc
        self._con.read_only = True
        self._schema = target.schema_name

    def run(self, sql: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
        import psycopg

        try:
            with self._con.transaction(), self._con.cursor() as cur:
                cur.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
                if self._schema:
                    cur.execute(f'SET LOCAL search_path TO "{self._schema}"')
                cur.execute(sql)
                rows = cur.fetchall()
                cols = [d.name for d in cur.description or []]
        except psycopg.errors.QueryCanceled as exc:
            raise BackendError(f"the query took longer than {timeout_s:g} s and was stopped",
                               hint="narrow the time range or the breakdown") from exc
        except psycopg.Error as exc:
            raise BackendError(f"the warehouse rejected the query: {str(exc).strip()}") from exc
        return QueryResult(cols, rows)

    def close(self) -> None:
        self._con.close()


class MySqlRunner:
    dialect = "mysql"

    def __init__(self, target: WarehouseTarget, connect_timeout: int = 5) -> None:
        import pymysql

        try:
            self._con = pymysql.connect(host=target.host, port=target.port or 3306, user=target.user or "root",
                                        password=target.password or "", database=target.database,
                                        charset="utf8mb4", connect_timeout=connect_timeout, autocommit=False)
        except pymysql.Error as exc:
            raise BackendError(f"cannot connect to the warehouse {target.display}: {exc}",
                               hint="check ZHANGGUI_WAREHOUSE_URL and that the server is running") from exc
        self._mariadb = "mariadb" in self._con.get_server_info().lower()

    def run(self, sql: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
        import pymysql

        try:
            with self._con.cursor() as cur:
                if self._mariadb:
                    cur.execute(f"SET SESSION max_statement_time = {timeout_s:g}")
                else:
                    cur.execute(f"SET SESSION max_execution_time = {int(timeout_s * 1000)}")
                cur.execute("START TRANSACTION READ ONLY")
                try:
                    cur.execute(sql)
                    rows = list(cur.fetchall())
                    cols = [d[0] for d in cur.description or []]
                finally:
                    self._con.rollback()
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] in (1969, 3024):  # statement time exceeded (MariaDB, MySQL)
                raise BackendError(f"the query took longer than {timeout_s:g} s and was stopped") from exc
            raise BackendError(f"the warehouse rejected the query: {exc}") from exc
        except pymysql.Error as exc:
            raise BackendError(f"the warehouse rejected the query: {exc}") from exc
        return QueryResult(cols, rows)

    def close(self) -> None:
        self._con.close()


def default_duckdb_path(settings: Settings) -> Path:
    return Path(settings.home) / "warehouse.duckdb"


def warehouse_target(settings: Settings | None = None) -> WarehouseTarget:
    settings = settings or get_settings()
    if settings.warehouse_url:
        return parse_warehouse_url(settings.warehouse_url)
    return WarehouseTarget(dialect="duckdb", database=str(default_duckdb_path(settings)))


_DUCK_CACHE: dict[tuple[str, float], DuckDbRunner] = {}


def open_runner(settings: Settings | None = None) -> SqlRunner:
    """The runner for the configured warehouse; DuckDB connections are reused while the file is unchanged."""
    target = warehouse_target(settings)
    if target.dialect == "duckdb":
        path = target.database
        mtime = Path(path).stat().st_mtime if Path(path).exists() else 0.0
        key = (path, mtime)
        if key not in _DUCK_CACHE:
            for old in [k for k in _DUCK_CACHE if k[0] == path]:
                _DUCK_CACHE.pop(old).close()
            _DUCK_CACHE[key] = DuckDbRunner(path)
        return _SharedRunner(_DUCK_CACHE[key])
    if target.dialect == "postgres":
        return PostgresRunner(target)
    return MySqlRunner(target)


class _SharedRunner:
    """A cached runner whose close() leaves the shared connection open."""

    def __init__(self, inner: DuckDbRunner) -> None:
        self._inner = inner
        self.dialect = inner.dialect

    def run(self, sql: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
        return self._inner.run(sql, timeout_s=timeout_s)

    def close(self) -> None:
        pass
