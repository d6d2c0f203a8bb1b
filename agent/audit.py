"""The audit log: every request, tool call (arguments, duration, result size), SQL statement,
refusal and error, with user feedback stored beside it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from agent.db import audit_events, engine_from_settings, feedback, now
from agent.errors import InputError, NotFoundError
from agent.settings import Settings

KINDS = ("request", "tool", "sql", "refused", "error", "reply")


@dataclass
class AuditScope:
    """Who and where, attached to every event of one request."""

    request_id: str
    conversation_id: str | None = None
    user: str | None = None
    channel: str | None = None
    role: str | None = None


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        return cls(engine_from_settings(settings))

    def record(self, scope: AuditScope, kind: str, name: str | None = None, *, arguments: Any = None,
               duration_ms: float | None = None, result_size: int | None = None, detail: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(audit_events).values(
                ts=now(), request_id=scope.request_id, conversation_id=scope.conversation_id, user_id=scope.user,
                channel=scope.channel, role=scope.role, kind=kind, name=name, arguments=arguments,
                duration_ms=None if duration_ms is None else round(duration_ms, 2), result_size=result_size,
                detail=None if detail is None else detail[:4000],
            ))

    def add_feedback(self, request_id: str, vote: int | str, comment: str | None = None, *,
                     user: str | None = None) -> dict[str, Any]:
        """Store 👍/👎 for an answer; the request must exist in the log."""
        value = _vote(vote)
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_events.c.conversation_id).where(
                audit_events.c.request_id == request_id, audit_events.c.kind == "request")).first()
        if row is None:
            raise NotFoundError(f"没有这个请求: {request_id}", hint="使用回复里的 request_id")
        with self.engine.begin() as conn:
            conn.execute(insert(feedback).values(ts=now(), request_id=request_id, conversation_id=row.conversation_id,
                                                 user_id=user, vote=value, comment=(comment or None)))
        return {"request_id": request_id, "vote": "up" if value > 0 else "down", "comment": comment or None}

    def events(self, since: timedelta | None = None, *, kind: str | None = None,
               request_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Events newest last; filter by age, kind or request."""
        q = select(audit_events)
        if since is not None:
            q = q.where(audit_events.c.ts >= now() - since)
        if kind:
            q = q.where(audit_events.c.kind == kind)
        if request_id:
            q = q.where(audit_events.c.request_id == request_id)
        q = q.order_by(audit_events.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [_plain(dict(r)) for r in reversed(rows)]

    def feedback(self, since: timedelta | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        q = select(feedback)
        if since is not None:
            q = q.where(feedback.c.ts >= now() - since)
        q = q.order_by(feedback.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [_plain(dict(r)) for r in reversed(rows)]


def _vote(vote: int | str) -> int:
    table = {"up": 1, "+1": 1, "1": 1, "👍": 1, "down": -1, "-1": -1, "👎": -1}
    key = str(vote).strip().lower()
    if key not in table:
        raise InputError(f"无法识别的评价: {vote!r}", hint="用 up 或 down")
    return table[key]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


_SPAN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """``30m``, ``12h``, ``1d``, ``2w`` → a timedelta."""
    m = _SPAN.match(text or "")
    if not m:
        raise InputError(f"无法识别的时间范围: {text!r}", hint="例如 30m、12h、1d、2w")
    return timedelta(**{_UNIT[m.group(2)]: int(m.group(1))})
