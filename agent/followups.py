"""Follow-ups resolved against the conversation state, without a model.

An analytics follow-up ("那上上个月呢?", "按渠道拆开", "换成抖音", "那转化率呢?") is folded
into the previous question, which then goes through the same parser as any question.
A compliance follow-up ("第二条为什么违规?") picks a finding of the last check.
"""

from __future__ import annotations

import re

from agent.router import _METRIC

_FILLER = re.compile(r"^(?:那么|那|再|然后|and|what about|how about)\s*|(?:呢|吧|啊|的数据|的情况)?\s*[?？。!！]*$", re.I)
_TIME = re.compile(
    r"(?:今年|去年|前年)?(?:双十一|双11|618|年货节|三八节|双12)(?:期间|大促期间)?|上上个?月|上个?月|本月|这个月|上上周|上周|本周|这周|"
    r"昨天|前天|今天|最近\s*\d+\s*(?:天|周|个月)|近\s*\d+\s*(?:天|周|个月)|过去\s*\d+\s*(?:天|周|个月)|"
    r"\d{4}\s*年\s*\d{1,2}\s*月|\d{4}\s*年|今年|去年|前年|本季度|上季度|q[1-4]|上半年|下半年|"
    r"last (?:week|month|year|quarter)|this (?:week|month|year|quarter)|yesterday",
    re.I,
)
_DIMENSION = re.compile(r"^(?:按|分|by\s+)(.{1,10}?)(?:拆开看|拆开|拆分一下|拆分|拆一下|拆|分开|分一下|分|看一下|看看|看|展开|维度)?$", re.I)
_DIM_IN_QUESTION = re.compile(r"(?:各|按|分|每个)(?:渠道|平台|品类|类目|一级类目|二级类目|省份|省|城市|商品|sku|spu|品牌|客服|会员等级|年龄段|性别|活动|天|周|月)|by \w+", re.I)
_SWAP = re.compile(r"^(?:换成|改成|改为|换为|只看|看看|看一下|切到|switch to|only)\s*(.+)$", re.I)
# Values that replace each other in a question ("换成抖音" after "天猫的GMV").
_VALUE_GROUPS = [
    ["天猫", "淘宝", "京东", "拼多多", "抖音", "小红书", "微信小程序"],
    ["护肤", "彩妆", "个护", "食品", "家居", "母婴"],
    ["金卡会员", "银卡会员", "普通会员", "钻石会员"],
]
_ORDINAL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_FINDING_NO = re.compile(r"第\s*([一二两三四五六七八九十\d]+)\s*[条个处]|#\s*(\d+)|finding\s*(\d+)", re.I)


def _core(text: str) -> str:
    core = text.strip()
    for _ in range(2):
        core = _FILLER.sub("", core).strip()
    return core


def rewrite_analytics(previous: str, followup: str) -> str:
    """Fold a follow-up into the previous analytics question.

    >>> rewrite_analytics("上个月各渠道的GMV是多少", "那上上个月呢?")
    '上上个月各渠道的GMV是多少'
    >>> rewrite_analytics("上个月的GMV是多少", "换成抖音")
    '上个月的GMV是多少，只看抖音'
    """
    core = _core(followup)
    if not core:
        return previous
    swap = _SWAP.match(core)
    if swap:
        value = _core(swap.group(1))
        for group in _VALUE_GROUPS:
            if value in group:
                present = [v for v in group if v in previous and v != value]
                if present:
                    return previous.replace(present[0], value)
        if _TIME.fullmatch(value):
            return _replace_time(previous, value)
        return _append(previous, f"只看{value}")
    dim = _DIMENSION.match(core)
    if dim:
        name = dim.group(1).strip()
        cleaned = _DIM_IN_QUESTION.sub("", previous).replace("的的", "的")
        cleaned = re.sub(r"，\s*按[^，]*", "", cleaned)  # an earlier "，按渠道" gives way to the new breakdown
        return _append(cleaned, f"按{name}")
    if _TIME.fullmatch(core):
        return _replace_time(previous, core)
    if re.fullmatch(r"同比|环比|yoy|mom", core, re.I):
        return _append(previous, core)
    metric = re.search(_METRIC, core, re.I)
    if metric and len(core) <= 12:
        old = re.search(_METRIC, previous, re.I)
        if old:
            return previous[: old.start()] + core + previous[old.end():]
    return _append(previous, core)


def _append(previous: str, clause: str) -> str:
    """Add a clause once, keeping the question tidy."""
    if clause in previous:
        return previous
    return re.sub(r"[，,]{2,}", "，", f"{previous.rstrip('，,?？ ')}，{clause}")


def _replace_time(previous: str, time_expr: str) -> str:
    if _TIME.search(previous):
        return _TIME.sub(time_expr, previous, count=1)
    return f"{time_expr}{previous}"


def finding_number(text: str) -> int | None:
    """``第二条`` → 2, ``#3`` → 3; ``None`` when the message names no finding."""
    m = _FINDING_NO.search(text)
    if not m:
        return None
    token = next(g for g in m.groups() if g)
    if token.isdigit():
        return int(token)
    if token.startswith("十"):
        return 10 + _ORDINAL.get(token[1:], 0)
    if "十" in token:
        tens, _, ones = token.partition("十")
        return _ORDINAL.get(tens, 1) * 10 + _ORDINAL.get(ones, 0)
    return _ORDINAL.get(token)
