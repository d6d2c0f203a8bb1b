"""One conversation engine for every channel: ``Engine.handle(Request) -> Reply``.

The engine owns what must hold whichever brain answers: input limits, the conversation
and its memory, the caller's role, the audit log, and the guards applied to every reply
(citation check, PII masking). The brain (offline router, or an LLM with tool calling)
only decides which tools to call and how to say the answer; when the LLM fails, the
offline brain answers and the reply says so.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from agent.audit import AuditLog, AuditScope
from agent.citations import check_citations
from agent.errors import BackendError, InputError, TooLargeError, ZhangguiError
from agent.memory import Conversation, ConversationStore
from agent.metrics import LLM_FALLBACKS, REQUESTS
from agent.offline import BrainResult, OfflineBrain
from agent.pii import mask_pii
from agent.roles import RolePolicy, roles_from_settings
from agent.settings import Settings
from agent.toolrunner import ToolRunner
from tools.registry import ToolContext, ToolRegistry, default_registry


@dataclass
class Request:
    """A message from any channel. Without ``conversation_id`` the (channel, thread) pair
    names the conversation; without a thread every message starts a new one."""

    text: str
    channel: str = "api"
    thread: str | None = None
    user: str | None = None
    conversation_id: str | None = None
    today: date | None = None


@dataclass
class Reply:
    text: str
    intent: str
    conversation_id: str
    request_id: str
    mode: str  # offline | llm | offline_fallback
    role: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notice: str | None = None
    candidates: list[str] = field(default_factory=list)
    dropped_citations: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LlmUnavailable(Exception):
    """The LLM endpoint failed (down, slow, garbage); the offline brain answers instead."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


_FALLBACK_NOTICE = {
    "timeout": "大模型接口超时",
    "unreachable": "大模型接口连接不上",
    "http_error": "大模型接口返回错误",
    "bad_response": "大模型返回的内容无法解析",
    "step_limit": "大模型调用工具的步数超过上限",
}


