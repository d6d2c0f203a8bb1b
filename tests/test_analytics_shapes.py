"""KPIs read from the shape of a question, checked end to end on the demo DuckDB against hand-written SQL:
percentiles, the share of slow replies, robot-only sessions, first orders, month-pair retention, 环比 inside
a monthly list, the latest stock snapshot, combined slices, per-order amounts and English place names."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from evals.analytics import results_match
from tests.analytics_support import TODAY, demo_warehouse, settings_for
from tools.analytics import ask_warehouse
from tools.question_parser import parse_question

NOV = "DATE '2025-11-01' AND {t} < DATE '2025-12-01'"

CASES = [
    ("11月客服首响的中位数和90分位各是几秒",
     "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY first_response_seconds), "
     "PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY first_response_seconds) FROM fact_cs_sessions "
     f"WHERE started_at >= {NOV.format(t='started_at')}", False),
    ("11月首次响应慢于30秒的会话比例",
     "SELECT COUNT(first_response_seconds), SUM(CASE WHEN first_response_seconds > 30 THEN 1 ELSE 0 END), "
     "ROUND(1.0 * SUM(CASE WHEN first_response_seconds > 30 THEN 1 ELSE 0 END) / COUNT(first_response_seconds), 4) "
     f"FROM fact_cs_sessions WHERE started_at >= {NOV.format(t='started_at')}", False),
    ("11月只有机器人接待、没有人工回复的咨询占多少比例",
     "SELECT COUNT(*), SUM(CASE WHEN first_response_seconds IS NULL THEN 1 ELSE 0 END) FROM fact_cs_sessions "
     f"WHERE started_at >= {NOV.format(t='started_at')}", False),
    ("11月新客首单的实付金额合计是多少",
     "SELECT COUNT(*), SUM(paid_amount) FROM (SELECT customer_id, pay_time, paid_amount, ROW_NUMBER() OVER "
     "(PARTITION BY customer_id ORDER BY pay_time, channel_code, order_id) AS rn FROM fact_orders WHERE pay_time IS NOT NULL) f "
     f"WHERE rn = 1 AND pay_time >= {NOV.format(t='pay_time')}", False),
    ("3月首购的新客里，5月又来买的占多少",
     "WITH f AS (SELECT customer_id, MIN(pay_time) AS t FROM fact_orders WHERE pay_time IS NOT NULL GROUP BY customer_id "
     "HAVING MIN(pay_time) >= DATE '2025-03-01' AND MIN(pay_time) < DATE '2025-04-01') "
     "SELECT COUNT(*), COUNT(*) FILTER (WHERE customer_id IN (SELECT customer_id FROM fact_orders WHERE pay_time >= "
     "DATE '2025-05-01' AND pay_time < DATE '2025-06-01')) FROM f", False),
    ("今年每个季度的支付订单数和环比",
     "WITH q AS (SELECT DATE_TRUNC('quarter', pay_time) AS q, COUNT(*) AS n FROM fact_orders WHERE pay_time >= "
     "DATE '2024-10-01' AND pay_time < DATE '2025-12-01' GROUP BY 1) SELECT c.q, c.n, p.n FROM q c LEFT JOIN q p "
     "ON p.q = c.q - INTERVAL 3 MONTH WHERE c.q >= DATE '2025-01-01' ORDER BY c.q", True),
    ("目前各二级类目的库存件数",
     "SELECT p.category_l2, SUM(v.on_hand_qty) FROM fact_inventory_daily v JOIN dim_product p ON p.sku = v.sku "
     "WHERE v.snapshot_date = DATE '2025-11-30' GROUP BY 1", False),
    ("上个月天猫和京东合起来的GMV占全店几成",
     "SELECT SUM(paid_amount) FILTER (WHERE channel_code IN ('tmall', 'jd')), SUM(paid_amount), ROUND(1.0 * "
     "SUM(paid_amount) FILTER (WHERE channel_code IN ('tmall', 'jd')) / SUM(paid_amount), 4) FROM fact_orders "
     f"WHERE pay_time >= {NOV.format(t='pay_time')}", False),
    ("上个月实付满300元的订单有几单",
     f"SELECT COUNT(*) FROM fact_orders WHERE paid_amount >= 300 AND pay_time >= {NOV.format(t='pay_time')}", False),
    ("What was last month's GMV from buyers in Zhejiang?",
     "SELECT SUM(o.paid_amount) FROM fact_orders o JOIN dim_customer c ON c.customer_id = o.customer_id "
     f"WHERE c.province = '浙江' AND o.pay_time >= {NOV.format(t='o.pay_time')}", False),
    ("11月的买家当中新客占了多少",
     "SELECT COUNT(DISTINCT customer_id) FROM fact_orders "
     f"WHERE pay_time >= {NOV.format(t='pay_time')}", False),
    ("11月新老客各自贡献的支付金额",
     "WITH f AS (SELECT customer_id, MIN(pay_time) AS t FROM fact_orders WHERE pay_time IS NOT NULL GROUP BY customer_id) "
     "SELECT CASE WHEN f.t >= DATE '2025-11-01' THEN '新客' ELSE '老客' END, SUM(o.paid_amount), COUNT(DISTINCT o.customer_id) "
     f"FROM fact_orders o JOIN f ON f.customer_id = o.customer_id WHERE o.pay_time >= {NOV.format(t='o.pay_time')} GROUP BY 1",
     False),
    ("3月份首单的那批新客，4、5、6月还回来买的比例分别是多少",
     "WITH f AS (SELECT customer_id FROM fact_orders WHERE pay_time IS NOT NULL GROUP BY customer_id "
     "HAVING MIN(pay_time) >= DATE '2025-03-01' AND MIN(pay_time) < DATE '2025-04-01'), "
     "m AS (SELECT * FROM (VALUES (1, DATE '2025-04-01'), (2, DATE '2025-05-01'), (3, DATE '2025-06-01')) v(k, s)) "
     "SELECT m.k, m.s, COUNT(*), COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM fact_orders o WHERE o.customer_id = "
     "f.customer_id AND o.pay_time >= m.s AND o.pay_time < m.s + INTERVAL 1 MONTH)) FROM m CROSS JOIN f "
     "GROUP BY m.k, m.s ORDER BY m.k", True),
    ("9月有购买的客户里，10月又下单付款的占多少",
     "WITH b AS (SELECT DISTINCT customer_id FROM fact_orders WHERE pay_time >= DATE '2025-09-01' AND pay_time < DATE '2025-10-01') "
     "SELECT COUNT(*), COUNT(*) FILTER (WHERE customer_id IN (SELECT customer_id FROM fact_orders WHERE pay_time >= "
     "DATE '2025-10-01' AND pay_time < DATE '2025-11-01')) FROM b", False),
    ("现在各个会员等级分别有多少人",
     "SELECT member_level, COUNT(*) FROM dim_customer WHERE registration_date < DATE '2025-12-01' GROUP BY 1", False),
    ("How many new members have signed up so far this year? Split it by the channel they registered on.",
     "SELECT ch.channel_name, COUNT(*) FROM dim_customer cu JOIN dim_channel ch ON ch.channel_code = cu.register_channel_code "
     "WHERE cu.registration_date >= DATE '2025-01-01' AND cu.registration_date < DATE '2025-12-01' GROUP BY 1", False),
    ("Put Double 11 2025 next to Double 11 2024: GMV and paying buyers",
     "SELECT cp.campaign_name, SUM(o.paid_amount), COUNT(DISTINCT o.customer_id) FROM fact_orders o JOIN dim_campaign cp "
     "ON o.pay_time >= cp.start_date AND o.pay_time < cp.end_date + INTERVAL 1 DAY "
     "WHERE cp.campaign_id IN ('D11_2024', 'D11_2025') GROUP BY 1 ORDER BY 1", True),
    ("双十一那个投放计划（D11_2025）在各渠道分别花了多少",
     "SELECT ch.channel_name, SUM(a.spend) FROM fact_ad_spend_daily a JOIN dim_channel ch ON ch.channel_code = a.channel_code "
     "WHERE a.campaign_id = 'D11_2025' GROUP BY 1", False),
    ("2025年第47周的支付订单数",
     "SELECT COUNT(*) FROM fact_orders WHERE pay_time >= DATE '2025-11-17' AND pay_time < DATE '2025-11-24'", False),
    ("11月各渠道的加购率和10月比差多少个百分点",
     "WITH m AS (SELECT channel_code, "
     "1.0 * SUM(add_to_cart_users) FILTER (WHERE stat_date >= DATE '2025-11-01') / SUM(uv) FILTER (WHERE stat_date >= DATE '2025-11-01') AS nov, "
     "1.0 * SUM(add_to_cart_users) FILTER (WHERE stat_date < DATE '2025-11-01') / SUM(uv) FILTER (WHERE stat_date < DATE '2025-11-01') AS oct "
     "FROM fact_traffic_daily WHERE sku IS NULL AND stat_date >= DATE '2025-10-01' AND stat_date < DATE '2025-12-01' GROUP BY 1) "
     "SELECT ch.channel_name, ROUND(nov - oct, 4) FROM m JOIN dim_channel ch ON ch.channel_code = m.channel_code", False),
    ("Q3每个月新客贡献的GMV占当月GMV多少",
     "WITH f AS (SELECT customer_id, MIN(pay_time) AS t FROM fact_orders WHERE pay_time IS NOT NULL GROUP BY customer_id) "
     "SELECT DATE_TRUNC('month', o.pay_time) AS m, SUM(o.paid_amount) FILTER (WHERE f.t >= DATE_TRUNC('month', o.pay_time)), "
     "SUM(o.paid_amount) FROM fact_orders o JOIN f ON f.customer_id = o.customer_id "
     "WHERE o.pay_time >= DATE '2025-07-01' AND o.pay_time < DATE '2025-10-01' GROUP BY 1 ORDER BY 1", True),
    ("今年9月到11月每个月新老客各自的支付金额",
     "WITH f AS (SELECT customer_id, MIN(pay_time) AS t FROM fact_orders WHERE pay_time IS NOT NULL GROUP BY customer_id) "
     "SELECT DATE_TRUNC('month', o.pay_time) AS m, CASE WHEN f.t >= DATE_TRUNC('month', o.pay_time) THEN '新客' ELSE '老客' END, "
     "SUM(o.paid_amount) FROM fact_orders o JOIN f ON f.customer_id = o.customer_id "
     "WHERE o.pay_time >= DATE '2025-09-01' AND o.pay_time < DATE '2025-12-01' GROUP BY 1, 2", False),
    ("2025年一季度首购的新客，首购后180天的LTV是多少（扣掉退款）",
     "WITH f AS (SELECT customer_id, MIN(pay_time) AS t FROM fact_orders WHERE pay_time IS NOT NULL GROUP BY customer_id "
     "HAVING MIN(pay_time) >= DATE '2025-01-01' AND MIN(pay_time) < DATE '2025-04-01'), "
     "o AS (SELECT o.order_id, o.paid_amount FROM fact_orders o JOIN f ON f.customer_id = o.customer_id "
     "WHERE o.pay_time IS NOT NULL AND o.pay_time <= f.t + INTERVAL 180 DAY), "
     "r AS (SELECT SUM(refund_amount) AS r FROM fact_refunds WHERE order_id IN (SELECT order_id FROM o)) "
     "SELECT (SELECT COUNT(*) FROM f), (SELECT SUM(paid_amount) FROM o), (SELECT r FROM r), "
     "ROUND(((SELECT SUM(paid_amount) FROM o) - (SELECT r FROM r)) / (SELECT COUNT(*) FROM f), 2)", False),
    ("11月退款按原因拆一下，每种原因退了多少笔、多少钱",
     f"SELECT reason, COUNT(*), SUM(refund_amount) FROM fact_refunds WHERE created_at >= {NOV.format(t='created_at')} GROUP BY 1",
     False),
    ("按近30天的日均销量，昨天的库存撑不到20天的SKU有哪些",
     "WITH s AS (SELECT i.sku, SUM(i.qty) / 30.0 AS daily FROM fact_order_items i JOIN fact_orders o ON o.order_id = i.order_id "
     "WHERE o.pay_time >= DATE '2025-11-01' AND o.pay_time < DATE '2025-12-01' GROUP BY 1) "
     "SELECT v.sku, v.on_hand_qty, ROUND(v.on_hand_qty / s.daily, 1) FROM fact_inventory_daily v JOIN s ON s.sku = v.sku "
     "WHERE v.snapshot_date = DATE '2025-11-30' AND v.on_hand_qty / s.daily < 20", False),
    ("How many units of each lipstick shade do we have in stock right now?",
     "SELECT p.sku, p.sku_spec, v.on_hand_qty FROM fact_inventory_daily v JOIN dim_product p ON p.sku = v.sku "
     "WHERE v.snapshot_date = DATE '2025-11-30' AND p.product_name = '丝绒哑光口红'", False),
    ("11月各一级类目销售额环比变化",
     "SELECT p.category_l1, SUM(i.allocated_paid_amount) FROM fact_order_items i JOIN fact_orders o ON o.order_id = "
     f"i.order_id JOIN dim_product p ON p.sku = i.sku WHERE o.pay_time >= {NOV.format(t='o.pay_time')} GROUP BY 1", False),
]


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return demo_warehouse(tmp_path_factory)


@pytest.mark.parametrize("question, gold_sql, ordered", CASES, ids=[c[0] for c in CASES])
def test_shapes_match_hand_written_sql(question: str, gold_sql: str, ordered: bool, wh: Path, tmp_path: Path) -> None:
    result = ask_warehouse(question, today=TODAY, settings=settings_for(wh, tmp_path))
    assert not result.refused, result.reason
    con = duckdb.connect(str(wh), read_only=True, config={"enable_external_access": False})
    gold = con.execute(gold_sql).fetchall()
    con.close()
    assert results_match(gold, [tuple(r) for r in result.rows], ordered), (result.sql, gold[:3], result.rows[:3])


def test_a_slow_reply_threshold_is_not_a_threshold_on_agents() -> None:
    sq = parse_question("上个月首次响应时长超过40秒的客服有哪些", TODAY)
    assert sq.metrics[0] == "first_response_time" and sq.thresholds[0].value == 40


@pytest.mark.parametrize("question, k, k_last", [
    ("1月首购的新客次月还在买的比例", 1, None), ("2025年2月首单的新客，6月还有购买的比例", 4, None),
    ("2025年6月首购的新客，7、8、9月每个月还有多少比例在买", 1, 3), ("6月份首单的新客，之后第2、3个月还回来买的比例", 2, 3),
    ("5月份首购的那批新客，后面每个月还有多少比例回来买？算到11月", 1, 6),
    ("5月份首购的那批新客，后面每个月还有多少比例回来买", 1, 6)])
def test_retention_month_is_read(question: str, k: int, k_last: int | None) -> None:
    sq = parse_question(question, TODAY)
    assert sq.metrics[0] == "retention_rate" and sq.params["k"] == k and sq.params.get("k_last") == k_last
    assert not sq.dimensions  # the months after the cohort are the rows, not a breakdown of the cohort


def test_monthly_cohorts_stop_at_the_last_complete_month() -> None:
    sq = parse_question("今年每个月拉来的新客，次月还回来买的比例各是多少？", TODAY)
    assert sq.metrics == ["retention_rate"] and sq.dimensions == ["month"] and sq.params == {"k": 1}
    assert sq.time_range.end.isoformat() == "2025-11-01"  # November's new customers have not had their December
    sq = parse_question("今年每个月的GMV，11月的就不用算了", TODAY)
    assert sq.time_range.end.isoformat() == "2025-11-01" and not sq.comparison


def test_guesses_after_a_breakdown_and_orderings_to_the_front() -> None:
    sq = parse_question("上个月不同会员等级的客单价分别是多少？想看看黑金会员到底比普通会员高多少", TODAY)
    assert sq.dimensions == ["member_level"] and not sq.filters
    sq = parse_question("今年各渠道的退款率对比一下，抖音是不是特别高？", TODAY)
    assert sq.dimensions == ["channel"] and not sq.filters
    sq = parse_question("护肤类每个SKU 11月的库存周转天数是多少？周转最慢的排前面", TODAY)
    assert sq.limit is None and sq.order_by[0].field == "inventory_days"
    sq = parse_question("奶茶色那支丝绒口红上个月卖了多少支", TODAY)
    assert {f.dimension: f.values for f in sq.filters}["sku_spec"] == ["#04 奶茶"]


def test_names_of_members_in_english_are_personal_data() -> None:
    from agent.errors import RefusedError
    with pytest.raises(RefusedError):
        parse_question("List the names and WeChat IDs of our top 10 gold members", TODAY)


def test_shop_names_and_campaign_years_are_not_misread() -> None:
    sq = parse_question("上周天猫的访客数", TODAY)  # 周天 is Sunday, but not inside 天猫
    assert (sq.time_range.start.isoformat(), sq.filters[0].values) == ("2025-11-24", ["天猫"])
    sq = parse_question("618期间的GMV，今年和去年比一下", TODAY)
    assert sq.comparison.kind == "yoy" and sq.comparison.previous.start.year == 2024
    sq = parse_question("各渠道的退款率排个序，感觉京东最高", TODAY)  # a guess about one row is not a filter
    assert sq.dimensions == ["channel"] and not sq.filters


@pytest.mark.parametrize("question, limit", [
    ("GMV by channel last month, lowest first", None),        # an ordering, not "which one"
    ("Which top-level category had the best conversion rate last month?", 1),
    ("上个月各省份的支付金额，看看哪个省最高", None),             # every row asked for, the top one first
])
def test_orderings_and_superlatives(question: str, limit: int | None) -> None:
    assert parse_question(question, TODAY).limit == limit


def test_threshold_words_and_the_month_already_named() -> None:
    sq = parse_question("上个月GMV过了2万的城市", TODAY)
    assert [(t.metric, t.op, t.value) for t in sq.thresholds] == [("gmv", ">", 20000)]
    sq = parse_question("上个月新客有多少？占当月买家的几成", TODAY)
    assert sq.comparison is None and sq.time_range.start.month == 11


def test_platform_fees_are_not_in_the_warehouse() -> None:
    from agent.errors import RefusedError
    with pytest.raises(RefusedError, match="佣金"):
        parse_question("上个月京东收了我们多少佣金", TODAY)
