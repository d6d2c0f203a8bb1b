"""The offline brain's first step: place a message in one intent, deterministically.

Each intent has a table of (pattern, weight) signals; a message scores the sum of the
weights of the signals it matches. The best intent wins when it is clear; two close
intents, or two explicit requests in one message, get a clarifying question. A message
that scores too little goes to knowledge search when it is a question (or a short topic)
naming something from the shop's world, since the knowledge base declines by itself when
it holds nothing; anything else gets the help reply. Metric names and operations terms
come from the corpus (kpis.yaml, the search dictionary, the English glossary), so a new
KPI or term routes without a code change. A text under review (after a colon, in quotes,
in a list) is data: it speaks only to the compliance check.
Follow-ups ("那上上个月呢?", "第二条为什么违规?") are placed by the conversation's last intent.

>>> route("上个月各渠道的GMV是多少?").intent
'analytics'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

INTENTS = ("knowledge", "analytics", "compliance", "copy", "campaign_plan", "cs_reply")
HELP = "help"
CLARIFY = "clarify"

# Below this score nothing is placed; within this ratio of the best, a second intent is
# close enough to ask which one the user meant.
MIN_SCORE = 1.0
CLARIFY_RATIO = 0.8
# Two explicit requests this close are two asks even without a joining word.
ASKS_RATIO = 0.6

_METRIC = (
    r"gmv|成交额|成交|卖了多少|卖了几|销售额|营业额|交易额|支付金额|拍下金额|下单金额|净成交|销量|订单数|订单量|买家数|件数|"
    r"客单价|笔单价|访客|uv|pv|浏览量|流量|转化率|加购|收藏率|退款|退货率|新客|老客|复购|留存|ltv|cac|"
    r"广告花费|投放|roi|roas|ctr|cpc|cpm|点击率|投产比|毛利|库存周转|动销率|响应时长|询单转化|满意度|nps|"
    r"好评率|完成率|达成率|停留时长|观看人数|在线人数|粉丝数|完播率|互动率|revenue|sales|orders|conversion|refund|visitors|traffic|spend|retention|repurchase|aov|margin"
)
_TIME = (
    r"昨天|今天|前天|本周|上周|这周|本月|上个?月|上上个?月|这个月|今年|去年|前年|本季度|上季度|最近\s*\d+\s*[天日周月]|"
    r"近\s*\d+\s*[天日周月]|过去\s*\d+|双十一|双11|双12|618|年货节|\d{1,2}\.\d{1,2}|\d{1,2}\s*[日号]|\d{4}-\d{1,2}|当天|每小时|按小时|最近|近期|这两天|这几天|\d{4}\s*年|\d{1,2}\s*月份?|(?<![一二三四五六七八九十])[一二三四五六七八九十]{1,2}月份?|q[1-4]|上半年|下半年|期间|每天|每日|每周|每月|趋势|走势|"
    r"yesterday|last (?:week|month|year|quarter)|this (?:week|month|year)|in (?:january|february|march|april|may|june|"
    r"july|august|september|october|november|december)|\b20\d\d\b|trend|daily|monthly|weekly|recently|lately"
)
_DIM = (
    r"各渠道|按渠道|分渠道|各平台|各品类|按品类|各类目|按类目|分类目|各省|按省|各城市|按城市|各sku|各商品|按商品|各品牌|"
    r"按品牌|各客服|每个客服|会员等级|按年龄|性别|by channel|by category|by province|per channel|each channel|by sku"
)
_ASK_NUMBER = r"(?:低于|高于|超过|大于|小于|不足|少于|多于)\s*\d|多少|几个|几单|是多少|排名|前\s*\d+|top\s*\d+|最高|最低|同比|环比|对比|涨了|降了|增长|占比|掉|跌|下滑|下降|上升|上涨|波动|how much|how many|what was|compare|ranking"
_DEFINE = r"区别|差别|difference between|拆解成|拆成|由哪些|构成|组成|因子|因素|取决于|什么是|是什么意思|什么意思|怎么算|如何计算|怎么计算|计算公式|公式|定义|口径|指的是|含义|what is|what does|definition|how is .* calculated|define|meaning of"
_CHECK = r"检查|审核|^check\b|\bcheck\s*:|^(?:pls |please )?review\b|(?:please|pls|kindly) check|(?:请|帮忙?)审|审(?:下|一下|查)?\s*[:：]|check\s*(?:一下|下)|审一下|过一?下.{0,6}(?:标题|文案|话术|口播|脚本|详情|笔记|素材)|复核|核查|把关|看看.{0,6}(?:合规|违规)|查一下.*(违规|合规)|(?:违规词|违禁词|敏感词|极限词)(?:检查|排查|筛查)|(?:查|扫|找|排查)(?:一下|下|一遍)?(?:有没有)?(?:违规词|违禁词|敏感词|极限词)|扫(?:一下|一遍|下)|过一遍|过审|check (?:this|the|my)|compliant|compliance check|violat|review (?:this|these|the following)|please review|can you review|\breview\s*:"
# Asks whether a text may be used: a check when the text is given, a rule question when not.
_USABLE = (
    r"(?:能|可以)(?:用|写|发|上线|上架|发布|投|挂|播)吗|(?:能不能|可不可以)(?:用|写|发|上线|上架|发布|投|挂|播)|能这么写吗|可以这么写吗|"
    r"(?:ok|行|可以)吗|有没有问题|有问题吗|会不会(?:违规|违法|有问题|被罚)|能过吗|行不行|合规吗|违规吗|合不合规|违不违规|"
    r"有没有违规|是否违规|是否合规|有违规|(?:有没有|有无|含有|是否有)(?:违规词|违禁词|敏感词|极限词)|风险|(?:帮我?)?看(?:看|下|一下)(?:这段|这句|这条|这个|这篇)|"
    r"is this (?:\w+ ){0,2}(?:ok|okay|allowed|fine|compliant)|can (?:we|i) (?:use|post) this"
)
_PAYLOAD = r"[:：]\s*\S.{5,}|\n\s*\S.{3,}|[“\"「『][^“”\"「」『』]{6,}[”\"」』]|(?:^|[\s:：])'[^']{6,}'"
_CS = (
    r"顾客|客户|买家|消费者|customer|buyer|shopper|客人|网友|评论区|留言区|有人(?:说|问|留言|评论)|(?:用户|粉丝)(?:说|问|反馈|投诉|留言)"
)
_CS_ASK = r"怎么(?:跟|和|给|对)?.{0,3}(?:回|说|解释|沟通|处理|应对|整|办)|what (?:do|should|can) i (?:tell|say)|how (?:do|should|can) i (?:reply|respond|answer|tell|say)|如何回|回复|回他|回她|话术怎么说|(?:话术|回复)怎么写|怎么答复|应答|安抚|reply|respond|answer (?:the|this|a) customer|draft a response"
_CS_MSG = r"(?:说|问|发来|留言|反馈|讲|says|asks|wrote)\s*[:：]|(?:顾客|客户|买家|消费者|客人)(?:说|问(?!题|卷|得)|反馈|投诉|要求|催|骂|吐槽)(?!率|量|数|占比|类型|原因|多|少|的)|\b(?:customer|buyer|shopper)s? (?:\w+ ){0,2}(?:says|said|asks|asking|asked|wants|complains|claims)|我的快递|我的订单|收到的|还没发货|什么时候发货|破损|坏了|少发|发错|能退吗|可以退|退款怎么|订单号|order\s*#?\d|我要投诉|退差价"
# A customer's own words ("我的快递…", "说：…") stand for the customer; "物流", "差评" alone are topics.
_CS_VOICE = r"(?:说|问|发来|留言|反馈|讲|says|asks|wrote)\s*[:：]|我的快递|我的订单|我要投诉|订单号|order\s*#?\d|还没发货|能退吗"
_CS_QUOTE = r"(?:顾客|客户|买家|消费者|客人|customer|buyer)\w{0,4}(?:说|问|发来|留言|反馈|says|asks|wrote)\s*[:：][^。！？?!]*"
_COPY_OBJECT = (
    r"文案|标题|卖点|详情|笔记|话术|口播|slogan|广告语|宣传语|欢迎语|标语|口号|祝福语|简介|脚本|朋友圈|推文|海报|文章|帖子|开场白|"
    r"主题|创意|点子|活动名|名字|感谢信|邀请函|短信|公告|tagline|caption"
)
_COPY = (
    rf"写(?!的|好的|了|得)(?:一|两|三|几|个|段|篇|条|句|份|版|套|些|封|\d)*.{{0,10}}(?:{_COPY_OBJECT})|写(?:一|几|两|三|\d)?(?:段|篇|条|句)|来一?段|起个标题|"
    rf"(?:整|想|来|出|起|拟|编|弄|搞|给)(?:一|两|三|几|\d)*(?:个|段|篇|条|句|份|版|套|些|点).{{0,10}}(?:{_COPY_OBJECT})|"
    r"(?:优化|改|润色|改写|重写|精简|缩短|扩写)一?下?(?:这个|这段|这句|这条|这篇)?(?:标题|文案|描述|卖点|笔记|详情)|"
    rf"(?<!第)(?:一|两|三|四|五|六|七|八|九|十|\d)(?:个|段|篇|条|句|份|版|套|组)[^，,。；;]{{0,12}}(?:{_COPY_OBJECT})|"
    r"(?:文案|标题|卖点|笔记|脚本|口播)\w{0,4}(?:帮我|帮忙)?写(?:一下|下|个)?(?:[，,。]|$)|"
    r"(?:文案|标题|这段|这句|这条|描述|卖点|笔记).{0,8}改(?:得|一下|改|成)|"
    r"改写|润色|重写|(?:提炼|梳理|整理|归纳|总结).{0,6}卖点|卖点.{0,8}(?:提炼|梳理|整理|归纳|总结)|write (?:a|an|some|me|\d+|two|three|four|five|six|ten|a few|several)\b|(?:draft|compose) (?:a|an|some) (?:[\w'-]+ ){0,3}(?:post|caption|title|copy|tweet|email|newsletter|blurb|announcement|sms|weibo)s?\b|改(?:成|得)更|改成.{0,8}(?:语气|风格|口吻)|copywriting|"
    r"(?:need|want|give me|come up with) (?:a|an|some|\d+|a few) .{0,20}(?:captions?|taglines?|titles?|slogans?|posts?|copy|subject lines?|headlines?|hooks?|descriptions?)"
)
_COPY_NOUN = r"\w{1,4}文案|种草文案|种草笔记|朋友圈文案|小红书笔记|直播话术|商品标题|产品描述|详情页文案|主图文案|product description|tagline|ad copy|caption"
_PLAN = (
    r"活动方案|活动策划|大促方案|(?:策划|规划)(?:一|个|下)|排期|节奏规划|活动规划|营销方案|营销计划|推广计划|投放计划|作战计划|全案|"
    r"(?:做|出|给|弄|搞|写|拿|整|来|列|定|设计|制定|拟定|拟)(?:我|我们|咱们)?(?:一|个|份|套|下)*.{0,10}(?:方案|计划|规划|排期|节奏|打法)|节奏安排|节奏规划|排(?:一下|个|一个)?.{0,6}(?:流程|时间表|节奏|排期|档期|日程)|活动.{0,6}(?:安排|规划|策划)|"
    r"目标\s*\d|预算\s*\d|gmv目标(?!完成|达成)|(?:方案|计划|规划|排期|打法|日历|节奏).{0,6}(?:出|做|写|弄|整|来|给|排)(?:一|个|份|版|下)|营销日历|活动日历|(?:提升|提高|降低|增长|拉新|促活|召回|唤醒)\w{0,6}的?方案|(?:campaign|promo|promotion|launch|marketing|event|sales?|holiday|content) (?:plan|schedule|calendar|timeline|roadmap)|plan (?:a|the|our|for)"
)
_KNOW = (
    r"怎么做|如何做|怎么提升|如何提升|怎么提高|如何提高|有哪些|有什么|该做什么|要做什么|做什么|注意什么|注意事项|流程|步骤|方法|办法|思路|策略|技巧|"
    r"为什么|为何|是否可以|能不能写|可以写|规定|规则|政策|条款|广告法|哪一条|依据|攻略|阶段|玩法|手册|playbook|sop|"
    r"how (?:do|to|can|should)|what should|why|policy|rule|guide|best practice|steps"
)
_GREET = r"^(?:你好|您好|hi|hello|hey|在吗|在不在|嗨|哈喽|早上好|晚上好)[!！。.\s]*$|你(?:能|可以)做(?:些)?什么|你会什么|(?:能|可以)帮(?:我|忙)?做(?:些)?什么|(?:^|你|掌柜|zhanggui)\s*(?:都)?(?:有|支持)(?:什么|哪些)功能|你是谁|你们?(?:公司|团队)?是(?:做什么|干什么|干嘛)的|who are you|what are you|^怎么用[?？]?$|(?:你|掌柜)(?:要|该)?怎么用|怎么用(?:你|掌柜)|使用说明|帮助|^help$|what can you do|how do i use"
# A question form: what makes "蓄水期一般从哪天开始?" a question rather than a command.
_QUESTION = (
    r"[?？]\s*$|吗|呢|么|怎么|怎样|如何|什么|(.)不\1|哪|谁|多少|多久|多长|几|是否|能否|可否|要不要|有没有|是不是|能不能|可不可以|会不会|"
    r"^(?:is|are|can|could|should|do|does|did|what|how|why|when|where|which|who|will|would|any)\b|\b(?:how|hows|what|whats|why|when|which)\b|tips|advice"
)
# Operations words the corpus vocabulary (KPI aliases, search dictionary, glossary) may not hold.
_DOMAIN_EXTRA = (
    r"品牌|美妆|彩妆|护肤|个护|母婴|服饰|女装|男装|家居|数码|上架|下架|新品|退换|换货|时效|sop|手册|指南|模板|规范|差评|好评|评价|订单|客户|顾客|买家|缺货|清仓|定价|品类|sku|spu|退货|退款|运费|快递|物流|发货|售后|售前|咨询|客服|店铺|商品|宣传|广告|文案|标题|标注|处罚|罚款|资质|合规|违规|广告法|"
    r"包邮|满减|赠品|标价|价格|划线价|原价|化妆品|食品|保健|会员|粉丝|活动|优惠|券|直播|主播|达人|种草|投流|推广|营销|上新|选品|类目|"
    r"(?<![a-z])(?:rfm|kol|koc|cosmetics?|listings?|ads?|advert\w*|claims?|sellers?|stores?|shops?|products?|promos?|coupons?)(?![a-z])"
)
# Glossary entries too general to mark a message as being about operations.
_GENERIC_EN = {
    "how long", "whole", "overall", "rate", "share", "ratio", "process", "plan", "project", "team", "target", "targets",
    "goal", "risk", "ai", "red", "host", "agent", "performance", "training", "talent", "organization", "benefit", "peak",
    "buffer", "backup", "algorithm", "recommendation", "automation", "content", "brand", "script", "pitch", "return",
    "ship", "stock", "milestone", "incentive", "standardization", "success rate", "emergency plan", "contingency",
    "dashboard", "tier", "layered", "org structure", "exchange", "recall",
}
# Colloquial spellings folded before matching ("咋回" is "怎么回", "啥原因" is "什么原因").
_COLLOQUIAL = {"咋": "怎么", "啥": "什么", "木有": "没有", "肿么": "怎么"}
_CHANNELS = r"天猫|淘宝|京东|拼多多|抖音|小红书|微信小程序|快手|tmall|taobao|jd|pdd|douyin|xiaohongshu"

# A follow-up only makes sense after the intent it continues.
_ANALYTICS_FOLLOWUP = (
    r"^(?:那|那么)?.{0,12}呢[?？]?$|^(?:再|那|那就|然后)?(?:按|分).{1,8}(?:拆开|拆分|拆|分|看|展开)|[，,]\s*按.{1,8}$|^换成|^改成|^只看|^去掉|^换个|^再看|^加上|"
    r"^(?:那)?(?:上上个?月|上个?月|去年|今年|本月|上周|同比|环比)|^what about|^and (?:for|in|by)|^break (?:it )?down|^split by|^only "
)
_COMPLIANCE_FOLLOWUP = r"^(?:为什么|why)[?？]?$|第\s*[一二三四五六七八九十\d]+\s*[条个处]|为什么(?:违规|不行|不能|被标)|怎么改|改写|哪里违规|依据是什么|why (?:is|was) .*(?:flag|violat)|finding\s*#?\d|how (?:do|should) i fix"


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
            _sig("metric", _vocabulary()[0].pattern, 0.8),
            _sig("time", _TIME, 0.6),
            _sig("dimension", _DIM, 0.6),
            _sig("number-question", _ASK_NUMBER, 0.5),
            _sig("channel-value", _CHANNELS, 0.15),
            _sig("query-verb", r"(?<![检审核])查一?下|查询|拉一?下|统计|报表|数据|跑一下|show me|pull|query", 0.4),
            # Writes and personal data go to analytics so that its guard refuses them with the reason.
            _sig("warehouse-write", r"(?:删掉|删除|清空|更新|修改|插入|drop|delete|truncate|update|insert).{0,12}(?:表|table|数据库|订单数据)|drop table", 1.2),
            _sig("personal-data", r"(?:查|导出|拉|列出|给我|export|list).{0,12}(?:手机号|电话号码|姓名|收货地址|身份证|phone numbers?|home address)", 1.2),
        ],
        "knowledge": [
            _sig("howto", _KNOW, 0.9),
            # "库存一般备多少合适" asks for a norm, not for this shop's figure.
            _sig("advice", r"一般|通常|合适|合理|比较好|建议|应该|最好是|标准", 0.6),
            _sig("define", _DEFINE, 1.0),
            _sig("question-mark", r"[?？]$", 0.2),
            _sig("question-word", r"怎么|如何|哪些|什么|怎样|多久|多长时间|吗[?？]?$|是否|要不要|需不需要|能否|how|what|which|when|can we|should", 0.6),
            _sig("rule-question", r"需要(?:什么|哪些)(?:证明|材料|资质|手续|审批|备案)|(?:可以|能|能不能|可不可以)(?:说|写|宣传|标|叫|称)|会被|会不会被|会导致|限流|降权|扣分|处罚|规定|法规|广告法|条例|规则|政策|资质|算.{1,12}吗|算不算|属不属于|合法吗|允许|(?:说法|用语|词|字眼|表述|措辞|写法).{0,6}(?:能用|能不能|可以|能写|算|属于)|regulation|allowed|legal", 0.8),
            _sig("domain", r"退货|退款规则|发货|发票|价保|价格保护|破损|赔付|化妆品|食品|宣传|用户|会员|复购|新客|沉默|唤醒|触达|加好友|私域|社群|"
                 r"店铺|运营|直播|主播|达人|内容|流量|转化|promotion|customer|community|private domain|double 11|618", 0.4),
            _sig("playbook-topic", r"私域|企微|企业微信|社群|双十一|双11|618|预热|蓄水|爆发期|返场|大促|会员|拉新|用户分层|直播|种草|达人|售后政策|七天无理由|退货规则|发货时效", 0.3),
        ],
        "compliance": [
            _sig("check-verb", _CHECK, 1.3),
            _sig("payload", _PAYLOAD, 0.3),
            # "这句能用吗：“…”" checks the quoted text; without a text it asks about a rule.
            _sig("usable-ask", _USABLE, 0.9),
            _sig("ad-terms", r"最好|第一|顶级|最佳|国家级|特供|根治|治疗|包过|稳赚|史上最|全网最低|美白|祛斑|100%|万能|绝对", 0.3),
        ],
        "copy": [
            _sig("write", _COPY, 1.4),
            _sig("copy-noun", _COPY_NOUN, 0.8),
            _sig("platform", r"小红书|抖音|朋友圈|淘宝|详情页|直播间|主图", 0.2),
        ],
        "campaign_plan": [
            _sig("plan", _PLAN, 1.4),
            _sig("event", r"双十一|双11|618|年货节|三八节|双12|大促|新品上市|周年庆|专场|会员日|首发|black friday|singles'? day|double 1[12]|launch", 0.3),
            _sig("target", r"预算|目标|gmv目标|budget|goal|target", 0.3),
            # "put together a Singles' Day plan": a plan of some kind, a campaign when an event or budget joins.
            _sig("plan-request", r"(?:put together|draft|make|create|build|prepare) (?:a|an|our|the) .{0,30}"
                 r"(?:plan|schedule|calendar|roadmap)\b", 0.8),
            _sig("budget-figure", r"(?:预算|budget)\D{0,6}\d|\d\s*[kw万]?\s*(?:的)?(?:预算|budget)", 0.5),
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


def _alternation(words: set[str]) -> str:
    """One regex alternative per word, longest first; Latin words need word boundaries."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        escaped = re.escape(word.lower())
        # Latin words end where the Latin letters end: "\b" sees no edge between "看" and "GMV".
        parts.append(escaped if re.search(r"[\u4e00-\u9fff]", word) else rf"(?<![a-z0-9]){escaped}(?![a-z0-9])")
    return "|".join(parts) or r"(?!)"


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(metric names, operations terms), read from the corpus so new KPIs and terms route without code.

    Metrics: every KPI name and alias in kpis.yaml. Terms: the search dictionary, the English
    glossary and the metrics. A missing or broken file leaves the built-in patterns alone.
    """
    metrics: set[str] = set()
    terms: set[str] = set()
    corpus = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"
    try:
        from knowledge.kpis import load_kpis

        for kpi in load_kpis():
            for name in (kpi.name, kpi.name_en, *kpi.aliases):
                if name and len(name) >= (2 if re.search(r"[\u4e00-\u9fff]", name) else 3):
                    metrics.add(name)
    except Exception:  # the KPI file has its own loader that reports errors; routing must go on
        pass
    try:
        terms |= {line.split()[0] for line in (corpus / "userdict.jieba").read_text(encoding="utf-8").splitlines()
                  if line.strip() and not line.startswith("#")}
        from knowledge.crosslingual import glossary

        terms |= {k for k in glossary() if len(k) >= 3 and k not in _GENERIC_EN}
    except Exception:  # without the dictionary the built-in domain words still apply
        pass
    metric = re.compile(f"{_METRIC}|{_alternation(metrics)}", re.I)
    domain = re.compile(f"{_DOMAIN_EXTRA}|{_alternation(terms | metrics)}", re.I)
    return metric, domain


def normalize_message(text: str) -> str:
    """Fold full-width forms and case so patterns see one spelling; traditional → simplified."""
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        from knowledge.normalize import to_simplified

        text = to_simplified(text)
    except Exception:  # the router must keep working even if OpenCC is unavailable
        pass
    for spoken, written in _COLLOQUIAL.items():
        text = text.replace(spoken, written)
    return text.lower()


def score(text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Sum of matched signal weights per intent, with the names of the signals that fired."""
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    # The text under review ("检查：今天最后一天，全网最低") is data: only the request around it
    # speaks for the other intents. Customer messages stay whole: they are what the reply answers.
    request = text
    if re.search(_PAYLOAD, text) and re.search(f"{_CHECK}|{_USABLE}", text, re.I):
        request = re.sub(_PAYLOAD, " ", text)
    # A customer's quoted question ("顾客问：敏感肌能用吗") asks the shop, not the compliance check.
    unquoted = re.sub(_CS_QUOTE, " ", text, flags=re.I)
    for intent, signals in _compiled().items():
        total = 0.0
        fired: list[str] = []
        seen = text if intent in ("compliance", "cs_reply") else request
        for pattern, sig in signals:
            if pattern.search(unquoted if sig.name in ("check-verb", "usable-ask") else seen):
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
    if re.fullmatch(rf"(?:{_vocabulary()[0].pattern})(?:呢|吗|啊|呀|的|数据|情况|怎么样|如何)?[?？]?", text, re.I):
        scores["analytics"] = scores["knowledge"] = 1.0
        return
    # A metric alone is a topic, not a query: a number needs a time, a breakdown or a number question.
    if "metric" in an and not ({"time", "dimension", "number-question", "query-verb"} & set(an)):
        scores["analytics"] -= 0.4
    # "什么是复购率" / "复购率怎么算" asks for the definition, not the figure.
    if "define" in kn and "metric" in an and "time" not in an:
        scores["analytics"] -= 0.6
    # "库存一般备多少合适" asks for a norm; a norm for a named period or breakdown is a figure again.
    if {"advice", "rule-question"} & set(kn) and not {"time", "dimension"} & set(an):
        scores["analytics"] -= 0.6
    # Code is not marketing copy ("写个Python脚本").
    if re.search(r"python|sql|代码|程序|函数|公式|宏|爬虫|\bcode\b|javascript|excel", text, re.I):
        scores["copy"] = 0.0
    # No metric, no figure to fetch: "发券频率多少合适" asks for advice, not a query.
    if "metric" not in an and not {"warehouse-write", "personal-data"} & set(an):
        scores["analytics"] = min(scores["analytics"], 0.9)
    # "为什么不能写'全网最低价'" asks about a rule; checking needs a check verb, or a usability
    # ask ("能用吗") with the text to check.
    co = reasons["compliance"]
    if "usable-ask" in co and "payload" in co:
        co.append("check-verb")
    elif "usable-ask" in co:
        scores["compliance"] -= 0.9
    if "check-verb" not in co:
        scores["compliance"] = min(scores["compliance"], 0.5)
    # A customer-service reply needs someone to reply to.
    if "customer" not in reasons["cs_reply"] and not re.search(_CS_VOICE, text, re.I):
        scores["cs_reply"] = min(scores["cs_reply"], 0.5)
    if "customer" in reasons["cs_reply"] and ("reply-ask" in reasons["cs_reply"] or "customer-message" in reasons["cs_reply"]):
        scores["cs_reply"] += 0.5
    # Writing or planning asks are explicit requests; they outrank the topic words they contain.
    replying = {"customer", "reply-ask"} <= set(reasons["cs_reply"])
    if "write" in reasons["copy"] and "check-verb" not in reasons["compliance"]:
        scores["knowledge"] -= 0.5
        if not replying:
            scores["cs_reply"] = min(scores["cs_reply"], 0.5)
    if replying:  # "帮我写个回复" to a customer is a reply, not marketing copy
        scores["copy"] -= 0.6
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
        # "双十一各渠道GMV和活动方案" asks for both: keep the figure request in the running;
        # "目标GMV 300万" is the plan's target, not a figure to fetch.
        if "target" in reasons["campaign_plan"]:
            scores["analytics"] -= 0.8
            an.append("plan-target")
        elif not ("metric" in an and {"time", "dimension"} & set(an)):
            scores["analytics"] -= 0.3
    # "检查这段小红书文案：…" is a check, whatever the copy words say.
    if "check-verb" in reasons["compliance"] and "payload" in reasons["compliance"]:
        scores["copy"] -= 0.6
        scores["knowledge"] -= 0.4
    for intent in scores:
        scores[intent] = round(max(scores[intent], 0.0), 3)


