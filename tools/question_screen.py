"""Requests refused before any SQL exists: injected instructions, writes, personal data,
tables or data the warehouse does not have, and questions whose metric is ambiguous ("赚了多少钱").

The checks read the shape of a request rather than a list of whole sentences:

- an injection is an imperative aimed at the system (override a rule, take a role, reveal the
  prompt, gain a privilege, run a statement) or SQL syntax embedded in the question;
- a write is a modifying verb whose object is stored data (a table, a record, a field, a value,
  an order ...), in either order and inside any polite wrapper ("麻烦帮我把…删掉");
- personal data is a person-identifying field (姓名, 手机号, 住址 ...) that no product, channel or
  campaign owns;
- a missing table is a table-like name outside the allow-list, or a kind of data the warehouse
  does not hold (直播, 优惠券 ... listed in ``kpis.yaml`` under ``value_aliases.not_in_warehouse``).

Deliberate non-refusals: a verb that describes how a figure is computed is no write
("去掉退款后的GMV", "剔除运费后的销售额"), a KPI name that contains a verb is a KPI ("新增客户"),
and "更新/刷新一下数据看看…" asks for the latest figures, which the read-only warehouse gives anyway.
Each check returns the reason a user reads; the parser raises RefusedError with it.
"""

from __future__ import annotations

import re

from knowledge.kpis import SemanticLayer

KNOWN_TABLES = ("dim_channel", "dim_product", "dim_customer", "dim_campaign", "fact_orders", "fact_order_items",
                "fact_refunds", "fact_traffic_daily", "fact_ad_spend_daily", "fact_inventory_daily", "fact_cs_sessions")
TABLES_ZH = "渠道、商品、客户（已脱敏）、活动、订单、订单明细、退款、流量、广告投放、库存快照、客服会话"

# --- injection: who is addressed and what is asked of it ---------------------------------------
_OVERRIDE_VERB = r"忽略|无视|忘掉|忘记|忘了|不用管|不要管|别管|不必管|不用理|别理|跳过|绕过|绕开|不用遵守|不要遵守|别遵守|无需遵守|解除|突破|打破|关闭|取消|去掉|抛开|放下"
_RULE_NOUN = (r"指令|指示|规则|提示词?|限制|设定|约束|规定|原则|口径定义|口径|安全|权限|只读|护栏|审查|审核|过滤|防护|"
              r"上面的|以上的?|之前的?|前面的?|上文|前文|先前的?|刚才的?")
