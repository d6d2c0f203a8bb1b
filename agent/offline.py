"""The offline brain: route, fill the tool's arguments, call it, compose the reply."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.followups import finding_number, rewrite_analytics
from agent.router import CLARIFY, HELP, INTENT_LABELS, Route, clarifying_question, help_text, route
from agent.toolrunner import ToolRunner
from tools.registry import ToolOutput

_PICK_FIRST = re.compile(r"^\s*(?:1|一|第一个|第1个|前者|选1|option 1|the first)\s*[.。!！]?\s*$", re.I)
_PICK_SECOND = re.compile(r"^\s*(?:2|二|第二个|第2个|后者|选2|option 2|the second)\s*[.。!！]?\s*$", re.I)


@dataclass
class BrainResult:
    """What a brain produced for one message, before the engine's guards."""

    text: str
    intent: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)  # updates to the conversation state
    candidates: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # citations a model made up, removed from the text


class OfflineBrain:
    name = "offline"

    def answer(self, message: str, runner: ToolRunner, state: dict[str, Any]) -> BrainResult:
        pending = state.get("pending_clarify")
        if pending:
            chosen = _pick(message, pending["candidates"])
            if chosen:
                return self._run_intent(chosen, pending["message"], runner, state)
        r = route(message, state.get("last_intent"))
        if r.intent == HELP:
            return BrainResult(help_text(), HELP, state={"pending_clarify": None})
        if r.intent == CLARIFY:
            return BrainResult(clarifying_question(r), CLARIFY, candidates=list(r.candidates),
                               state={"pending_clarify": {"candidates": list(r.candidates), "message": message}})
        if r.followup:
            return self._followup(r, message, runner, state)
        return self._run_intent(r.intent, message, runner, state)

    def _run_intent(self, intent: str, message: str, runner: ToolRunner, state: dict[str, Any]) -> BrainResult:
        tools = runner.registry.for_intent(intent)
        note = ""
        if not tools:
            tools = runner.registry.fallbacks_for(intent)
            note = f"（还没有专门用于“{INTENT_LABELS.get(intent, intent)}”的工具，先给你知识库里相关的内容。）\n\n"
        for tool in tools:
            args = tool.offline_args(message, runner.context)
            if args is None:
                continue
            _, result = runner.run(tool.name, args)
            out = tool.compose(result, runner.context)
            return self._result(intent, tool.name, out, note, message)
        return BrainResult(help_text(), HELP)

    def _result(self, intent: str, tool_name: str, out: ToolOutput, note: str, message: str) -> BrainResult:
        state: dict[str, Any] = {"last_intent": intent, "pending_clarify": None}
        if tool_name == "run_analytics":
            state["last_analytics_question"] = out.data.get("question") or message
        if tool_name == "check_compliance":
            state["last_findings"] = out.data.get("findings", [])
        return BrainResult(note + out.text, intent, list(out.citations), {tool_name: out.data}, state)

    def _followup(self, r: Route, message: str, runner: ToolRunner, state: dict[str, Any]) -> BrainResult:
        if r.intent == "analytics" and state.get("last_analytics_question"):
            question = rewrite_analytics(state["last_analytics_question"], message)
            result = self._run_intent("analytics", question, runner, state)
            result.text = f"（理解为：{question}）\n{result.text}"
            return result
        if r.intent == "compliance" and state.get("last_findings") is not None:
            return self._explain_finding(message, state["last_findings"])
        return self._run_intent(r.intent, message, runner, state)

    def _explain_finding(self, message: str, findings: list[dict[str, Any]]) -> BrainResult:
        from tools.check_compliance import explain_finding

        keep = {"last_intent": "compliance"}
        if not findings:
            return BrainResult("上一次检查没有发现问题，没有可解释的条目。", "compliance", state=keep)
        number = finding_number(message) or 1
        if not 1 <= number <= len(findings):
            return BrainResult(f"上一次检查一共只有 {len(findings)} 条，没有第 {number} 条。", "compliance", state=keep)
        finding = findings[number - 1]
        return BrainResult(explain_finding(finding), "compliance", data={"finding": finding}, state=keep)


def _pick(message: str, candidates: list[str]) -> str | None:
    """The intent a reply to a clarifying question chose, if it chose one."""
    if _PICK_FIRST.match(message):
        return candidates[0]
    if _PICK_SECOND.match(message) and len(candidates) > 1:
        return candidates[1]
    for intent in candidates:
        label = INTENT_LABELS.get(intent, "")
        keyword = re.sub(r"（.*?）", "", label)
        if keyword and keyword in message:
            return intent
    return None
