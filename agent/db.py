"""The store for conversations, audit log and feedback: SQLite in the state folder, or any URL.

One SQLAlchemy engine per URL, shared by memory and audit, so several HTTP workers (or
machines) can share a PostgreSQL store while a single user needs no server at all.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from agent.errors import ConfigError
from agent.settings import Settings

metadata = MetaData()

conversations = Table(
    "zg_conversations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("thread", String(200), nullable=False),
    Column("user_id", String(200)),
    Column("state", JSON, nullable=False, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_zg_conversations_channel_thread", "channel", "thread", unique=True),
)

messages = Table(
    "zg_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(36), ForeignKey("zg_conversations.id"), nullable=False, index=True),
    Column("role", String(20), nullable=False),  # user | assistant
    Column("content", Text, nullable=False),
    Column("intent", String(40)),
    Column("request_id", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_events = Table(
    "zg_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", DateTime(timezone=True), nullable=False, index=True),
    Column("request_id", String(36), index=True),
    Column("conversation_id", String(36)),
    Column("user_id", String(200)),
    Column("channel", String(200)),
    Column("role", String(40)),
    Column("kind", String(20), nullable=False),  # request | tool | sql | error | reply | refused
    Column("name", String(200)),
    Column("arguments", JSON),
    Column("duration_ms", Float),
    Column("result_size", Integer),
    Column("detail", Text),
)

feedback = Table(
    "zg_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", DateTime(timezone=True), nullable=False, index=True),
    Column("request_id", String(36), index=True),
    Column("conversation_id", String(36)),
    Column("user_id", String(200)),
    Column("vote", Integer, nullable=False),  # +1 up, -1 down
    Column("comment", Text),
)

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def now() -> datetime:
    return datetime.now(timezone.utc)


def store_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    settings.home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.home / 'conversations.sqlite3').resolve()}"


def get_engine(url: str) -> Engine:
    """The engine for a store URL, tables created on first use."""
    with _LOCK:
        if url in _ENGINES:
            return _ENGINES[url]
        if url.startswith("postgresql://"):
            url_driver = "postgresql+psycopg://" + url[len("postgresql://"):]
        else:
            url_driver = url
        try:
            engine = create_engine(url_driver, pool_pre_ping=True)
            if engine.dialect.name == "sqlite":
                # Several threads (HTTP workers) share the file; wait for a lock instead of failing.
                @event.listens_for(engine, "connect")
                def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                    cur = dbapi_conn.cursor()
                    cur.execute("PRAGMA journal_mode=WAL")
                    cur.execute("PRAGMA busy_timeout=5000")
                    cur.close()

            metadata.create_all(engine)
        except Exception as exc:
            raise ConfigError(f"无法打开会话存储 {_redact(url)}: {exc.__class__.__name__}: {exc}",
                              hint="检查 ZHANGGUI_DATABASE_URL") from None
        _ENGINES[url] = engine
        return engine


def engine_from_settings(settings: Settings) -> Engine:
    return get_engine(store_url(settings))


def _redact(url: str) -> str:
    """Hide a password in a URL before it appears in a message."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url