_INJECTION = [
    rf"(?:{_OVERRIDE_VERB})\s*(?:掉|了|一下)?\s*(?:你的|所有的?|全部的?|一切|系统的?|那些|这些|任何)?\s*(?:{_RULE_NOUN})",
    r"\b(?:ignore|disregard|forget|bypass|override|skip)\b[^.?!]{0,30}\b(?:instructions?|rules?|prompts?|restrictions?|"
    r"guard(?:rail)?s?|limits?|safety|above|previous|prior|everything|policy|policies|constraints?|before|earlier|told)\b",
    # a role or mode given to the assistant
    r"你(?:现在|从现在起|今后|接下来)?(?:就|已经)?是(?:一[个名位])?(?:数据库|系统|超级|最高)?(?:管理员|dba|root|开发者|黑客)",
    r"你现在是|从现在(?:开始|起)[，, ]*你|你的新(?:身份|角色|任务|设定)|扮演|假装|充当|假设你是|把你自己当成?|"
    r"作为(?:一[个名位])?(?:数据库|系统)?(?:管理员|dba|root)|进入.{0,8}模式|(?:开发者|管理员|上帝|调试|无限制)模式|越狱|jailbreak",
    r"\byou are now\b|\bfrom now on\b|\bact as\b|\bpretend\b|\brole-?play\b|\bdeveloper mode\b|\bgod mode\b|\bunrestricted\b|"
    r"\bno (?:restrictions|rules|limits)\b|\bdan mode\b",
    # a message dressed as coming from the system
    r"^\W*(?:system|assistant|developer|admin|root|sys)\s*[:：]|(?:^|\s)(?:system|user)\s*[:：]\s|\[(?:system|sys|admin|override)[^\]]*\]|"
    r"<\|?\s*(?:system|im_start)|#{2,}\s*(?:system|instruction)|<!--|系统[:：]|系统消息|系统设定|新的(?:系统)?(?:设定|指令|规则)|"
    r"以下是新的|system prompt|系统提示|[【\[]\s*(?:系统|管理员|官方|system|admin)[^】\]]{0,10}[】\]]",
    # a permission claimed on the system's behalf, or limits declared away
    r"已?授权你|允许你(?:执行|写|修改|删除)|你(?:被|已被)允许|你可以执行|不受(?:任何)?(?:限制|约束)|没有(?:任何)?限制的|无限制的",
    r"你(?:现在)?是一[个名位][^，,。？?]{0,10}(?:ai|助手|机器人|模型|gpt|管理员|dba)",
    # disclosure of the instructions themselves
    r"(?:打印|输出|显示|复述|泄露|展示|重复|念|发给我|给我看|告诉我|列出)[^。？?]{0,12}(?:指令|提示词|提示语|prompt|系统设定|规则原文)",
    r"(?:你的|你收到的|收到的|全部|所有)\s*(?:指令|提示词|提示语|prompt|系统设定)[^。？?]{0,12}(?:打印|输出|显示|复述|泄露|展示|重复|念|发)",
    r"\b(?:print|reveal|show|repeat|output|dump|tell me)\b[^.?]{0,24}\b(?:instructions|prompt|system message)\b",
    # privileges asked for
    r"(?:开通|给我|授予|赋予|提升|提权|获取|要|开放|分配)[^。？?]{0,6}(?:写|管理员|root|超级|全部|所有|最高|读写)[^。？?]{0,3}(?:权限|访问权|账号)",
    r"\b(?:grant|give)\b[^.?]{0,20}\b(?:write|admin|root|full|all) (?:access|rights|privileges?|permissions?)\b",
    # statements to run, and SQL written into the question
    r"(?:执行|运行|跑一下|跑下|\brun\b|\bexecute\b)\s*(?:以下|下面|这条|这个|这段|我给的|this|the following)?\s*(?:的)?\s*(?:sql|语句|命令|脚本|command|query|statement)",
    r"(?:执行|运行|\brun\b|\bexecute\b)\s*[:：]",
    r"\bselect\b[^。？?]{0,200}\bfrom\b|;\s*--|/\*|\*/|\bunion\s+(?:all\s+)?select\b|'\s*or\s+'?\d+'?\s*=\s*'?\d+|"
    r"\b(?:read_csv|read_csv_auto|read_parquet|read_json|read_text|glob|pragma|attach|detach|load_extension)\b",
    r"^\s*(?:select|with\s+\w+\s+as|copy|attach|pragma|call)\s|\bshow\s+(?:tables|databases|columns|create)\b",
]
_INJECTION_RE = re.compile("|".join(f"(?:{p})" for p in _INJECTION), re.I)

# --- writes: a modifying verb and the data it would change --------------------------------------
# Verbs that change stored data whatever follows them.
_WRITE_STRONG = (r"删(?!减)|清空|清除|清掉|清理掉|抹掉|抹去|篡改|写入|写回|回写|写进|写到|存进|存到|存入|保存到|保存进|导入|插入|"
                 r"插一条|补录|录入|回滚|重置|建表|新建一张|建一张|造一笔|造数据|改数|导进|导到库|灌进|灌入")
# Verbs that edit a value: refused when their object is any stored thing (订单状态改为…, 修改价格).
_WRITE_EDIT = (r"修改|更改|改成|改为|改一下|改下|改掉|改一改|改改|设为|设置成|设置为|设成|标记为|标记成|调成|调为|替换成|替换为|"
               r"修正|订正|升级成|升级为|降级成|降级为|升到|降到|调到|调高|调低|撤销|撤回|作废|恢复成|还原")
# Verbs that add or move records: refused when their object is a container (表, 记录, 一条 ...).
_WRITE_ADD = r"更新|新增|添加|增加|加一条|加一笔|多加|覆盖|清理|归档|迁移|同步到|备份到|补上|补齐|填上|合并到|合并进"
# Any change verb after 把/将 ("把SK029的下架日期设置成今天", "把停售的商品下架掉").
_WRITE_BA = rf"{_WRITE_EDIT}|{_WRITE_ADD}|改|清|下架|上架|升级|降级|设置|标记|替换|加(?!起|总|在一起)|去掉|调整"
# Putting something into a place: "往 dim_campaign 加一个活动", "在订单表里插一条".
_WRITE_INTO = r"(?:往|向|在)[^，,。？?]{0,24}?(?:里|中|内|上)?\s*(?:加|添加|新增|插|写|补|存|放|导)(?!起|总|的)"
_DATA_OBJECT = (r"数据|表|记录|字段|库|条目|订单|退款单|退款|商品|客户|会员|买家|渠道|活动|价格|售价|状态|等级|日期|时间|名称|名字|"
                r"备注|库存|密码|权限|原因|类目|品牌|sku|spu|的值|数值|一行|这一?行|那一?列|这一?列|备注列")