class Engine:
    def __init__(self, settings: Settings, *, store: ConversationStore | None = None, audit: AuditLog | None = None,
                 policy: RolePolicy | None = None, registry: ToolRegistry | None = None, llm: Any = None) -> None:
        self.settings = settings
        self.store = store or ConversationStore.from_settings(settings)
        self.audit = audit or AuditLog.from_settings(settings)
        self.policy = policy or roles_from_settings(settings)
        self.registry = registry or default_registry()
        self.offline = OfflineBrain()
        self.llm = llm
        if self.llm is None and not settings.offline:
            from agent.llm import LlmBrain

            self.llm = LlmBrain(settings)
        self.resources: dict[str, Any] = {}

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "offline"

    def validate(self, text: str | None) -> str:
        if text is None or not str(text).strip():
            raise InputError("消息是空的。", hint="请输入问题，例如：上个月各渠道的GMV是多少?")
        text = str(text).strip()
        if len(text) > self.settings.max_message_chars:
            raise TooLargeError(f"消息太长（{len(text)} 字），上限 {self.settings.max_message_chars} 字。",
                                hint="批量检查文案请用 /api/compliance/batch 或 zhanggui check --jsonl")
        return text

    def validate_document(self, text: str | None, limit: int = 1_000_000) -> str:
        """Ad text for a compliance check may be a whole detail page: a larger limit than chat."""
        if text is None or not str(text).strip():
            raise InputError("要检查的文案是空的。")
        if len(text) > limit:
            raise TooLargeError(f"文案太长（{len(text)} 字），上限 {limit} 字。", hint="分段提交，或用批量接口")
        return str(text)

    def direct(self, tool: str, arguments: dict[str, Any], *, user: str | None, channel: str,
               call: Callable[[], Any], sql_of: Callable[[Any], str | None] | None = None) -> Any:
        """Run one tool's function for a REST call: role check, audit and metrics as in a conversation.

        The REST API returns the library's own JSON (the same as the command line's ``--json``),
        so the function is called as is rather than through the tool's result model.
        """
        role = self.policy.role_for(user, channel)
        scope = AuditScope(str(uuid.uuid4()), None, user, channel, role.name)
        self.audit.record(scope, "request", tool, arguments=_jsonable(arguments))
        context = ToolContext(self.settings, user, role.name, channel, None, scope.request_id, None, self.resources)
        runner = ToolRunner(self.registry, self.policy, role, self.audit, scope, context)
        runner.check(tool)
        start = time.perf_counter()
        try:
            out = call()
        except ZhangguiError as exc:
            self.audit.record(scope, "error", tool, detail=f"{exc.code}: {exc.message}")
            raise
        except ImportError as exc:
            self.audit.record(scope, "error", tool, detail=repr(exc))
            raise BackendError(f"工具 {tool} 暂不可用：它依赖的模块没有安装（{exc.name}）。") from exc
        ms = (time.perf_counter() - start) * 1000
        size = len(json.dumps(out, ensure_ascii=False, default=str))
        self.audit.record(scope, "tool", tool, arguments=_jsonable(arguments), duration_ms=ms, result_size=size)
        statement = sql_of(out) if sql_of else None
        if statement:
            self.audit.record(scope, "sql", tool, detail=statement)
        return out

    def conversation(self, request: Request) -> Conversation:
        if request.conversation_id:
            return self.store.get(request.conversation_id)
        return self.store.open(request.channel, request.thread or f"new:{uuid.uuid4()}", request.user)

    def handle(self, request: Request) -> Reply:
        text = self.validate(request.text)
        conv = self.conversation(request)
        role = self.policy.role_for(request.user, request.channel)
        request_id = str(uuid.uuid4())
        scope = AuditScope(request_id, conv.id, request.user, request.channel, role.name)
        self.audit.record(scope, "request", "message", arguments={"text": mask_pii(text)[:1000], "mode": self.mode},
                          result_size=len(text))
        context = ToolContext(self.settings, request.user, role.name, request.channel, conv.id, request_id,
                              request.today, self.resources)
        runner = ToolRunner(self.registry, self.policy, role, self.audit, scope, context)
        history = self.store.history(conv.id, limit=12)
        self.store.append(conv.id, "user", mask_pii(text), request_id=request_id)
        mode, notice = self.mode, None
        try:
            if self.llm is not None:
                try:
                    result = self.llm.answer(text, runner, conv.state, history)
                except LlmUnavailable as exc:
                    LLM_FALLBACKS.labels(exc.reason).inc()
                    self.audit.record(scope, "error", "llm", detail=f"{exc.reason}: {exc.detail}"[:2000])
                    mode = "offline_fallback"
                    notice = f"（{_FALLBACK_NOTICE.get(exc.reason, '大模型暂不可用')}，以下是离线模式的回答。）"
                    result = self.offline.answer(text, runner, conv.state)
            else:
                result = self.offline.answer(text, runner, conv.state)
        except ZhangguiError as exc:
            self.audit.record(scope, "error", "request", detail=f"{exc.code}: {exc.message}")
            self.store.append(conv.id, "assistant", exc.message, intent="error", request_id=request_id)
            raise
        return self._finish(result, conv, runner, scope, mode, notice)

    def _finish(self, result: BrainResult, conv: Conversation, runner: ToolRunner, scope: AuditScope,
                mode: str, notice: str | None) -> Reply:
        kept, dropped = check_citations(result.citations, runner.context.passages)
        text = result.text if not notice else f"{notice}\n\n{result.text}"
        text = mask_pii(text)
        citations = [{**c, "quote": mask_pii(str(c.get("quote", "")))} for c in kept]
        self.store.append(conv.id, "assistant", text, intent=result.intent, request_id=scope.request_id)
        state = {**conv.state, **result.state}
        self.store.save_state(conv.id, state)
        self.audit.record(scope, "reply", result.intent, result_size=len(text),
                          detail=f"mode={mode} citations={len(citations)} dropped={len(dropped) + len(result.dropped)}")
        REQUESTS.labels(result.intent, mode).inc()
        return Reply(text=text, intent=result.intent, conversation_id=conv.id, request_id=scope.request_id,
                     mode=mode, role=runner.role.name, citations=citations,
                     tool_calls=[asdict(c) for c in runner.calls], data=result.data, notice=notice,
                     candidates=result.candidates, dropped_citations=len(dropped) + len(result.dropped))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))
