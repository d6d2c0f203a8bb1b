"""Readings added for fresh wordings: listed metrics, unpaid orders, holidays, thresholds on grouped rows."""

import datetime as dt

import pytest

from tools.question_parser import parse_question
from tools.semantic import compile_query

TODAY = dt.date(2025, 12, 1)


@pytest.mark.parametrize("question, metrics", [
    ("上周卖了多少钱、多少件", ["gmv", "paid_units"]),
    ("双12成交了多少单，多少钱", ["paid_orders", "gmv"]),
    ("这个月每天下了多少单，未付款的也算", ["placed_orders"]),
    ("上个月下了多少单、多少钱？不管有没有付款", ["placed_orders", "placed_amount"]),
    ("8月仅退款退了多少钱", ["refund_amount"]),
])
def test_metrics_listed_in_one_breath(question, metrics):
    assert parse_question(question, TODAY).metrics[:len(metrics)] == metrics


@pytest.mark.parametrize("question, start, end", [
    ("去年国庆七天的访客数", dt.date(2024, 10, 1), dt.date(2024, 10, 8)),
    ("国庆期间GMV多少", dt.date(2025, 10, 1), dt.date(2025, 10, 8)),
    ("上周一共有多少支付订单", dt.date(2025, 11, 24), dt.date(2025, 12, 1)),
])
def test_holidays_and_whole_weeks(question, start, end):
    tr = parse_question(question, TODAY).time_range
    assert (tr.start, tr.end) == (start, end)


@pytest.mark.parametrize("question, metric, op, value", [
    ("上个月哪个城市笔单价最高？客户少于20个的城市不算", "paying_buyers", ">=", 20),
    ("上个月每个客服的满意度，至少接待了40个会话的", "cs_sessions", ">=", 40),
])
def test_thresholds_on_grouped_rows(question, metric, op, value):
    sq = parse_question(question, TODAY)
    assert [(t.metric, t.op, t.value) for t in sq.thresholds] == [(metric, op, value)]
    assert sq.limit in (None, 1)


def test_which_n_in_english_is_a_limit():
    assert parse_question("Which 4 channels had the highest refund rate last month?", TODAY).limit == 4


@pytest.mark.parametrize("question, column", [
    ("上个月各类目的毛利率", "gross_profit"),
    ("本周平均首响多少秒", "responded_sessions"),
    ("昨天下单数", "placed_paid_orders"),
])
def test_ratios_and_counts_show_their_parts(question, column):
    assert column in compile_query(parse_question(question, TODAY))


@pytest.mark.parametrize("question, dimension", [
    ("上个月平均首响多少秒？售前售后分开看", "session_type"),
    ("10月仅退款和退货退款分别退了多少钱", "refund_type"),
    ("玻尿酸补水面膜5片装和10片装上个月分开看销量", "sku"),  # one row per SKU, its spec shown beside it
])
def test_listed_values_split_the_rows(question, dimension):
    sq = parse_question(question, TODAY)
    assert sq.dimensions == [dimension]


@pytest.mark.parametrize("question", ["哪个渠道表现最好", "帮我算一下利润率", "Which product performed best last month?"])
def test_vague_measures_are_asked_back(question):
    from agent.errors import RefusedError
    with pytest.raises(RefusedError):
        parse_question(question, TODAY)


def test_refund_type_rows_carry_their_chinese_name():
    assert "退货退款" in compile_query(parse_question("上个月按退款类型的退款金额", TODAY))
