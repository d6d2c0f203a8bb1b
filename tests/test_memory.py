"""Conversation memory: per channel + thread, unknown ids, state for follow-ups; SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from agent.db import get_engine
from agent.errors import InputError, NotFoundError
from agent.memory import ConversationStore


def _sqlite_store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(get_engine(f"sqlite:///{tmp_path / 'conv.sqlite3'}"))


def _postgres_store() -> ConversationStore:
    url = os.environ.get("ZHANGGUI_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("ZHANGGUI_TEST_POSTGRES_URL is not set: PostgreSQL memory test skipped")
    return ConversationStore(get_engine(url))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ConversationStore:
    return _sqlite_store(tmp_path) if request.param == "sqlite" else _postgres_store()


def test_same_thread_same_conversation(store: ConversationStore) -> None:
    thread = f"t-{uuid.uuid4()}"
    a = store.open("slack:#ops", thread, "u1")
    b = store.open("slack:#ops", thread, "u2")
    c = store.open("slack:#other", thread, "u1")
    assert a.id == b.id
    assert c.id != a.id


def test_messages_and_state_round_trip(store: ConversationStore) -> None:
    conv = store.open("http", f"t-{uuid.uuid4()}")
    for i in range(5):
        store.append(conv.id, "user", f"问题{i}", intent="knowledge")
        store.append(conv.id, "assistant", f"回答{i}")
    history = store.history(conv.id, limit=4)
    assert [m.content for m in history] == ["问题3", "回答3", "问题4", "回答4"]
    store.save_state(conv.id, {"last_intent": "analytics", "last_analytics_question": "上个月GMV"})
    assert store.get(conv.id).state["last_analytics_question"] == "上个月GMV"


@pytest.mark.parametrize(("conversation_id", "error"), [
    (str(uuid.uuid4()), NotFoundError),
    ("not-a-uuid", InputError),
    ("'; DROP TABLE zg_conversations; --", InputError),
])
def test_unknown_conversation_ids_are_errors(store: ConversationStore, conversation_id: str, error: type) -> None:
    with pytest.raises(error):
        store.get(conversation_id)


def test_store_survives_reopening(tmp_path: Path) -> None:
    """A second engine on the same file (another worker) sees the same conversation."""
    first = _sqlite_store(tmp_path)
    conv = first.open("cli", "terminal-1")
    first.append(conv.id, "user", "你好")
    from sqlalchemy import create_engine

    from agent.db import metadata

    other = create_engine(f"sqlite:///{tmp_path / 'conv.sqlite3'}")
    metadata.create_all(other)
    assert [m.content for m in ConversationStore(other).history(conv.id)] == ["你好"]


def test_audit_and_feedback_on_the_same_store(store: ConversationStore) -> None:
    from agent.audit import AuditLog, AuditScope

    log = AuditLog(store.engine)
    request_id = str(uuid.uuid4())
    scope = AuditScope(request_id, None, "u1", "http", "staff")
    log.record(scope, "request", "message", arguments={"text": "你好"})
    log.record(scope, "tool", "search_knowledge", arguments={"query": "预热"}, duration_ms=12.3, result_size=456)
    log.record(scope, "sql", "run_analytics", detail="SELECT 1")
    assert [e["kind"] for e in log.events(request_id=request_id)] == ["request", "tool", "sql"]
    assert log.add_feedback(request_id, "up", "好用")["vote"] == "up"
    with pytest.raises(NotFoundError):
        log.add_feedback(str(uuid.uuid4()), "down")
