"""The offline brain's first step: place a message in one intent, deterministically.

Each intent has a table of (pattern, weight) signals; a message scores the sum of the
weights of the signals it matches. The best intent wins when it is clear; two close
intents get a clarifying question; a message that scores too little gets the help reply.
Follow-ups ("那上上个月呢?", "第二条为什么违规?") are placed by the conversation's last intent.

>>> route("上个月各渠道的GMV是多少?").intent
'analytics'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

INTENTS = ("knowledge", "analytics", "compliance", "copy", "campaign_plan", "cs_reply")
HELP = "help"
CLARIFY = "clarify"

# Below this score nothing is placed; within this ratio of the best, a second intent is
# close enough to ask which one the user meant.
MIN_SCORE = 1.0
CLARIFY_RATIO = 0.8

_METRIC = (
    r"gmv|成交额|销售额|营业额|交易额|支付金额|拍下金额|下单金额|净成交|销量|订单数|订单量|买家数|件数|"
    r"客单价|笔单价|访客|uv|pv|浏览量|流量|转化率|加购|收藏率|退款|退货率|新客|老客|复购|留存|ltv|cac|"
    r"广告花费|投放|roi|roas|ctr|cpc|cpm|点击率|投产比|毛利|库存周转|动销率|响应时长|询单转化|满意度|nps|"
    r"好评率|revenue|sales|orders|conversion|refund|visitors|traffic|spend|retention|repurchase|aov|margin"
)
_TIME = (
    r"昨天|今天|前天|本周|上周|这周|本月|上个?月|上上个?月|这个月|今年|去年|前年|本季度|上季度|最近\s*\d+\s*[天日周月]|"
    r"近\s*\d+\s*[天日周月]|过去\s*\d+|\d{4}\s*年|\d{1,2}\s*月份?|q[1-4]|上半年|下半年|期间|每天|每日|每周|每月|趋势|"
    r"yesterday|last (?:week|month|year|quarter)|this (?:week|month|year)|in (?:january|february|march|april|may|june|"
    r"july|august|september|october|november|december)|\b20\d\d\b|trend|daily|monthly|weekly"
)
_DIM = (
    r"各渠道|按渠道|分渠道|各平台|各品类|按品类|各类目|按类目|分类目|各省|按省|各城市|按城市|各sku|各商品|按商品|各品牌|"
    r"按品牌|各客服|每个客服|会员等级|按年龄|性别|by channel|by category|by province|per channel|each channel|by sku"
)
_ASK_NUMBER = r"多少|几个|几单|是多少|排名|前\s*\d+|top\s*\d+|最高|最低|同比|环比|对比|涨了|降了|增长|占比|how much|how many|what was|compare|ranking"
_DEFINE = r"什么是|是什么意思|什么意思|怎么算|如何计算|怎么计算|计算公式|公式|定义|口径|指的是|含义|what is|what does|definition|how is .* calculated|define|meaning of"
_CHECK = r"检查|审核|审一下|查一下.*(违规|合规)|合规吗|违规吗|有没有违规|是否违规|是否合规|有违规|违规词|违禁词|敏感词|极限词|能不能发|能发吗|过审|风险|check (?:this|the|my)|compliant|compliance check|violat|review this"
_PAYLOAD = r"[:：]\s*\S.{5,}|[“\"「『].{6,}[”\"」』]"
_CS = (
    r"顾客|客户|买家|消费者|customer|buyer|shopper|客人"
)
_CS_ASK = r"怎么回|如何回|回复|话术怎么说|怎么答复|应答|安抚|reply|respond|answer (?:the|this|a) customer|draft a response"
_CS_MSG = r"我的快递|我的订单|收到的|还没发货|什么时候发货|破损|坏了|少发|发错|能退吗|可以退|退款怎么|物流|订单号|order\s*#?\d|我要投诉|差评|发票|价保|退差价"
_COPY = (
    r"写(?:一|个|几|段|篇|条|份)?.{0,8}(?:文案|标题|卖点|详情|笔记|话术|口播|slogan|广告语|短视频脚本|脚本)|帮我写|帮忙写|来一?段|起个标题|"
    r"改写|润色|提炼.{0,6}卖点|write (?:a|an|some|me)|draft (?:a|an|some) (?:post|caption|title|copy)|copywriting"
)
_COPY_NOUN = r"种草文案|种草笔记|朋友圈文案|小红书笔记|直播话术|商品标题|产品描述|详情页文案|主图文案|product description|tagline|ad copy|caption"
_PLAN = (
    r"活动方案|活动策划|大促方案|策划(?:一|个|下)|排期|节奏规划|活动规划|营销方案|营销计划|推广计划|投放计划|作战计划|全案|"
    r"做(?:一|个)?(?:份|个)?.{0,8}(?:方案|计划|规划)|目标\s*\d|预算\s*\d|gmv目标|campaign plan|plan (?:a|the|our)|promotion plan|launch plan"
)
_KNOW = (
    r"怎么做|如何做|怎么提升|如何提升|怎么提高|如何提高|有哪些|有什么|该做什么|要做什么|做什么|注意什么|注意事项|流程|步骤|方法|策略|技巧|"
    r"为什么|为何|是否可以|能不能写|可以写|规定|规则|政策|条款|广告法|哪一条|依据|攻略|阶段|玩法|手册|playbook|sop|"
    r"how (?:do|to|can|should)|what should|why|policy|rule|guide|best practice|steps"
)
_GREET = r"^(?:你好|您好|hi|hello|hey|在吗|在不在|嗨|哈喽|早上好|晚上好)[!！。.\s]*$|你能做什么|你会什么|能帮我做什么|怎么用|使用说明|帮助|^help$|what can you do|how do i use"
_CHANNELS = r"天猫|淘宝|京东|拼多多|抖音|小红书|微信小程序|快手|tmall|taobao|jd|pdd|douyin|xiaohongshu"

# A follow-up only makes sense after the intent it continues.
_ANALYTICS_FOLLOWUP = (
    r"^(?:那|那么)?.{0,12}呢[?？]?$|^(?:按|分).{1,8}(?:拆开|拆分|拆|分|看|展开)|^换成|^改成|^只看|^去掉|^换个|^再看|^加上|"
    r"^(?:那)?(?:上上个?月|上个?月|去年|今年|本月|上周|同比|环比)|^what about|^and (?:for|in|by)|^break (?:it )?down|^split by|^only "
)
_COMPLIANCE_FOLLOWUP = r"第\s*[一二三四五六七八九十\d]+\s*[条个处]|为什么(?:违规|不行|不能|被标)|怎么改|改写|哪里违规|依据是什么|why (?:is|was) .*(?:flag|violat)|finding\s*#?\d|how (?:do|should) i fix"


@dataclass(frozen=True)
class Signal:
    pattern: str
    weight: float
    name: str


@dataclass
class Route:
    """Where a message goes: an intent (or help / clarify), its scores and why."""

    intent: str
    scores: dict[str, float] = field(default_factory=dict)
    candidates: tuple[str, ...] = ()
    followup: bool = False
    reasons: dict[str, list[str]] = field(default_factory=dict)

    @property
    def placed(self) -> bool:
        return self.intent in INTENTS


def _sig(name: str, pattern: str, weight: float) -> Signal:
    return Signal(pattern, weight, name)


def _signals() -> dict[str, list[Signal]]:
    return {
        "analytics": [
            _sig("metric", _METRIC, 0.8),
            _sig("time", _TIME, 0.6),
            _sig("dimension", _DIM, 0.6),
            _sig("number-question", _ASK_NUMBER, 0.5),
            _sig("channel-value", _CHANNELS, 0.15),
            _sig("query-verb", r"查一?下|查询|拉一?下|统计|报表|数据|跑一下|show me|pull|query", 0.4),
            # Writes and personal data go to analytics so that its guard refuses them with the reason.
            _sig("warehouse-write", r"(?:删掉|删除|清空|更新|修改|插入|drop|delete|truncate|update|insert).{0,12}(?:表|table|数据库|订单数据)|drop table", 1.2),
            _sig("personal-data", r"(?:查|导出|拉|列出|给我|export|list).{0,12}(?:手机号|电话号码|姓名|收货地址|身份证|phone numbers?|home address)", 1.2),
        ],
        "knowledge": [
            _sig("howto", _KNOW, 0.9),
            _sig("define", _DEFINE, 1.0),
            _sig("question-mark", r"[?？]$", 0.2),
            _sig("question-word", r"怎么|如何|哪些|什么|怎样|多久|多长时间|吗[?？]?$|是否|要不要|需不需要|能否|how|what|which|when|can we|should", 0.6),
            _sig("rule-question", r"规定|法规|广告法|条例|规则|政策|资质|算.{1,12}吗|合法吗|允许|regulation|allowed|legal", 0.8),
            _sig("domain", r"退货|退款规则|发货|发票|价保|价格保护|破损|赔付|化妆品|食品|宣传|用户|会员|复购|新客|沉默|唤醒|触达|加好友|私域|社群|"
                 r"店铺|运营|直播|主播|达人|内容|流量|转化|promotion|customer|community|private domain|double 11|618", 0.4),
            _sig("playbook-topic", r"私域|企微|企业微信|社群|双十一|双11|618|预热|蓄水|爆发期|返场|大促|会员|拉新|用户分层|直播|种草|达人|售后政策|七天无理由|退货规则|发货时效", 0.3),
        ],
        "compliance": [
            _sig("check-verb", _CHECK, 1.3),
            _sig("payload", _PAYLOAD, 0.3),
            _sig("ad-terms", r"最好|第一|顶级|最佳|国家级|特供|根治|治疗|包过|稳赚|史上最|全网最低|美白|祛斑|100%|万能|绝对", 0.3),
        ],
        "copy": [
            _sig("write", _COPY, 1.4),
            _sig("copy-noun", _COPY_NOUN, 0.8),
            _sig("platform", r"小红书|抖音|朋友圈|淘宝|详情页|直播间|主图", 0.2),
        ],
        "campaign_plan": [
            _sig("plan", _PLAN, 1.4),
            _sig("event", r"双十一|双11|618|年货节|三八节|双12|大促|新品上市|周年庆|black friday", 0.3),
            _sig("target", r"预算|目标|gmv目标|budget|goal|target", 0.3),
        ],
        "cs_reply": [
            _sig("customer", _CS, 0.7),
            _sig("reply-ask", _CS_ASK, 0.7),
            _sig("customer-message", _CS_MSG, 0.5),
        ],
    }


@lru_cache(maxsize=1)
def _compiled() -> dict[str, list[tuple[re.Pattern[str], Signal]]]:
    return {intent: [(re.compile(s.pattern, re.I), s) for s in sigs] for intent, sigs in _signals().items()}


def normalize_message(text: str) -> str:
    """Fold full-width forms and case so patterns see one spelling; traditional → simplified."""
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        from knowledge.normalize import to_simplified

        text = to_simplified(text)
    except Exception:  # the router must keep working even if OpenCC is unavailable
        pass
    return text.lower()


def score(text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Sum of matched signal weights per intent, with the names of the signals that fired."""
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    for intent, signals in _compiled().items():
        total = 0.0
        fired: list[str] = []
        for pattern, sig in signals:
            if pattern.search(text):
                total += sig.weight
                fired.append(sig.name)
        scores[intent] = round(total, 3)
        reasons[intent] = fired
    _adjust(text, scores, reasons)
    return scores, reasons


