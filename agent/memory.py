"""Conversation memory per channel + thread: the messages and a small state for follow-ups.

The state holds what a follow-up needs: the last intent, the last analytics question (so
"那上上个月呢?" can be rewritten), the last compliance findings (so "第二条为什么违规?" can be
answered) and a pending clarifying question.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from agent.db import conversations, engine_from_settings, messages, now
from agent.errors import InputError, NotFoundError
from agent.settings import Settings


@dataclass
class Conversation:
    id: str
    channel: str
    thread: str
    user: str | None = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class Message:
    role: str
    content: str
    intent: str | None = None
    request_id: str | None = None


class ConversationStore:
    """Conversations in SQL (SQLite by default, PostgreSQL by URL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_settings(cls, settings: Settings) -> ConversationStore:
        return cls(engine_from_settings(settings))

    def open(self, channel: str, thread: str, user: str | None = None) -> Conversation:
        """The conversation of a channel thread, created on first use."""
        found = self._find(channel, thread)
        if found:
            return found
        conv_id = str(uuid.uuid4())
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(conversations).values(id=conv_id, channel=channel, thread=thread, user_id=user,
                                                          state={}, created_at=now(), updated_at=now()))
        except IntegrityError:  # another worker created it a moment ago
            found = self._find(channel, thread)
            if found:
                return found
            raise
        return Conversation(conv_id, channel, thread, user, {})

    def get(self, conversation_id: str) -> Conversation:
        """A conversation by id; an unknown id is a NotFoundError (never silently a new one)."""
        try:
            uuid.UUID(str(conversation_id))
        except ValueError:
            raise InputError(f"会话 id 格式不对: {conversation_id!r}", hint="使用之前回复里的 conversation_id") from None
        with self.engine.connect() as conn:
            row = conn.execute(select(conversations).where(conversations.c.id == str(conversation_id))).first()
        if row is None:
            raise NotFoundError(f"没有这个会话: {conversation_id}", hint="不带 conversation_id 即可开始新会话")
        return _conversation(row)

    def _find(self, channel: str, thread: str) -> Conversation | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(conversations).where(conversations.c.channel == channel,
                                                           conversations.c.thread == thread)).first()
        return _conversation(row) if row else None

    def append(self, conversation_id: str, role: str, content: str, *, intent: str | None = None,
               request_id: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(messages).values(conversation_id=conversation_id, role=role, content=content,
                                                 intent=intent, request_id=request_id, created_at=now()))
            conn.execute(update(conversations).where(conversations.c.id == conversation_id).values(updated_at=now()))

    def history(self, conversation_id: str, limit: int = 20) -> list[Message]:
        """The last ``limit`` messages, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(messages).where(messages.c.conversation_id == conversation_id)
                                .order_by(messages.c.id.desc()).limit(limit)).all()
        return [Message(r.role, r.content, r.intent, r.request_id) for r in reversed(rows)]

    def save_state(self, conversation_id: str, state: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(conversations).where(conversations.c.id == conversation_id)
                         .values(state=state, updated_at=now()))


def _conversation(row: Any) -> Conversation:
    return Conversation(row.id, row.channel, row.thread, row.user_id, dict(row.state or {}))
