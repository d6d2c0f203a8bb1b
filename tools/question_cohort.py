"""Cohort readings of the offline parser: N-day repurchase, LTV horizons and monthly retention.

A cohort is the new customers whose first paid order falls in the question's period; the
words after it say what is measured: "90天内复购" (n), "一年内贡献" (h), "次月/7月还在买" (k),
and a list of later months ("7、8、9月每个月", "之后第1、2、3个月", "后面每个月…算到11月")
asks for one retention row per month (k to k_last).
"""

from __future__ import annotations

import datetime as dt
import re

from tools.question_time import NUM, TimeHit, cn_int
from tools.semantic import add_months

COHORT_WORDS = r"新客|首购|首次购买|首单|首次下单|new customers?|first[- ]time|first purchase|cohort"
RETURNED = (r"还有?(?:在)?(?:购买|买|下单|复购)|还在买|还[^,，。?？]{0,8}?在(?:买|购买|下单)|回来(?:下单|购买|买)|再(?:次)?(?:下单|购买)|"
            r"回来买|又来买|再来买|回头买|又买|又下单|再买|再次购买|回购|复购|留存|"
            r"came back|bought again|still buying|retention")
NEXT_MONTH = r"次月|下个月|下一个月|下一个自然月|下个自然月|第二个月|next (?:calendar )?month|following (?:calendar )?month|month after"
_EVERY_MONTH = r"每个月|每月|逐月|各月|每一个月|month by month|each month|every month"
_MONTH_LIST = r"第\s*(\d{1,2})((?:\s*[、,，和及与]\s*第?\s*\d{1,2})+)\s*个?月"
_AFTER = r"之后|后面|以后|此后|往后|after(?:wards)?|following|later"
_BOUGHT = r"买过|购买过|有购买|有过购买|下过单|买了东西|有支付|消费过|bought|purchased|paid|ordered"
_DROPPED = ("order_conversion_rate", "order_payment_rate", "placed_orders", "retention_rate", "new_customers", "new_customer_share", "repurchase_rate", "paying_buyers")


def expand_month_lists(text: str) -> str:
    """"7、8、9月" → "7月、8月、9月": each month of a list is a period of its own."""
    return re.sub(r"(?<![\d.])(\d{1,2})(?=(?:\s*[、,，和及与]\s*\d{1,2})+\s*月(?!\s*\d))", r"\1月", text)


def _months(times: list[TimeHit]) -> list[TimeHit]:
    return [h for h in times if h.range.start.day == 1 and h.range.end == add_months(h.range.start, 1)]


def _offset(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def cohort_metrics(metrics: list[str], text: str, question: str, times: list[TimeHit], today: dt.date
                   ) -> tuple[list[str], list[TimeHit], dict[str, int]]:
    """Rewrite the metric list for a cohort question; return (metrics, times left, parameters)."""
    params: dict[str, int] = {}
    days_n = re.search(rf"{NUM}\s*-?\s*(?:天|日|days?)", text)
    cohort = re.search(COHORT_WORDS, text)
    if ("repurchase_rate" in metrics or re.search(r"复购|回购|repurchase|repeat", text)) and cohort and days_n:
        metrics = ["cohort_repurchase_rate", *[m for m in metrics if m not in ("repurchase_rate", "new_customers")]]
        params["n"] = cn_int(days_n.group(1))
    if "ltv" in metrics:
        if re.search(r"扣掉退款|扣除退款|减去退款|去掉退款|扣退款|net of refunds?|minus refunds?|after refunds?|less refunds?", text):
            metrics = [m for m in metrics if m not in ("refund_amount", "refund_count")]  # LTV is already net
        if days_n:
            params["h"] = cn_int(days_n.group(1))
        elif re.search(r"一年|1年|12个月|one year|1 year|12 months", question):
            params["h"] = 365
    months = _months(times)
    bought = re.search(_BOUGHT, text)
    again = re.search(RETURNED, text[bought.end():]) if bought and not cohort and len(months) >= 2 else None
    if bought and again:
        # "9月有购买的客户里，10月又下单付款的占多少", "customers who bought in September… again in October":
        # any buyers of one month (the month nearest "bought"), paying again in a later one (nearest "again")
        at = bought.end() + again.start()
        near = lambda pos: lambda h: min(abs(h.start - pos), abs(h.end - pos))  # noqa: E731
        base = min(months, key=near(bought.start()))
        later = min((h for h in months if h is not base), key=near(at))
        if _offset(base.range.start, later.range.start) > 0:
            params["k"] = _offset(base.range.start, later.range.start)
            kept = [m for m in metrics if m not in (*_DROPPED, "gmv", "paid_orders", "buyer_return_rate", "members")]
            return ["buyer_return_rate", *kept], [h for h in times if h is base or h not in months], params
    listed = re.search(_MONTH_LIST, text)
    every = re.search(_EVERY_MONTH, text) and re.search(_AFTER, text) or re.search(rf"(?:{_AFTER}).{{0,4}}(?:{_EVERY_MONTH})", text)
    if cohort and re.search(RETURNED, text) and not days_n and (
            re.search(NEXT_MONTH, text) or len(months) >= 2 or listed or every or "retention_rate" in metrics):
        metrics = ["retention_rate", *[m for m in metrics if m not in _DROPPED]]
        if months and not re.search(NEXT_MONTH, text):
            base = months[0].range.start
            later = [_offset(base, h.range.start) for h in months[1:]]
            later = [k for k in later if k > 0]
            if every and not later:  # "后面每个月还有多少比例回来买": up to the last full month
                later = [_offset(base, add_months(today, -1))]
            if later:
                # "6月首购的新客，7月还有购买的比例": the cohort is the first month, later months say k
                first, last = (1, max(later)) if every else (min(later), max(later))
                params["k"] = max(1, first)
                if last > params["k"]:
                    params["k_last"] = last
                times = [h for h in times if h not in months[1:]]
    if "retention_rate" in metrics:
        if listed:  # "之后第1、2、3个月"
            ks = [int(listed.group(1)), *map(int, re.findall(r"\d{1,2}", listed.group(2)))]
            params["k"], params["k_last"] = min(ks), max(ks)
        k = re.search(rf"第\s*{NUM}\s*个?月|m\s*(\d+)|month\s*(\d+)", text)
        if k and "k" not in params:
            params["k"] = cn_int(next(g for g in k.groups() if g))
        if re.search(NEXT_MONTH, text):
            params["k"] = 1
            params.pop("k_last", None)
        if params.get("k_last", 0) <= params.get("k", 1):
            params.pop("k_last", None)
    if {"cohort_repurchase_rate", "ltv", "retention_rate"} & set(metrics):
        metrics = [m for m in metrics if m != "new_customers" or "cac" in metrics]
    if "days_to_second_order" in metrics and cohort:  # the cohort's size beside the interval
        metrics = ["days_to_second_order", *[m for m in metrics if m != "days_to_second_order"]]
        metrics += [] if "new_customers" in metrics else ["new_customers"]
    return metrics, times, params