# Words that join two requests in one message ("查下GMV，再给个方案", "写一篇笔记再检查一下").
_JOINER = r"再|顺便|顺带|同时|然后|并且|并|还要|另外|以及|\balso\b|\bthen\b"


def _explicit_asks(text: str, reasons: dict[str, list[str]]) -> list[str]:
    """Intents the message explicitly requests, as opposed to mentions."""
    an, cs = set(reasons["analytics"]), set(reasons["cs_reply"])
    asks = []
    # "提升转化的办法" asks for methods as plainly as "写个方案" asks for a plan.
    if re.search(r"(?:提升|提高|降低|减少|改善|优化|增加)\w{0,6}的?(?:办法|方法|建议|思路|策略|技巧)", text):
        asks.append("knowledge")
    # "…，顺便告诉我怎么降低": a how-to question joined on as a second clause is a second ask.
    joined = re.search(_JOINER, text, re.I)
    if joined and re.search(r"怎么|如何|怎样|为什么|为何|哪些|什么|告诉我|说说|讲讲|\b(?:how|why|what)\b", text[joined.end():], re.I):
        asks.append("knowledge")
    if "metric" in an and an & {"time", "dimension", "number-question", "query-verb"} and "plan-target" not in an:
        asks.append("analytics")
    if "check-verb" in reasons["compliance"]:
        asks.append("compliance")
    if "write" in reasons["copy"] and not {"customer", "reply-ask"} <= cs:  # a reply is written, not copy
        asks.append("copy")
    if "plan" in reasons["campaign_plan"]:
        asks.append("campaign_plan")
    if "customer" in cs and cs & {"reply-ask", "customer-message"}:
        asks.append("cs_reply")
    return list(dict.fromkeys(asks))