def _adjust(text: str, scores: dict[str, float], reasons: dict[str, list[str]]) -> None:
    """Interactions between signals that a plain sum cannot express."""
    an, kn = reasons["analytics"], reasons["knowledge"]
    # A bare KPI name ("转化率", "GMV") could want the definition or the figure: ask.
    if re.fullmatch(rf"(?:{_METRIC})\w{{0,2}}[?？]?", text, re.I):
        scores["analytics"] = scores["knowledge"] = 1.0
        return
    # A metric alone is a topic, not a query: a number needs a time, a breakdown or a number question.
    if "metric" in an and not ({"time", "dimension", "number-question", "query-verb"} & set(an)):
        scores["analytics"] -= 0.4
    # "什么是复购率" / "复购率怎么算" asks for the definition, not the figure.
    if "define" in kn and "metric" in an and "time" not in an:
        scores["analytics"] -= 0.6
    # "为什么不能写'全网最低价'" asks about a rule; checking needs a check verb.
    if "check-verb" not in reasons["compliance"]:
        scores["compliance"] = min(scores["compliance"], 0.5)
    # A customer-service reply needs someone to reply to.
    if "customer" not in reasons["cs_reply"] and "customer-message" not in reasons["cs_reply"]:
        scores["cs_reply"] = min(scores["cs_reply"], 0.5)
    if "customer" in reasons["cs_reply"] and ("reply-ask" in reasons["cs_reply"] or "customer-message" in reasons["cs_reply"]):
        scores["cs_reply"] += 0.5
    # Writing or planning asks are explicit requests; they outrank the topic words they contain.
    if "write" in reasons["copy"] and "check-verb" not in reasons["compliance"]:
        scores["knowledge"] -= 0.5
        scores["cs_reply"] = min(scores["cs_reply"], 0.5)
    # "销量最高的SKU有哪些" wants a ranking from the data, not an article.
    if "metric" in an and "number-question" in an and "define" not in kn:
        scores["knowledge"] -= 0.6
    # "客户说…怎么回" asks for a reply to send, not for the policy text behind it.
    if {"customer", "reply-ask"} <= set(reasons["cs_reply"]):
        scores["knowledge"] -= 0.6
    if "plan" in reasons["campaign_plan"]:
        if "copy-noun" in reasons["copy"]:
            # "活动方案和朋友圈文案": two asks in one message; let the user pick.
            scores["copy"] = scores["campaign_plan"] = max(scores["copy"], scores["campaign_plan"])
        else:
            scores["copy"] -= 1.0  # "帮我写一个活动方案" is a plan
        scores["knowledge"] -= 0.5
        # "双十一各渠道GMV和活动方案" asks for both: keep the figure request in the running.
        if not ("metric" in an and {"time", "dimension"} & set(an)):
            scores["analytics"] -= 0.3
    # "检查这段小红书文案：…" is a check, whatever the copy words say.
    if "check-verb" in reasons["compliance"] and "payload" in reasons["compliance"]:
        scores["copy"] -= 0.6
        scores["knowledge"] -= 0.4
    for intent in scores:
        scores[intent] = round(max(scores[intent], 0.0), 3)