_CONTAINER = r"表|记录|字段|数据库|库里|条目|一条|一笔|一行|一个|几条|几笔|备注列|那些行|这些行|空值"
# A verb followed by 后/之后 describes how a figure is computed ("去掉退款后的GMV"), as does a KPI name.
_COMPUTED = re.compile(r"(?:删除|删掉|去掉|剔除|扣除|扣掉|减去|排除|合并|更新|调整|修正|覆盖)[^，,。？?]{0,8}?(?:后|之后|以后)的?")
_REFRESH = re.compile(r"(?:更新|刷新)(?:一下|下)?(?:最新的?)?(?:数据|数字|报表)?\s*[，,]?\s*(?:再|然后|后)?\s*"
                      r"(?:看看|看下|看一下|查|告诉|给我|帮我看)")
# "升级为金卡的会员": a change described as something that happened, not asked for.
_DESCRIBED = re.compile(r"(?:升级|降级|改|调整|变)(?:成|为|到)[^，,。？?]{1,6}?的")
_HARMLESS = re.compile(r"更新时间|更新到哪|最近更新|数据更新|合并计算|合并统计|合并起来|合并看|合起来|覆盖率|覆盖了?多少|覆盖的|"
                       r"改善|改进|改版|改变|改观|设置的|升级的?会员|降级的?会员|上架的|下架的|已下架|上架时间|下架时间|上新|"
                       r"新增(?:了|的)?(?:多少|几|客户|买家|用户|会员|粉丝|订单数|订单量)|增加了|增加多少|增加的|撤销的|撤回的|作废的|加起来|加总|相加")
_WRITE_EN_SQL = re.compile(
    r"\b(?:drop|truncate|alter|create)\s+(?:table|schema|database|view|index|column)\b|\bdelete\s+from\b|\binsert\s+into\b|"
    r"\bupdate\s+\w+\s+set\b|\bmerge\s+into\b|\breplace\s+into\b|\bgrant\s+\w+|\brevoke\b|\bvacuum\b|\bcheckpoint\b|"
    r"\bcopy\s+\w+\s+(?:to|from)\b|\bexport\s+database\b|\bimport\s+database\b|\binstall\s+\w+|\bload\s+extension\b|"
    r"\btruncate\s+\w+|(?<=[\u4e00-\u9fff])\s*(?:insert|delete|truncate|upsert|alter|grant|revoke)(?![a-z])", re.I)
_WRITE_EN_VERB = (r"delete|remove|drop|truncate|wipe|erase|purge|clear|update|modify|change|edit|set|insert|add|write|overwrite|"
                  r"reset|roll ?back|merge|import|upload|alter|create|rename|archive|save|store|append")
_WRITE_EN_OBJECT = (r"table|tables|record|records|row|rows|column|columns|field|fields|data|database|schema|entry|entries|value|"
                    r"values|orders?|refunds?|customers?|products?|prices?|status|channel|campaigns?|inventory|skus?|null|"
                    r"(?:fact|dim)_\w+|[a-z]+_[a-z_]+")  # a column named like discontinued_date
# An English verb is a command at the start of a clause or after a request opener, not as a noun ("the biggest drop").
_WRITE_EN = re.compile(
    rf"(?:^|[.;,!?:]\s*|\b(?:please|pls|kindly|and|then|also|now|just|can you|could you|would you|go ahead and|help me|"
    rf"i want you to|you should|let's)\s+)(?:{_WRITE_EN_VERB})\b[^.?!]{{0,40}}?\b(?:{_WRITE_EN_OBJECT})\b", re.I)
_BA = r"(?:把|将|给(?!我|你))"

# --- personal data -------------------------------------------------------------------------------
_PII_FIELD = (r"姓名|名字|真名|真实姓名|全名|叫什么|手机号码?|手机尾号|电话号码|电话|联系电话|号码|联系方式|联系人|收货地址|收件地址|"
              r"详细地址|家庭住址|住址|地址|住在哪|住哪|收货人|收件人|身份证号?|证件号|生日|出生日期|出生年月|邮箱|电子邮件|微信号|"
              r"qq号|银行卡号?|卡号|工作单位|单位名称|名单")
