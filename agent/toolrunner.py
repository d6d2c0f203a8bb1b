"""Runs tools for either brain: role check, timing, audit and metrics in one place."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.audit import AuditLog, AuditScope
from agent.errors import BackendError, ForbiddenError, InputError, ZhangguiError
from agent.metrics import TOOL_CALLS, TOOL_SECONDS
from agent.pii import mask_pii
from agent.roles import Role, RolePolicy
from tools.registry import Tool, ToolContext, ToolRegistry


@dataclass
class ToolCall:
    """One tool call as the reply reports it."""

    name: str
    arguments: dict[str, Any]
    duration_ms: float = 0.0
    result_size: int = 0
    outcome: str = "ok"  # ok | refused | error
    error: str | None = None


@dataclass
class ToolRunner:
    registry: ToolRegistry
    policy: RolePolicy
    role: Role
    audit: AuditLog | None
    scope: AuditScope
    context: ToolContext
    calls: list[ToolCall] = field(default_factory=list)

    def allowed(self, name: str) -> tuple[bool, str]:
        return self.policy.allowed(self.role, name, self.context.channel)

    def allowed_tools(self) -> list[Tool[Any, Any]]:
        return [t for t in self.registry.all() if self.allowed(t.name)[0]]

    def check(self, name: str) -> None:
        ok, why = self.allowed(name)
        if not ok:
            self.calls.append(ToolCall(name, {}, outcome="refused", error=why))
            self._audit("refused", name, detail=why)
            TOOL_CALLS.labels(name, "refused").inc()
            raise ForbiddenError(why)

    def run(self, name: str, raw_args: dict[str, Any] | BaseModel) -> tuple[Tool[Any, Any], BaseModel]:
        """Validate, check the role, execute and record one call; errors are raised typed."""
        tool = self.registry.get(name)
        self.check(name)
        try:
            args = tool.parse_args(raw_args)
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            self._audit("error", name, arguments=_jsonable(raw_args), detail=f"invalid arguments: {detail}")
            raise InputError(f"工具 {name} 的参数不对: {detail}") from None
        arguments = args.model_dump(mode="json")
        sql_before = len(self.context.sql)
        start = time.perf_counter()
        try:
            result = tool.execute(self.context, args)
        except ZhangguiError as exc:
            ms = (time.perf_counter() - start) * 1000
            self.calls.append(ToolCall(name, arguments, ms, 0, "error", exc.message))
            self._audit("tool", name, arguments=arguments, duration_ms=ms, detail=f"{exc.code}: {exc.message}")
            self._audit("error", name, detail=f"{exc.code}: {exc.message}")
            TOOL_CALLS.labels(name, "error").inc()
            raise
        except Exception as exc:  # a tool bug must still be logged and reported, not crash the channel
            ms = (time.perf_counter() - start) * 1000
            self.calls.append(ToolCall(name, arguments, ms, 0, "error", repr(exc)))
            self._audit("error", name, arguments=arguments, duration_ms=ms, detail=repr(exc))
            TOOL_CALLS.labels(name, "error").inc()
            if isinstance(exc, ImportError):
                raise BackendError(f"工具 {name} 暂不可用：它依赖的模块没有安装（{exc.name}）。") from exc
            raise BackendError(f"工具 {name} 执行失败：{exc.__class__.__name__}: {exc}") from exc
        ms = (time.perf_counter() - start) * 1000
        size = len(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, default=str))
        self.calls.append(ToolCall(name, arguments, ms, size))
        self._audit("tool", name, arguments=arguments, duration_ms=ms, result_size=size)
        for statement in self.context.sql[sql_before:]:
            self._audit("sql", name, detail=statement)
        TOOL_CALLS.labels(name, "ok").inc()
        TOOL_SECONDS.labels(name).observe(ms / 1000)
        return tool, result

    def _audit(self, kind: str, name: str | None = None, **fields: Any) -> None:
        if self.audit is not None:
            if "arguments" in fields:  # customers' phone numbers and addresses stay out of the log too
                fields["arguments"] = _masked(fields["arguments"])
            self.audit.record(self.scope, kind, name, **fields)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _jsonable(raw: Any) -> Any:
    if isinstance(raw, BaseModel):
        return raw.model_dump(mode="json")
    try:
        json.dumps(raw)
        return raw
    except TypeError:
        return repr(raw)
