"""The offline router: a table of messages and where they must go."""

from __future__ import annotations

import pytest

from agent.router import CLARIFY, HELP, clarifying_question, help_text, route
from evals import routing

CASES = [
    ("上个月各渠道的GMV和转化率是多少", None, "analytics"),
    ("什么是复购率?", None, "knowledge"),
    ("复购率怎么算", None, "knowledge"),
    ("帮我检查这段文案：全网最低价，史上最好用的面膜", None, "compliance"),
    ("为什么不能写'全网最低价'?", None, "knowledge"),
    ("帮我写一段小红书种草文案，产品是山茶花修护精华", None, "copy"),
    ("帮我做一个双十一活动方案，预算20万，GMV目标300万", None, "campaign_plan"),
    ("客户问能不能七天无理由退货，怎么回?", None, "cs_reply"),
    ("上個月各渠道的成交額是多少", None, "analytics"),  # traditional Chinese
    ("ＧＭＶ", None, CLARIFY),  # full-width
    ("你好", None, HELP),
    ("", None, HELP),
    ("今天天气怎么样", None, HELP),
    # follow-ups depend on what came before
    ("那上上个月呢?", "analytics", "analytics"),
    ("按渠道拆开", "analytics", "analytics"),
    ("换成抖音", "analytics", "analytics"),
    ("第二条为什么违规?", "compliance", "compliance"),
    ("换成抖音", None, HELP),
    ("那上上个月呢?", "compliance", HELP),
]


@pytest.mark.parametrize(("message", "last", "intent"), CASES)
def test_route(message: str, last: str | None, intent: str) -> None:
    assert route(message, last).intent == intent


@pytest.mark.parametrize(("message", "last"), [("按渠道拆开", "analytics"), ("第二条为什么违规?", "compliance")])
def test_followups_are_marked(message: str, last: str) -> None:
    assert route(message, last).followup


def test_clarify_names_both_candidates() -> None:
    r = route("帮我写个双十一活动方案和朋友圈文案")
    assert r.intent == CLARIFY
    assert set(r.candidates) == {"copy", "campaign_plan"}
    question = clarifying_question(r)
    assert "活动方案" in question and "文案" in question


def test_help_lists_every_capability() -> None:
    text = help_text()
    for word in ("知识库", "查数据", "合规", "文案", "活动方案", "客服"):
        assert word in text


def test_dev_set_accuracy() -> None:
    figures = routing.run()
    assert figures["routing_cases"] >= 80
    assert figures["routing_accuracy"] >= 0.9