_PII_OWNER_NOT_PERSON = r"商品|产品|活动|渠道|品牌|类目|品类|文件|字段|表|指标|店铺|店|sku|spu|仓库|计划|报表|列|库"
_PII = re.compile(
    rf"(?<![a-z])(?:{_PII_FIELD})|"
    r"\b(?:phone numbers?|phone|mobile numbers?|mobiles?|e-?mail(?: address)?(?:es)?|emails?|home address|shipping address(?:es)?|"
    r"addresses|address|customer names?|buyer names?|full names?|real names?|names of (?:the |our )?(?:customers|buyers|users|members)|"
    r"id cards?|identity cards?|birthdays?|dates? of birth|passport|wechat ids?|wechat accounts?)\b|"
    r"\bnames?\b[^.?]{0,40}\b(?:of|for)\b[^.?]{0,30}\b(?:customers|buyers|users|members|shoppers)\b|"
    r"\b(?:customers?|buyers?|users?|members?)\b[^.?]{0,24}\bby name\b|\b(?:customers?|buyers?)'?s? names?\b", re.I)

# --- missing tables ------------------------------------------------------------------------------
_TABLE_EN = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_TABLE_ZH = re.compile(r"([\u4e00-\u9fff]{2,8})表(?![现格达示单态演情扬彰率盘明])")
_TABLE_NAMED = re.compile(r"(?:表名|表叫|表是|数据在|在表|table)\s*(?:是|叫|为|:|：)?\s*([a-z][a-z0-9_]*)", re.I)
_TABLE_OK_ZH = ("订单", "订单明细", "明细", "退款", "流量", "广告", "投放", "库存", "客服", "会话", "商品", "客户", "渠道",
                "活动", "维", "事实", "报", "列", "代", "发", "图", "日", "月", "周", "汇总")

REFUSE_INJECTION = ("问题里夹带了要我改变规则或直接执行的指令/SQL，已拒绝。掌柜只按指标口径生成只读查询，"
                    "不会执行问题里给出的语句。请直接描述想看的指标、维度和时间。")
REFUSE_WRITE = "数仓是只读的：掌柜不会删除、修改或写入任何数据。可以问我查询类的问题，例如“上个月各渠道的GMV”。"
REFUSE_PII = ("涉及个人信息（姓名、手机号、地址等）的请求不能执行：数仓里的客户数据已脱敏，没有这些字段，"
              "掌柜也不会输出个人信息。可以按省份、城市、会员等级、年龄段等维度做汇总分析。")


def screen(text: str, layer: SemanticLayer) -> str | None:
    """The refusal reason for an unsafe or unanswerable request, or None when it may proceed.

    ``text`` is the normalised question (NFKC, lower case). Example: "麻烦把退款记录清空一下" → the
    read-only reason; "去掉退款后的GMV" → None.
    """
    if is_injection(text):
        return REFUSE_INJECTION
    if is_write(text, layer):
        return REFUSE_WRITE
    if asks_personal_data(text):
        return REFUSE_PII
    return missing_table(text, layer)


def is_injection(text: str) -> bool:
    """An instruction aimed at the system or its rules, or SQL embedded in the question."""
    return bool(_INJECTION_RE.search(text))


def is_write(text: str, layer: SemanticLayer) -> bool:
    """A request to change stored data, in Chinese or English, in any word order."""
    if _WRITE_EN_SQL.search(text) or _WRITE_EN.search(text):
        return True
    text = _mask_harmless(text, layer)
    if re.search(_WRITE_STRONG, text):
        return True
    tables = "|".join(KNOWN_TABLES)
    objects, containers = rf"(?:{_DATA_OBJECT}|{tables})", rf"(?:{_CONTAINER}|{tables})"
    edit, add = rf"(?:{_WRITE_EDIT})", rf"(?:{_WRITE_ADD})"
    patterns = (
        rf"{_BA}[^。？?；;]{{0,30}}?(?:{_WRITE_BA})",                           # 把SK029的下架日期设置成今天
        rf"{edit}\s*(?:一下|下|掉)?[^，,。？?]{{0,10}}?{objects}",               # 修改一下订单状态
        rf"{objects}[^，,。？?]{{0,12}}?{edit}",                                # 订单状态改为已完成
        rf"{add}\s*(?:一下|下|掉|了)?[^，,。？?]{{0,10}}?{containers}",          # 新增一条记录 / 清理一下退款表
        rf"{containers}[^，,。？?]{{0,12}}?{add}\s*(?:一下|下|掉|成|为|到)",      # 库存表更新一下
        rf"(?:{edit}|{add})\s*['\"“‘「]",                                      # 补上'其他'
        _WRITE_INTO,
        rf"(?:^|[，,。；;])\s*(?:帮我|麻烦|请|直接)?\s*(?:{edit})\s*(?:掉|吧|一下)?\s*(?:[，,。！!；;]|$)",  # …那笔退款，撤销掉
    )
    return any(re.search(p, text) for p in patterns)


