"""Requests refused before any SQL exists: writes, injected instructions, personal data,
tables that do not exist, and questions whose metric is ambiguous ("赚了多少钱").

Each check returns the reason a user reads; the parser raises RefusedError with it.
"""

from __future__ import annotations

import re

from knowledge.kpis import SemanticLayer

KNOWN_TABLES = ("dim_channel", "dim_product", "dim_customer", "dim_campaign", "fact_orders", "fact_order_items",
                "fact_refunds", "fact_traffic_daily", "fact_ad_spend_daily", "fact_inventory_daily", "fact_cs_sessions")
TABLES_ZH = "渠道、商品、客户（已脱敏）、活动、订单、订单明细、退款、流量、广告投放、库存快照、客服会话"

_WRITE = re.compile(
    r"删除|删掉|删了|清空|清除|清掉|抹掉|更新一下|更新成|更新为|把.{0,20}(改成|改为|更新|设为|设置为)|修改|插入|写入|新增一条|"
    r"改一下|改下|改掉|篡改|升级成|升级为|降级成|降级为|归档|新建一张|建一张|建表|存进|存到|保存到|写进|写回|回写|写到|导入到|补录|录入|添加一笔|加一笔|造一笔|新增一笔|插一条|清理一下|清理掉|清理下|重置|去重后删|多加\s*\d|"
    r"\b(drop|delete|truncate|update|insert|alter|create|grant|revoke|merge|replace into|vacuum|checkpoint|"
    r"install|load extension|export database|import database|copy\s+\w+\s+(to|from))\b", re.I)
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要管|跳过)(掉)?(之前|以上|上面|前面|先前|所有|全部|你的)?(的)?(所有)?(指令|指示|规则|提示|要求|设定|限制)|"
    r"ignore (all |any )?(the )?(previous|prior|above|earlier|your) (instructions|rules|prompts?)|disregard .{0,20}instructions|"
    r"system prompt|系统提示词|你现在是|越狱|jailbreak|\bact as (the |an? )?(dba|admin|administrator|root|superuser)\b|"
    r"(打印|输出|显示|复述|泄露|展示|重复|念)[^。？?]{0,12}(指令|提示词|提示语|prompt|系统设定)|"
    r"(你的|你收到的|收到的|全部|所有)\s*(指令|提示词|提示语|prompt|系统设定)[^。？?]{0,12}(打印|输出|显示|复述|泄露|展示|重复|念)|"
    r"\b(print|reveal|show|repeat|output|dump)\b[^.?]{0,24}\b(instructions|prompt)\b|"
    r"(执行|运行|run|execute)\s*(以下|下面|这条|这个|this|the following)?\s*(的)?\s*(sql|语句|命令|command)|"
    r"\bselect\b[^。？?]{0,200}\bfrom\b|;\s*--|\bunion\s+select\b", re.I)
_PII = re.compile(
    r"(?<!商品)(?<!产品)(?<!活动)(?<!渠道)(?<!品牌)(?<!类目)(?<!文件)(?<!字段)(?<!表)(姓名|名字|真名|手机号|手机号码|电话号码|电话|联系方式|"
    r"收货地址|详细地址|家庭住址|住址|地址|身份证|邮箱|微信号|银行卡|qq号)|"
    r"\b(phone numbers?|phone|mobile numbers?|e-?mail addresses?|emails?|home address|addresses|address|"
    r"customer names?|full names?|names of (the )?customers|id card|identity card)\b", re.I)
_TABLE_EN = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_TABLE_ZH = re.compile(r"([\u4e00-\u9fff]{2,8})表(?![现格达示单态演情扬彰率盘明])")
_TABLE_OK_ZH = ("订单", "订单明细", "明细", "退款", "流量", "广告", "投放", "库存", "客服", "会话", "商品", "客户", "渠道",
                "活动", "维", "事实", "报", "列", "代", "发", "图", "日", "月", "周", "汇总")


def screen(text: str, layer: SemanticLayer) -> str | None:
    """The refusal reason for an unsafe or unanswerable request, or None when it may proceed."""
    if _INJECTION.search(text):
        return ("问题里夹带了要我改变规则或直接执行的指令/SQL，已拒绝。掌柜只按指标口径生成只读查询，"
                "不会执行问题里给出的语句。请直接描述想看的指标、维度和时间。")
    if _WRITE.search(text):
        return "数仓是只读的：掌柜不会删除、修改或写入任何数据。可以问我查询类的问题，例如“上个月各渠道的GMV”。"
    if _PII.search(text):
        return ("涉及个人信息（姓名、手机号、地址等）的请求不能执行：数仓里的客户数据已脱敏，没有这些字段，"
                "掌柜也不会输出个人信息。可以按省份、城市、会员等级、年龄段等维度做汇总分析。")
    known_cols = _known_identifiers(layer)
    for m in _TABLE_EN.finditer(text):
        word = m.group(0)
        if word not in known_cols and word not in KNOWN_TABLES:
            return f"数仓里没有 {word} 这张表或字段。现有的表：{', '.join(KNOWN_TABLES)}（{TABLES_ZH}）。"
    for m in _TABLE_ZH.finditer(text):
        name = m.group(1)[-4:]
        if not any(name.endswith(ok) for ok in _TABLE_OK_ZH):
            return f"数仓里没有“{name}表”。现有的表：{TABLES_ZH}（{', '.join(KNOWN_TABLES)}）。"
    return None


def ambiguity(text: str, layer: SemanticLayer) -> str | None:
    """The clarifying question for an ambiguous metric word, or None."""
    for rule in layer.ambiguous:
        if any(w.lower() in text for w in rule.words) and not any(u.lower() in text for u in rule.unless):
            return rule.question
    return None


def _known_identifiers(layer: SemanticLayer) -> set[str]:
    names = set(KNOWN_TABLES) | set(layer.measures) | set(layer.dimensions) | {k.id for k in layer.kpis}
    for src in layer.sources.values():
        names |= set(re.findall(r"[a-z_][a-z0-9_]*", " ".join([src.from_, src.where or "", *src.keys.values()])))
    for m in layer.measures.values():
        names |= set(re.findall(r"[a-z_][a-z0-9_]*", m.sql))
    for d in layer.dimensions.values():
        names |= set(re.findall(r"[a-z_][a-z0-9_]*", f"{d.join or ''} {d.column or ''}"))
    names |= {"add_to_cart_users", "favorite_users", "cost_price", "list_price", "review_score", "age_band",
              "city_tier", "member_level", "register_channel_code", "registration_date", "launch_date",
              "discontinued_date", "sku_spec", "platform_company", "channel_type", "open_date", "campaign_type",
              "start_date", "end_date", "line_no", "unit_price", "refund_type", "session_type", "recommend_score",
              "first_response_seconds", "converted_order_id", "on_hand_qty", "snapshot_date", "stat_date"}
    return names