# "能帮我约个快递吗" asks for an action no tool performs; "帮我看看…" asks to be told something.
_ACTION_ASK = r"帮我|帮忙|麻烦你|请你|\b(?:can|could|would) you\b|\bplease\b"
_INFO_VERB = r"看|查|问|解释|讲|介绍|说说|告诉|科普|分析|\b(?:tell|explain|what|how|why|which|when)\b"


def _about_operations(text: str, knowledge_score: float) -> bool:
    """A question, or a short topic ("流失用户召回"), from the shop's world: worth a knowledge search."""
    if re.search(_ACTION_ASK, text, re.I) and not re.search(_INFO_VERB, text, re.I):
        return False
    if not _vocabulary()[1].search(text):
        return False
    return bool(re.search(_QUESTION, text, re.I)) or (len(text) <= 15 and knowledge_score > 0)


def _continues(text: str) -> bool:
    """A follow-up leans on the previous question; "上个月GMV是多少" names its metric and stands alone."""
    if re.search(r"^(?:那|换成|改成|只看|按|分|去掉|加上|再|what about|and |break|split|only )|呢[?？]?$", text, re.I):
        return True
    return not _vocabulary()[0].search(text)


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
    asks = sorted(_explicit_asks(text, reasons), key=lambda i: -scores[i])
    # Two explicit requests: ask which, when they are joined ("再", "顺便") or about as strong.
    if len(asks) >= 2 and scores[asks[1]] > 0 and (
            re.search(_JOINER, text, re.I) or scores[asks[1]] >= ASKS_RATIO * scores[asks[0]]):
        return Route(CLARIFY, scores, candidates=(asks[0], asks[1]), reasons=reasons)
    if top < MIN_SCORE:
        # The knowledge base declines by itself when it holds nothing, so a question about
        # operations that no tool claims is better searched than answered with the help text.
        if _about_operations(text, scores["knowledge"]):
            reasons["knowledge"] = [*reasons["knowledge"], "operations-question"]
            return Route("knowledge", scores, candidates=("knowledge",), reasons=reasons)
        return Route(HELP, scores, reasons=reasons)
    if runner >= MIN_SCORE * 0.8 and runner >= top * CLARIFY_RATIO:
        # A request outranks the question it comes with ("为什么退款率这么高？帮我拉下按原因的拆分").
        if len(asks) == 1 and {best, second} == {asks[0], "knowledge"}:
            return Route(asks[0], scores, candidates=(asks[0],), reasons=reasons)
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