def _mask_harmless(text: str, layer: SemanticLayer) -> str:
    """Blank out KPI names and computed-figure phrases so their verbs are not read as commands."""
    for pat in (_COMPUTED, _REFRESH, _HARMLESS):
        text = pat.sub(lambda m: " " * len(m.group(0)), text)
    for m in _DESCRIBED.finditer(text):
        clause = re.split(r"[，,。？?；;]", text[:m.start()])[-1]
        if not re.search(r"把|将", clause):
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    for word in _kpi_words(layer):
        if word in text:
            text = text.replace(word, " " * len(word))
    return text


def asks_personal_data(text: str) -> bool:
    """A person-identifying field asked for; fields of a product, channel or table are not personal."""
    for m in _PII.finditer(text):
        before = text[max(0, m.start() - 6):m.start()]
        if re.search(rf"(?:{_PII_OWNER_NOT_PERSON})\s*(?:的)?\s*$", before):
            continue
        if m.group(0) in ("号码", "名单") and not re.search(r"客户|买家|用户|会员|顾客|消费者|收货|收件|人", text):
            continue
        return True
    return False


def missing_table(text: str, layer: SemanticLayer) -> str | None:
    """The reason a named table, field or kind of data does not exist, with what does; else None."""
    known_cols = _known_identifiers(layer)
    for m in [*_TABLE_NAMED.finditer(text), *_TABLE_EN.finditer(text)]:
        word = m.group(m.lastindex or 0)
        if word not in known_cols and word not in KNOWN_TABLES:
            return f"数仓里没有 {word} 这张表或字段。现有的表：{', '.join(KNOWN_TABLES)}（{TABLES_ZH}）。"
    for m in _TABLE_ZH.finditer(text):
        name = m.group(1)[-4:]
        if not any(name.endswith(ok) for ok in _TABLE_OK_ZH):
            return f"数仓里没有“{name}表”。现有的表：{TABLES_ZH}（{', '.join(KNOWN_TABLES)}）。"
    masked = text
    for word in _kpi_words(layer):
        masked = masked.replace(word, " " * len(word))
    if re.search(r"每个小时|每小时|分小时|按小时|分时段|几点钟?|\bby (?:the )?hour\b|\bhourly\b|\bper hour\b|\beach hour\b", masked):
        return ("口径库的时间粒度最细到天：流量和广告只有日汇总，订单和会话虽有时间戳，按小时拆分还不支持。"
                "可以按天看，例如“昨天各渠道的访客数”或“最近7天每天的GMV”。")
    for subject, words in layer.value_aliases.get("not_in_warehouse", {}).items():
        if any(w.lower() in masked for w in words):
            return (f"数仓里没有{subject}数据，算不出这类指标。现有的数据：{TABLES_ZH}"
                    f"（{', '.join(KNOWN_TABLES)}）。")
    return None


def ambiguity(text: str, layer: SemanticLayer) -> str | None:
    """The clarifying question for an ambiguous metric word, or None."""
    for rule in layer.ambiguous:
        if any(w.lower() in text for w in rule.words) and not any(u.lower() in text for u in rule.unless):
            return rule.question
    return None


_KPI_WORDS: dict[int, list[str]] = {}


def _kpi_words(layer: SemanticLayer) -> list[str]:
    """Every KPI name and alias, lower case, longest first (cached per layer)."""
    if id(layer) not in _KPI_WORDS:
        words = {w.lower() for k in layer.kpis for w in (k.name, *k.aliases) if len(w) > 1 and not w.isascii()}
        _KPI_WORDS[id(layer)] = sorted(words, key=len, reverse=True)
    return _KPI_WORDS[id(layer)]


_IDENTIFIERS: dict[int, set[str]] = {}


def _known_identifiers(layer: SemanticLayer) -> set[str]:
    """Every table, column and value name the warehouse contract uses (cached per layer: it reads a file)."""
    if id(layer) not in _IDENTIFIERS:
        _IDENTIFIERS[id(layer)] = _identifiers(layer)
    return _IDENTIFIERS[id(layer)]


def _identifiers(layer: SemanticLayer) -> set[str]:
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
    from tools.demo_data import read_dimension  # campaign ids such as D11_2025 are values, not tables

    names |= {row[0].lower() for row in read_dimension("dim_campaign").rows}
    return names