def _continues(text: str) -> bool:
    """A follow-up leans on the previous question; "上个月GMV是多少" names its metric and stands alone."""
    if re.search(r"^(?:那|换成|改成|只看|按|分|去掉|加上|再|what about|and |break|split|only )|呢[?？]?$", text, re.I):
        return True
    return not re.search(_METRIC, text, re.I)


def route(message: str, last_intent: str | None = None) -> Route:
    """Place one message; ``last_intent`` is the conversation's previous intent, for follow-ups."""
    text = normalize_message(message)
    if last_intent == "analytics" and len(text) <= 30 and re.search(_ANALYTICS_FOLLOWUP, text, re.I) \
            and _continues(text):
        return Route("analytics", followup=True, reasons={"analytics": ["follow-up"]})
    if last_intent == "compliance" and len(text) <= 40 and re.search(_COMPLIANCE_FOLLOWUP, text, re.I):
        return Route("compliance", followup=True, reasons={"compliance": ["follow-up"]})
    if not text or re.search(_GREET, text, re.I):
        return Route(HELP, reasons={HELP: ["greeting or help"]})
    scores, reasons = score(text)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], INTENTS.index(kv[0])))
    (best, top), (second, runner) = ranked[0], ranked[1]
    if top < MIN_SCORE:
        return Route(HELP, scores, reasons=reasons)
    if runner >= MIN_SCORE * 0.8 and runner >= top * CLARIFY_RATIO:
        return Route(CLARIFY, scores, candidates=(best, second), reasons=reasons)
    return Route(best, scores, candidates=(best,), reasons=reasons)


INTENT_LABELS = {
    "knowledge": "查知识库（运营手册、店铺政策、KPI 定义、合规规则）",
    "analytics": "查数据（GMV、转化率、退款率等指标）",
    "compliance": "检查广告文案是否合规",
    "copy": "写商品文案",
    "campaign_plan": "做活动方案",
    "cs_reply": "拟客服回复",
}


def clarifying_question(route_: Route) -> str:
    """The question asked when a message sits between two intents."""
    a, b = route_.candidates[:2]
    return f"我不太确定你想要哪一种：1) {INTENT_LABELS[a]}；2) {INTENT_LABELS[b]}。请回复 1 或 2，或者把问题说得更具体一些。"


def help_text() -> str:
    """The short reply for a message Zhanggui cannot place."""
    lines = ["我是掌柜，可以帮你："]
    lines += [f"- {label}" for label in INTENT_LABELS.values()]
    lines.append("例如：“双十一预热期该做什么?”、“上个月各渠道的GMV是多少?”、“检查文案：全网最低价，史上最好用”。")
    return "\n".join(lines)
