"""The SQL guard: a readable allow-list policy checked on the sqlglot AST.

Policy (every statement, from the semantic layer or from an LLM):

1. exactly one statement, and its root is a SELECT or a set operation (UNION/INTERSECT/EXCEPT);
2. no node of a forbidden type anywhere (DDL, DML, COPY, ATTACH, PRAGMA, SET, INSTALL, SELECT
   INTO, FOR UPDATE ...) — a data-modifying CTE is caught because its DELETE is a node too;
3. functions: sqlglot's known functions except file/network readers; unknown (anonymous)
   functions only from a short allow-list — so ``read_csv``, ``pg_read_file``, ``glob``,
   ``pg_sleep`` and extension loaders are refused;
4. tables only from the warehouse contract (or CTEs defined in the statement), unqualified;
5. columns only from the contract or aliases defined in the statement; personal-data columns
   (name, phone, address ...) are refused with their own reason;
6. a LIMIT is added (or lowered) to ``max_rows``.

The connection is read-only and has a statement timeout as well (tools/warehouse.py).
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from agent.errors import RefusedError
from tools.demo_data import DATA_DIR

MAX_ROWS = 1000
ALLOWED_ROOTS: tuple[type[exp.Expression], ...] = (exp.Select, exp.Union, exp.Intersect, exp.Except)
FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable,
    exp.Command, exp.Copy, exp.Attach, exp.Detach, exp.Pragma, exp.Set, exp.Use, exp.Transaction, exp.Commit,
    exp.Rollback, exp.Into, exp.Lock, exp.LoadData, exp.Install, exp.Grant, exp.Revoke, exp.Describe, exp.Show,
    exp.Export, exp.Analyze, exp.Cache, exp.Uncache, exp.Refresh, exp.Kill, exp.Execute, exp.Summarize,
)
FORBIDDEN_FUNCTIONS: tuple[type[exp.Expression], ...] = (exp.ReadCSV, exp.ReadParquet)
ALLOWED_ANONYMOUS = {
    "date_diff", "datediff", "date_part", "datepart", "strftime", "strptime", "to_char", "to_date", "median",
    "mode", "quantile", "quantile_cont", "quantile_disc", "percentile_cont", "percentile_disc", "any_value",
    "arg_max", "arg_min", "string_agg", "group_concat", "date_format", "extract", "epoch", "nullif", "ifnull",
    "nvl", "greatest", "least", "dayofweek", "weekday", "isodow", "yearweek", "last_day", "make_date",
}
PII_COLUMNS = {
    "name", "customer_name", "full_name", "real_name", "phone", "phone_number", "mobile", "tel", "telephone",
    "address", "shipping_address", "receiver_address", "email", "id_card", "id_number", "wechat_id", "qq",
    "bank_card", "receiver_name", "receiver_phone",
}


@lru_cache(maxsize=1)
def allowed_schema() -> dict[str, set[str]]:
    """Tables and their columns, read from the warehouse contract's schema.sql."""
    out: dict[str, set[str]] = {}
    text = (DATA_DIR / "schema.sql").read_text(encoding="utf-8")
    for stmt in sqlglot.parse(text, read="duckdb"):
        if isinstance(stmt, exp.Create) and isinstance(stmt.this, exp.Schema):
            table = stmt.this.this.name.lower()
            out[table] = {c.name.lower() for c in stmt.this.expressions if isinstance(c, exp.ColumnDef)}
    return out


def _refuse(reason: str) -> RefusedError:
    return RefusedError(f"SQL 未通过安全检查：{reason}")


def guard_sql(sql: str, dialect: str = "duckdb", max_rows: int = MAX_ROWS) -> str:
    """Check one statement against the policy; return it (with a LIMIT) in ``dialect`` or raise RefusedError."""
    from tools.semantic import normalize_dialect

    dialect = normalize_dialect(dialect)
    if not sql or not sql.strip():
        raise _refuse("语句为空")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise _refuse(f"无法解析这条 SQL（{str(exc).splitlines()[0]}）") from exc
    if len(statements) != 1:
        raise _refuse(f"只允许一条语句，这里有 {len(statements)} 条")
    tree = statements[0]
    if not isinstance(tree, ALLOWED_ROOTS):
        raise _refuse(f"只允许 SELECT 查询，这是 {tree.key.upper()} 语句（数仓只读）")
    schema = allowed_schema()
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    for ta in tree.find_all(exp.TableAlias):
        aliases.add(ta.name.lower())
        aliases |= {c.name.lower() for c in ta.columns}
    all_columns = set().union(*schema.values())
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise _refuse(f"不允许 {node.key.upper()}（只读查询里不能有写入、DDL、COPY、ATTACH、PRAGMA、SET 等）")
        if isinstance(node, FORBIDDEN_FUNCTIONS):
            raise _refuse(f"不允许读取文件或网络的函数 {node.key.upper()}")
        if isinstance(node, exp.Anonymous) and node.name.lower() not in ALLOWED_ANONYMOUS:
            raise _refuse(f"函数 {node.name} 不在允许列表里（禁止文件/网络读取、扩展加载等函数）")
        if isinstance(node, exp.Table):
            _check_table(node, schema, ctes)
        if isinstance(node, exp.Column):
            name = node.name.lower()
            if name in PII_COLUMNS:
                raise _refuse(f"{node.name} 属于个人信息字段；数仓没有姓名、手机号、地址等个人信息，也不会输出")
            if name not in ("", "*") and name not in all_columns and name not in aliases and name not in ctes:
                raise _refuse(f"字段 {node.name} 不存在。可用的表和字段见 schema：{', '.join(sorted(schema))}")
    limit = tree.args.get("limit")
    value = limit.expression if isinstance(limit, exp.Limit) else None
    if not isinstance(value, exp.Literal) or not value.is_int or int(value.this) > max_rows:
        tree = tree.limit(max_rows)
    return tree.sql(dialect=dialect)


def _check_table(node: exp.Table, schema: dict[str, set[str]], ctes: set[str]) -> None:
    if not isinstance(node.this, exp.Identifier):
        raise _refuse(f"不允许在 FROM 里调用函数 {node.this.sql()}（禁止读取文件或网络）")
    name = node.name.lower()
    if node.args.get("db") or node.args.get("catalog"):
        raise _refuse(f"不允许访问 {node.sql()}：只能查询数仓里的业务表，不能带库名或系统表")
    if name not in schema and name not in ctes:
        raise _refuse(f"表 {node.name} 不存在。现有的表：{', '.join(sorted(schema))}")
