"""The offline parser: a Chinese or English question → ``SemanticQuery``, deterministically.

Vocabulary comes from data: KPI names and aliases, dimension words and value aliases from
``kpis.yaml``; dimension values (channels, categories, products, campaigns) from the
warehouse contract's dimension files. Time is resolved against an injected ``today``.
Order of reading: screen (refusals) → campaigns → time → ambiguity → metrics, dimensions,
filter values (longest match wins) → ranking, thresholds, comparison, share.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from agent.errors import InputError, RefusedError
from knowledge.kpis import SemanticLayer, load_semantic_layer
from tools.demo_data import load_profile, read_dimension
from tools.question_cohort import COHORT_WORDS, cohort_metrics, expand_month_lists
from tools.question_screen import ambiguity, screen
from tools.question_time import NUM, TimeHit, cn_int, find_times, previous_period
from tools.question_words import counted_noun, inverted_exclusions, listed_metrics, unpaid_included
from tools.semantic import GRAIN_STEPS, Comparison, Filter, OrderBy, SemanticQuery, Threshold, TimeRange, add_months

MAX_QUESTION_CHARS = 2000
SOFT_FILTERS = {"session_type", "refund_type", "refund_reason"}  # dropped when the metric has no such key
LOWER_IS_FASTER = {"first_response_time", "inventory_days"}
_SUP_DESC = r"(?<!倒数)(?:排第一|排名第一|数第一|第一名|第一的|居首|最靠前|榜首)|最高|最多|最长|最久|最贵|most expensive|最大|最好|最强|最火|最畅销|卖得最好|卖的最好|第一名|排名第一|(?<![a-z])top(?![a-z-])|highest|\bmost\b|largest|biggest|\bbest\b|greatest"
_SUP_ASC = r"倒数|垫底|排最后|最低|最少|最短|最便宜|最省|cheapest|最小|最差|最弱|卖得最差|lowest|\bleast\b|smallest|\bworst\b|fewest"
_SLOW, _FAST = r"最慢|slowest", r"最快|fastest"
_SLOW_ORDER, _FAST_ORDER = r"从慢到快|由慢到快|slowest first", r"从快到慢|由快到慢|fastest first"
_DESC_ORDER = r"best first|highest first|largest first|biggest first|most first|排个序|排一下序|排前面|排在前面|放前面|放在前面|排最前|排到最|从高到低|由高到低|从大到小|由多到少|从多到少|降序|排名|排行|排序|\branked?\b|\brank\b|descending"
_ASC_ORDER = r"worst first|lowest first|smallest first|least first|fewest first|从低到高|由低到高|从小到大|从少到多|升序|ascending"
_MOM = r"(?:和|与|跟|比|较|同|对比)\s*(?:前|上)一个?(?:周|星期|月|天|日|期|季度)|环比|上期|比上月|较上月|比上周|较上周|比前一|month[- ]over[- ]month|\bmom\b|week[- ]over[- ]week|\bwow\b|vs\.? ?(last|previous) (month|week)|compared (to|with) (last|the previous) (month|week)"
_YOY = r"同比|去年同期|比去年|较去年|与去年相比|和去年比|year[- ]over[- ]year|year on year|\byoy\b|vs\.? ?last year|compared (to|with) last year|same (?:period|month|week|quarter|day) (?:of |in )?last year"
_VERSUS = (r"vs\.?|对比|相比|比较|compar(?:e|ed|ing)|(?:和|与|跟|同|较).{0,12}比|versus|"
           r"比(?![例重率])(?:.{0,10}?)(?:高|低|多|少|好|差|涨|跌|增|降|大|小|快|慢)")
_GROWTH = r"增长|增速|涨幅|涨了|增幅|提升|growth|grew|increase"
_DECLINE = r"下降|下跌|跌幅|减少|decline|drop|decrease"
_PER_DAY = r"日均|平均每天|每天平均|平均每日|每日平均|平均一天|一天平均|\baverage daily\b|\bdaily average\b|\bper day on average\b"
_TOTAL = r"全店|整体|总体|总的|全部|全渠道|所有渠道|大盘|\btotal\b|\boverall\b|whole shop"
_SHARE = r"占.{0,4}?(?:多少|几成|比例|百分之)|占比|比重|份额|占多大|\bshare\b|proportion|\bpercentage\b|what percent\b"
_SPLIT = r"分别|各自|对比|比较|各是|各为|各有|各占|各多少|各\S{1,3}?了?多少|分开|拆开|区分|分成|compare|respectively|each of|\bvs\b\.?|versus"
_RATIO_WORDS = r"比例|百分比|多少成|几成"  # "女性买家的比例": a counted slice's share of the whole
_NOW = r"现在|目前|当前|眼下|此刻|最新|实时|截至目前|截止目前|还剩|剩余|\bnow\b|currently|\bcurrent\b|latest|right now|on hand today"
_SLOW_RESPONSE = (r"(?:首响|首次响应|响应|回复)[^,，。?？;；]{0,8}?(?:超过|大于|多于|高于|慢于|超出|长于|over|more than|longer than)\s*"
                  r"(\d+(?:\.\d+)?)\s*(秒|s\b|seconds?|分钟|min(?:ute)?s?)")
_EN_COUNT = r"one|two|three|four|five|six|seven|eight|nine|ten"
_NEGATE = r"除了|除去|除(?!以)|不含|不包括|不算|排除|剔除|excluding|except|other than|非"
_THRESH_OPS = [(r"不低于|不少于|至少|大于等于|>=|≥|no less than|at least", ">="), (r"超过|超了|过了|高于|大于|多于|>|more than|greater than|over|above", ">"),
               (r"不高于|不超过|至多|小于等于|<=|≤|no more than|at most", "<="),
               (r"低于|少于|小于|不足|不到|不满|没到|没有到|未达到|未到|<|less than|below|under|fewer than", "<")]
# "3万以上" / "1万以下": the operator follows the number
_THRESH_POST = [(r"及以上|或以上|以上|及更多|or more|and above", ">="), (r"及以下|或以下|以下|or less|and below", "<=")]
_NUMBER = r"(\d+(?:\.\d+)?)\s*(万|w|千|k|%|％)?"
_THRESH_VERBS = r"接待了?|有|达到了?|卖出了?|卖了|买了|下了|收到了?|拿到了?|获得了?|have|had|received"  # "至少接待50个会话"


@dataclass
class Match:
    start: int
    end: int
    kind: str  # metric | dim | value
    key: str
    value: str = ""
    strong: bool = True


@dataclass
class Vocab:
    entries: list[tuple[str, str, str, str, bool]]  # surface, kind, key, value, strong
    campaigns: dict[str, list[tuple[str, dt.date, dt.date, str]]]  # prefix → [(id, start, end, name)]
    campaign_words: list[tuple[str, str]]
    fallback: list[tuple[str, str, str, str, bool]]  # loose metric words ("成交") read only when nothing else is


def normalize(text: str) -> str:
    """Full-width → half-width, lower case, one space between words."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


@lru_cache(maxsize=4)
def _vocab(layer_key: int) -> Vocab:
    layer = _LAYERS[layer_key]
    entries: list[tuple[str, str, str, str, bool]] = []
    written = {normalize(s): k.id for k in layer.kpis for s in {k.id, k.name, k.name_en, *k.aliases}}
    for surface, kpi_id in {**_spoken_forms(written), **written}.items():
        entries.append((surface, "metric", kpi_id, "", True))
    bare = {"渠道", "平台", "类目", "品类", "大类", "商品", "产品", "单品", "爆款", "品牌", "省份", "地区", "地域", "城市", "年龄",
            "性别", "原因", "客服", "sku", "channels", "categories", "products", "provinces", "cities", "brands", "agents",
            "reasons", "gender", "age band", "campaigns", "subcategory", "subcategories", "brand", "channel", "category",
            "province", "city", "product", "campaign", "skus", "月份", "日子", "的省", "个省"}
    derived = []  # 各渠道 → 各个渠道, 不同渠道; listed last so a written word of the same length wins
    for dim_id, d in layer.dimensions.items():
        for w in d.words:
            entries.append((normalize(w), "dim", dim_id, "", normalize(w) not in bare))
            if w.startswith("各") and len(w) > 2 and not d.grain:
                derived += [(normalize(p + w[1:]), "dim", dim_id, "", True) for p in ("各个", "不同")]
    values: dict[str, tuple[str, str]] = {}
    for dim_id, groups in layer.value_aliases.items():
        if dim_id in layer.dimensions:
            for value, words in groups.items():
                for w in [value, *words]:
                    values.setdefault(normalize(w), (dim_id, value))
    prods = read_dimension("dim_product")
    col = {c: i for i, c in enumerate(prods.columns)}
    for dim_id, c in (("product", "product_name"), ("category_l1", "category_l1"), ("category_l2", "category_l2"),
                      ("brand", "brand"), ("spu", "spu"), ("sku", "sku")):
        for row in prods.rows:
            values.setdefault(normalize(row[col[c]]), (dim_id, row[col[c]]))
    for row in prods.rows:  # "30ml和50ml分开看": specs with a size or count in them, not bare words like 大号
        spec = row[col["sku_spec"]]
        if re.search(r"\d", spec):
            values.setdefault(normalize(spec), ("sku_spec", spec))
        shade = re.fullmatch(r"#\d+\s*(\S{2,})", spec)  # "#04 奶茶": "奶茶色那支口红"
        if shade:
            values.setdefault(shade.group(1) + "色", ("sku_spec", spec))
            values.setdefault(shade.group(1), ("sku_spec", spec))
    for row in read_dimension("dim_channel").rows:
        values.setdefault(normalize(row[1]), ("channel", row[1]))
    prof = load_profile()
    for province, city, tier, _w in prof["cities"]:
        values.setdefault(normalize(province), ("province", province))
        values.setdefault(province + "省", ("province", province))
        values.setdefault(normalize(city), ("city", city))
        values.setdefault(city + "市", ("city", city))
        values.setdefault(tier + "城市", ("city_tier", tier))
        values.setdefault(tier, ("city_tier", tier))
    values.setdefault("下沉市场", ("city_tier", "三线及以下"))
    for level in prof["member_levels"]:
        values.setdefault(level, ("member_level", level))
        values.setdefault(level.replace("会员", ""), ("member_level", level))
    for band in prof["age_bands"]:
        values.setdefault(band + "岁", ("age_band", band))
        values.setdefault(band, ("age_band", band))
    for group in prof["refund_reasons"].values():
        for reason in group:
            values.setdefault(normalize(reason), ("refund_reason", reason))
    entries += [(s, "value", d, v, True) for s, (d, v) in values.items()] + derived
    campaigns: dict[str, list[tuple[str, dt.date, dt.date, str]]] = {}
    for row in read_dimension("dim_campaign").rows:
        campaigns.setdefault(row[0].split("_")[0], []).append((row[0], row[4], row[5], row[1]))
    words = [(normalize(w), prefix) for prefix, ws in layer.value_aliases.get("campaign_window", {}).items() for w in ws]
    entries.sort(key=lambda e: (-len(e[0]), e[1] != "dim"))  # "各一级类目销售额": the breakdown word wins a tie
    words.sort(key=lambda e: -len(e[0]))
    fallback = [(normalize(w), "metric", kpi, "", True) for kpi, ws in layer.value_aliases.get("metric_fallback", {}).items()
                for w in ws if kpi in {k.id for k in layer.kpis}]
    fallback.sort(key=lambda e: -len(e[0]))
    return Vocab(entries, campaigns, words, fallback)


# How a KPI's written name is said in a question: "好评率" → "好评的比例", "优惠金额" → "优惠了多少钱",
# "访客数" → "多少访客". (suffix of the written name, spoken forms with {stem} for the rest)
_SPOKEN = [("率", ("{stem}的比例", "{stem}比例", "{stem}的占比", "{stem}占比")),
           ("金额", ("{stem}了多少钱", "{stem}多少钱", "{stem}的钱")),
           ("数", ("多少{stem}", "{stem}有多少")), ("量", ("多少{stem}", "{stem}有多少"))]


def _spoken_forms(written: dict[str, str]) -> dict[str, str]:
    """Spoken forms of every Chinese KPI name; a form that is another KPI's written name is left to it."""
    out: dict[str, str] = {}
    for surface, kpi_id in written.items():
        for suffix, forms in _SPOKEN:
            stem = surface[: -len(suffix)]
            if surface.endswith(suffix) and len(stem) >= 2 and not stem.isascii():
                for form in forms:
                    out.setdefault(form.format(stem=stem), kpi_id)
    return {s: k for s, k in out.items() if s not in written}


_LAYERS: dict[int, SemanticLayer] = {}


def _vocab_for(layer: SemanticLayer) -> Vocab:
    _LAYERS[id(layer)] = layer
    return _vocab(id(layer))


@lru_cache(maxsize=None)
def _word_pattern(surface: str) -> re.Pattern[str]:
    """An English surface as a whole word; compiled once (the vocabulary outgrows ``re``'s own cache)."""
    return re.compile(r"(?<![a-z0-9_])" + re.escape(surface) + r"(?![a-z0-9_])")


def _find_all(text: str, surface: str) -> list[int]:
    if surface.isascii():
        return [m.start() for m in _word_pattern(surface).finditer(text)] if surface in text else []
    out, i = [], text.find(surface)
    while i >= 0:
        out.append(i)
        i = text.find(surface, i + 1)
    return out


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + "\x00" * (end - start) + text[end:]


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = _mask(text, start, end)
    return text


# "双十一投放计划", "打了双十一活动标的订单", "the Double 11 ad plan": the campaign's own rows, not just its dates
_PLAN_AFTER = r"\s*(?:的|那个|这个)?\s*(?:大促|活动)?\s*(?:的)?\s*(?:专项投放|投放计划|推广计划|广告计划|专项计划|活动标|活动标签|标签|(?:promo |promotion )?(?:ad |campaign )?plans?\b|tagged)"
_PLAN_BEFORE = r"(?:打了|带|带有|挂了|tagged (?:with|as)?)\s*$"


def _campaigns(text: str, today: dt.date, vocab: Vocab) -> tuple[str, list[TimeHit], list[str]]:
    """Campaign windows named in the text (masked once read), and the campaigns whose own rows are meant."""
    hits, tagged = [], []
    for cs in vocab.campaigns.values():  # an id written out, "D11_2025": that campaign's rows in its window
        for cid, s, e, name in cs:
            for i in reversed(_find_all(text, cid.lower())):
                tagged.append(name)
                if not cid.startswith("AO_"):
                    hits.append(TimeHit(i, i + len(cid), TimeRange(start=s, end=min(e + dt.timedelta(days=1), today), label=name, key=cid),
                                      "campaign"))
                text = _mask(text, i, i + len(cid))
    for surface, prefix in vocab.campaign_words:
        for i in _find_all(text, surface):
            j = i + len(surface)
            if "\x00" in text[i:j]:
                continue
            before = text[max(0, i - 14):i]
            m = re.search(r"(\d{4})\s*年?\s*(?:的)?\s*$|(今年|去年|前年|this year'?s?|last year'?s?)\s*(?:的)?\s*$", before)
            year = None
            if m and m.group(1):
                year = int(m.group(1))
            elif m:
                year = {"今": today.year, "th": today.year, "去": today.year - 1, "la": today.year - 1,
                        "前": today.year - 2}[m.group(2)[:2] if m.group(2)[0].isascii() else m.group(2)[0]]
            after = re.match(r"\s*(\d{4})", text[j:])
            if year is None and after and 2000 < int(after.group(1)) < 2100:
                year, j = int(after.group(1)), j + after.end()
            start = i - (m.end() - m.start()) if m else i
            options = vocab.campaigns.get(prefix, [])
            pick = [c for c in options if (c[1].year == year if year else c[1] < today)]
            if not pick:
                raise InputError(f"没有找到{year or ''}{surface}的活动窗口",
                                 hint="dim_campaign 里有：" + "、".join(c[0] for c in options))
            cid, s, e, name = max(pick, key=lambda c: c[1])
            tr = TimeRange(start=s, end=min(e + dt.timedelta(days=1), today), label=name, key=cid)
            day = re.match(r"\s*(?:的)?\s*(?:当天|当日|那天|那一天|正日子|on the day)", text[j:])
            if day:  # "双十一当天": the festival day itself, the last day of the window
                tr, j = TimeRange(start=e, end=min(e + dt.timedelta(days=1), today), label=f"{name}当天"), j + day.end()
            if re.match(_PLAN_AFTER, text[j:j + 16]) or re.search(_PLAN_BEFORE, text[max(0, start - 12):start]):
                tagged.append(name)
            hits.append(TimeHit(start, j, tr, "campaign"))
            text = _mask(text, start, j)
    if tagged and len({(h.range.start, h.range.end) for h in hits}) > 1:
        tagged = [t for t in tagged if any(h.range.label == t for h in hits)]
    unique = {(h.range.start, h.range.end): h for h in sorted(hits, key=lambda h: h.start, reverse=True)}  # "双十一计划（D11_2025）" once
    return text, sorted(unique.values(), key=lambda h: h.start), list(dict.fromkeys(tagged))


def _scan(text: str, vocab: Vocab) -> list[Match]:
    taken = [c == "\x00" for c in text]
    out = []
    for surface, kind, key, value, strong in vocab.entries:
        if not surface:
            continue
        for i in _find_all(text, surface):
            j = i + len(surface)
            if any(taken[i:j]):
                continue
            for x in range(i, j):
                taken[x] = True
            out.append(Match(i, j, kind, key, value, strong))
    return sorted(out, key=lambda m: m.start)


def _number(num: str, unit: str | None, ratio: bool) -> float:
    v = float(num)
    v *= {"万": 1e4, "w": 1e4, "千": 1e3, "k": 1e3}.get(unit or "", 1)
    if unit in ("%", "％") or (ratio and v > 1):
        v /= 100
    return v


def _order_amount_filters(text: str) -> tuple[str, list[Filter]]:
    """"实付超过500元的订单": a condition on each order's amount, not on the total; masked once read."""
    ops = "|".join(p for p, _ in _THRESH_OPS) + "|满"  # "满500元的订单": at least 500
    post = "|".join(p for p, _ in _THRESH_POST)
    amount = r"(?:实付金额|实付|支付金额|订单金额|金额)?\s*(?:在)?\s*"
    unit = r"\s*(?:元|块钱|块|rmb|yuan|cny)?\s*"
    out = []
    pats = [(rf"{amount}({ops})\s*{_NUMBER}{unit}(?:的)?\s*(?=订单|单子)", 1, 2, 3, _THRESH_OPS),
            (rf"{amount}(?<![\d.]){_NUMBER}{unit}({post})\s*(?:的)?\s*(?=订单|单子)", 3, 1, 2, _THRESH_POST),
            (rf"(?<=orders)\s+(?:with\s+(?:an?\s+)?(?:paid\s+)?amount\s+|worth\s+)?({ops})\s*{_NUMBER}{unit}", 1, 2, 3, _THRESH_OPS)]
    for pat, g_op, g_num, g_unit, table in pats:
        for m in re.finditer(pat, text):
            op = next((o for p, o in table if re.fullmatch(p, m.group(g_op))), ">=")
            value = _number(m.group(g_num), m.group(g_unit), False)
            out.append(Filter(dimension="order_amount", values=[f"{value:g}"], op=op))
            text = _mask(text, m.start(), m.end())
    return text, out


@lru_cache(maxsize=1)
def _age_bands() -> tuple[tuple[str, int, int], ...]:
    """The warehouse's age bands as (label, lowest age, highest age); "50+" ends at 200."""
    bands = []
    for band in load_profile()["age_bands"]:
        lo, _, hi = band.rstrip("+").partition("-")
        bands.append((band, int(lo), int(hi) if hi else 200))
    return tuple(bands)


def _age_span_filters(text: str) -> tuple[str, list[Filter]]:
    """"25-34岁" / "35岁以上": the age bands that lie inside the span; masked once read."""
    if "岁" not in text:
        return text, []
    bands = _age_bands()
    out = []
    for m in re.finditer(r"(\d{2})\s*(?:-|~|到|至)\s*(\d{2})\s*岁|(\d{2})\s*岁\s*(及以上|以上|或以上|及以下|以下|以内)", text):
        if m.group(1):
            lo, hi = int(m.group(1)), int(m.group(2))
        else:
            lo, hi = (int(m.group(3)), 200) if "上" in m.group(4) else (0, int(m.group(3)) - ("及" not in m.group(4)))
        picked = [b for b, a, z in bands if a >= lo and z <= hi]
        if picked:
            out.append(Filter(dimension="age_band", values=picked))
            text = _mask(text, m.start(), m.end())
    return text, out


def _grain_of(ranges: list[TimeRange]) -> str | None:
    """The calendar grain shared by adjacent periods (months, quarters, years or days), else None."""
    rs = sorted(ranges, key=lambda r: r.start)
    if any(a.end != b.start for a, b in zip(rs, rs[1:])):
        return None
    for grain, months in (("month", 1), ("quarter", 3), ("year", 12)):
        if all(r.start.day == 1 and r.start.month % months == 1 % months and r.end == add_months(r.start, months)
               for r in rs):
            return grain
    return "day" if all(r.days == 1 for r in rs) else None


_CHANGE = (r"涨|跌|增长|增加|减少|下降|下滑|提升|变化|变动|差|高了|低了|多了|少了|掉|growth|grew|chang|increase|decrease|decline|"
           r"drop|up or down|higher|lower|difference|gap|improv|better|worse")
_ROWS = r"分别|各是|各自|各花|各有|都给|都列|列一下|next to|side by side|respectively|each year|both years|for each"


def _period_rows(camp: list[TimeHit], others: list[TimeHit], current: TimeRange, years_only: bool, text: str,
                 question: str, vocab: Vocab, breakdown: bool) -> list[TimeRange]:
    """Periods shown side by side as rows, when two campaign windows (or a campaign in two named years) are
    put together without asking how much one changed against the other, and the rows are not already
    split by something else (then the periods sit side by side as columns); else []."""
    explicit = re.search(r"两年的|两个月的|两周的|两次的|两期的|都给|分别列|各自的数|both years'|each year's", text)
    if not others or not camp or breakdown or not (re.search(_ROWS, text) or explicit) \
            or re.search(_YOY, question.lower()) or re.search(_MOM, text) or (not explicit and re.search(_CHANGE, text)):
        return []
    if years_only:
        out = []
        for year in sorted({h.range.start.year for h in others} | {current.start.year}):
            label = current.label.replace(str(current.start.year), str(year))
            c = next((c for cs in vocab.campaigns.values() for c in cs if c[3] == label), None)
            if c is None:
                return []
            end = min(c[2] + dt.timedelta(days=1), current.end) if year == current.start.year else c[2] + dt.timedelta(days=1)
            out.append(TimeRange(start=c[1], end=end, label=c[3], key=c[0]))
        return out if len(out) > 1 else []
    windows = {(h.range.start, h.range.end): h.range for h in [*camp, *others]}
    if len(windows) > 1 and all(h.kind == "campaign" for h in others):
        return sorted(windows.values(), key=lambda r: r.start)
    return []


def _compose_ratio(metrics: list[str], matches: list[Match], text: str, layer: SemanticLayer) -> list[str]:
    """"新客在买家里占多大比例", "PV/UV": two counted KPIs read as a ratio name the ratio KPI built from them."""
    if len(metrics) != 2:
        return metrics
    ms = [m for m in matches if m.kind == "metric"]
    divided = len(ms) == 2 and re.fullmatch(r"\s*(?:/|÷|除以|divided by|per)\s*", text[ms[0].end:ms[1].start])
    if not divided and not re.search(rf"{_SHARE}|比例|百分比|百分之|几成|占了?多少|ratio|share of", text):
        return metrics
    parts = [layer.kpi(m).expr for m in metrics]
    if not all(p in layer.measures for p in parts):
        return metrics
    same = lambda m, p: m == p or m.startswith(p + "_")  # noqa: E731  refund_amount ~ refund_amount_cohort
    # "新客占买家的比例" names the part first, "买家里新客占多少" the whole first
    for num, den in ((parts[0], parts[1]), (parts[1], parts[0])):
        for k in layer.kpis:
            r = re.fullmatch(r"ROUND\(1\.0 \* (?:COALESCE\()?([a-z_]+)(?:, 0\))? / NULLIF\(([a-z_]+), 0\), \d\)", k.expr)
            if r and same(r.group(1), num) and same(r.group(2), den):
                return [k.id]
    return metrics


def arabic_amounts(text: str) -> str:
    """"大于一万" → "大于1万", "百分之五" → "5%": amounts in Chinese numerals read like written ones."""
    text = re.sub(r"百分之\s*(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)",
                  lambda m: f"{cn_int(m.group(1)) if not m.group(1)[0].isdigit() else m.group(1)}%", text)
    return re.sub(r"(?<![一二两三四五六七八九十百千万双])([一二两三四五六七八九十]+)\s*(万|千)",
                  lambda m: f"{cn_int(m.group(1))}{m.group(2)}", text)


def _drop_population(metrics: list[str], matches: list[Match], text: str) -> list[str]:
    """"GMV from female buyers", "女性买家的GMV": the buyers named after a value are who is counted,
    not a second metric, when another metric is asked for."""
    if len(metrics) < 2 or "paying_buyers" not in metrics:
        return metrics
    ms = [m for m in matches if m.kind == "metric" and m.key == "paying_buyers"]
    values = [m for m in matches if m.kind == "value"]
    if ms and all(re.fullmatch(r"买家|buyers|customers|用户|客户|shoppers", text[m.start:m.end]) and
                  any(0 <= m.start - v.end <= 1 for v in values) for m in ms):
        return [k for k in metrics if k != "paying_buyers"]
    return metrics


def _absorb_parts(metrics: list[str], matches: list[Match], text: str, layer: SemanticLayer) -> list[str]:
    """"平均每个客人花了多少钱", "访客转化成买家的比例": a KPI word right beside a ratio that is built from it
    is part of the ratio's wording, not a second metric (a list, "访客数和转化率", keeps both)."""
    ms = [m for m in matches if m.kind == "metric"]
    drop = set()
    for a, b in zip(ms, ms[1:]):
        if a.key == b.key or re.search(r"[和与及、,跟/]|以及|还有|\band\b", text[a.end:b.start]) or b.start - a.end > 2:
            continue
        for part, whole in ((a.key, b.key), (b.key, a.key)):
            if layer.kpi(part).expr in layer.kpi(whole).measures() and layer.kpi(whole).expr not in layer.measures:
                drop.add(part)
    return [m for m in metrics if m not in drop] or metrics


def _special_metrics(metrics: list[str], text: str, params: dict[str, int], cohort: bool) -> tuple[list[str], dict[str, int]]:
    """Readings that name a KPI by its shape: "首响超过1分钟的会话占多少" (share of slow replies, s = 60),
    "新客的首单带来多少GMV" (first orders only), "首响的中位数和P90" (percentiles beside the mean)."""
    slow = re.search(_SLOW_RESPONSE, text)
    if slow and re.search(r"会话|咨询|进线|chats?|sessions?|占|比例|百分比|share|percent", text):
        seconds = float(slow.group(1)) * (60 if re.match(r"分|min", slow.group(2)) else 1)
        keep = [m for m in metrics if m not in ("first_response_time", "cs_sessions", "responded_sessions")]
        return ["slow_response_rate", *keep], {**params, "s": int(seconds)}
    if cohort and re.search(r"首单.{0,8}?(?:gmv|金额|成交|销售额|多少钱|带来|贡献|revenue)|first[- ]orders?.{0,20}(?:gmv|revenue|worth)", text):
        return ["first_order_gmv", *[m for m in metrics if m not in ("gmv", "new_customers", "first_order_gmv")]], params
    if "first_response_time" in metrics:
        extra = (["first_response_median"] if re.search(r"中位数|中位|median|p50", text) else []) + \
                (["first_response_p90"] if re.search(r"p90|90\s*分位|90%\s*分位|九十分位", text) else [])
        return list(dict.fromkeys([*metrics, *extra])), params
    return metrics, params


def parse_question(question: str, today: dt.date | None = None, layer: SemanticLayer | None = None) -> SemanticQuery:
    """Read one question; raise InputError (bad input) or RefusedError (unsafe, ambiguous, unknown)."""
    if not question or not question.strip():
        raise InputError("问题是空的", hint="例如：上个月各渠道的GMV和转化率是多少")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"问题太长（{len(question)} 字），最多 {MAX_QUESTION_CHARS} 字", hint="请只问一个数据问题")
    today = today or dt.date.today()
    layer = layer or load_semantic_layer()
    vocab = _vocab_for(layer)
    text = re.sub(r"一共|总共|总计|加起来|all together|in total", "", expand_month_lists(arabic_amounts(normalize(question))))
    text = re.sub(r"\bby (?:the|their|its|each) ", "by ", text)  # "split by the channel they registered on"
    text = re.sub(r"\b(?:at )?the end of (last month|this month|previous month)", r"\1底", text)  # → "上个月底"
    reason = screen(text, layer)
    if reason:
        raise RefusedError(reason)
    text, camp, tagged = _campaigns(text, today, vocab)
    times = find_times(text, today)
    if len(times) + len(camp) > 1:  # "上个月新客占当月买家的比例": 当月 is the month already named
        times = [h for h in times if not re.fullmatch(r"当月|当天|当日|当周|当季|同月|同期", h.range.label)]
    # "11月的就不用算了": a period named only to be left out of the range
    excluded = [h for h in times if re.match(r"\s*(?:的|份)?\s*(?:就|先)?\s*(?:不用算|不算|不要算|不要|除外|不用看|去掉|排除)",
                                              text[h.end:h.end + 10])]
    times = [h for h in times if h not in excluded]
    for h in [*times, *excluded]:
        text = _mask(text, h.start, h.end)
    question_back = ambiguity(text, layer)
    if question_back:
        raise RefusedError(question_back, hint="例如：上个月的毛利是多少 / 上个月的GMV是多少")
    text, row_filters = _order_amount_filters(text)
    text, age_filters = _age_span_filters(text)
    row_filters += age_filters
    per_day = bool(re.search(_PER_DAY, text))
    text = re.sub(_PER_DAY, lambda m: "\x00" * len(m.group(0)), text)  # "平均每天" is not a per-day breakdown
    matches = _scan(text, vocab)
    if not any(m.kind == "metric" for m in matches):
        # "退货退款的金额": the metric word sits inside a value; read metrics alone before giving up.
        only = Vocab([e for e in vocab.entries if e[1] == "metric"], vocab.campaigns, vocab.campaign_words, [])
        found = _scan(text, only)[:1] or _scan(text, Vocab(vocab.fallback, {}, [], []))[:1]
        matches = sorted(matches + found, key=lambda m: m.start)
    if re.search(_NOW, text) and not re.search(r"买|购|下单|付款|支付|消费|成交|buy|bought|purchas|paid|order|spen", text):
        # "现在各会员等级有多少人": everyone registered, not the buyers of a period
        matches = [Match(m.start, m.end, m.kind, "members", m.value, m.strong)
                   if m.kind == "metric" and m.key == "paying_buyers" else m for m in matches]
    if re.search(r"广告|投放|投流|推广|计划|\bads?\b|advertis", text):  # "投放计划花了多少钱": the shop's spend, not buyers'
        matches = [Match(m.start, m.end, m.kind, "ad_spend", m.value, m.strong)
                   if m.kind == "metric" and re.fullmatch(r"花了多少钱?|spent|spending", text[m.start:m.end]) else m for m in matches]
    metrics = list(dict.fromkeys(m.key for m in matches if m.kind == "metric"))
    metrics = listed_metrics(metrics, [(m.start, m.end) for m in matches if m.kind == "metric"], text, layer)
    refund_rows = any(x.kind in ("dim", "value") and x.key in ("refund_reason", "refund_type") for x in matches)
    if (refund_rows or any(m.startswith("refund") for m in metrics)) and "退" in text and not re.search(
            r"订单|成交|销售|gmv|支付|卖|营业|revenue|sales", text):
        # "每种原因退了多少笔、多少钱": the amounts and counts of refunds, not of orders
        swap = {"paid_orders": "refund_count", "gmv": "refund_amount", "paying_buyers": None}
        metrics = list(dict.fromkeys(swap.get(m, m) for m in metrics if swap.get(m, m)))
    metrics = unpaid_included(metrics, text, layer)
    notes: list[str] = [f"只统计订单金额 {f.op} {f.values[0]} 元的订单（按单笔订单判断，不是合计）" for f in row_filters]
    metrics, times, params = cohort_metrics(metrics, text, question, times, today)
    cohort_words = re.search(COHORT_WORDS, text)
    if "refund_rate" in metrics and re.search(r"按订单|订单口径|订单维度|订单数|by orders?|order[- ]based|order count", text):
        metrics = ["refund_order_rate" if m == "refund_rate" else m for m in metrics]
    metrics, params = _special_metrics(metrics, text, params, cohort_words is not None)
    if "stock_cover_days" in metrics:  # "按近30天日均销量，库存撑不到20天": the sales and stock are its parts
        metrics = [m for m in metrics if m not in ("paid_units", "avg_inventory", "on_sale_skus")]
    if {"avg_inventory", "paid_units"} <= set(metrics) and not re.search(r"卖|销|sold|sell|sales", text):
        metrics = [m for m in metrics if m != "paid_units"]  # "how many units … in stock": units of stock
    if "slow_response_rate" in metrics:
        text = re.sub(_SLOW_RESPONSE, lambda m: "\x00" * len(m.group(0)), text)  # its number is not a threshold
    if {"avg_inventory", "on_sale_skus"} <= set(metrics):
        # "每个在售SKU还剩多少库存": stock of the SKUs on sale, one row each
        metrics = [m for m in metrics if m != "on_sale_skus"]
        if re.search(r"每个|各|哪些|哪几个|列", text):
            matches.append(Match(0, 0, "dim", "sku"))
    metrics = _compose_ratio(metrics, matches, text, layer)
    metrics = _absorb_parts(metrics, matches, text, layer)
    metrics = _drop_population(metrics, matches, text)
    if not metrics:
        names = "、".join(k.name for k in layer.kpis[:20])
        raise RefusedError("没有在问题里认出可以计算的指标（或这个指标不在数仓的口径库里）。"
                           f"可以问的指标例如：{names} 等。", hint="例如：上个月各渠道的GMV和转化率是多少")
    thresholds = []
    ops = "|".join(p for p, _ in _THRESH_OPS)
    post = "|".join(p for p, _ in _THRESH_POST)
    found = [(m, next(o for p, o in _THRESH_OPS if re.fullmatch(p, m.group(1))), m.group(2), m.group(3))
             for m in re.finditer(rf"({ops})\s*(?:{_THRESH_VERBS})?\s*{_NUMBER}", text)]
    found += [(m, next(o for p, o in _THRESH_POST if re.fullmatch(p, m.group(3))), m.group(1), m.group(2))
              for m in re.finditer(rf"(?<![\d.]){_NUMBER}\s*({post})", text)]
    threshold_spans: list[tuple[int, int]] = []
    for m, op, num, unit in found:
        op = inverted_exclusions(text, m.span(), op)
        near = sorted((x for x in matches if x.kind == "metric" and (0 <= m.start() - x.end <= 6 or 0 <= x.start - m.end() <= 4)),
                      key=lambda x: m.start() - x.end if x.end <= m.start() else x.start - m.end())
        counted = counted_noun(text, m.span(), layer)
        if near or counted:
            kpi = layer.kpi(counted or near[0].key)
            threshold_spans.append(m.span())
            thresholds.append(Threshold(metric=kpi.id, op=op, value=_number(num, unit, kpi.format == "ratio")))
            if kpi.id not in metrics:
                metrics.append(kpi.id)
    ranking = bool(re.search(f"{_SUP_DESC}|{_SUP_ASC}|{_SLOW}|{_FAST}|{_SLOW_ORDER}|{_FAST_ORDER}|{_DESC_ORDER}|{_ASC_ORDER}|前\\s*{NUM}|哪|谁|which", text))
    split = bool(re.search(_SPLIT, text))
    filters: dict[tuple[str, bool], list[str]] = {}
    last: tuple[Match, bool] | None = None
    hedged = [(h.start(), h.end()) for h in re.finditer(r"(?:感觉|觉得|好像|似乎|貌似|听说|我猜|怀疑|估计)[^,，。?？;；]*", text)]
    # "抖音是不是特别高", "黑金会员到底比普通会员高多少": a guess about rows, asked after the breakdown is named
    hedged += [(h.start(), h.end()) for h in re.finditer(r"[^,，。?？;；]*(?:是不是|是否|到底|真的)[^,，。?？;；]*", text)]
    for m in matches:
        if m.kind == "value" and any(a <= m.start < b for a, b in hedged) and any(
                x.kind == "dim" and x.key == m.key for x in matches):
            continue  # "各渠道排个序，感觉抖音退得最狠": a guess about one row, not a filter
        if m.kind == "value" and re.search(r"(?<![不未])(?:含|包括|包含|including|incl\.?)\s*\S{0,2}$", text[max(0, m.start - 6):m.start]):
            continue  # "全部广告（含日常推广计划）": rows included, not a filter
        if m.kind == "value":
            neg = bool(re.search(f"({_NEGATE})\\s*\\S{{0,2}}$", text[max(0, m.start - 6):m.start]))
            if last and last[0].key == m.key and re.fullmatch(r"\s*[、,，/和及与跟或]\s*", text[last[0].end:m.start]):
                neg = last[1]  # "除天猫、京东外": the list shares its negation
            last = (m, neg)
            filters.setdefault((m.key, neg), [])
            if m.value not in filters[(m.key, neg)]:
                filters[(m.key, neg)].append(m.value)
    dims: list[str] = []
    listed_values = any(len(v) > 1 and not neg for (_, neg), v in filters.items())  # "售前和售后分开" splits by them
    for m in matches:
        if m.kind == "dim" and m.key not in dims:
            listed = re.search(rf"的\s*{re.escape(text[m.start:m.end])}\s*(有哪些|是哪些|都有哪些|是什么|[?？。]|$)", text)
            # "客服首响的中位数和P90各是多少": a bare noun right before a KPI word says whose KPI it is;
            # "按活动周期对齐算", "按活动表里的日期": how the window is taken, not a breakdown by campaign
            # "各渠道客服平均首响…哪个渠道最慢": with another breakdown named, the bare noun is still the owner
            other_breakdown = any(x.kind == "dim" and x.strong and x.key != m.key for x in matches)
            owner = not m.strong and (not ranking or other_breakdown) and any(
                x.kind == "metric" and (x.start == m.end or (other_breakdown and text[m.end:x.start] == "的")) for x in matches)
            if owner or re.match(r"\s*(?:的)?(?:周期|期间|窗口|日期|时间|表|起止|口径|定义)|\s+(?:window|period|dates)\b", text[m.end:]):
                continue
            if (m.strong or ranking or (split and not listed_values) or thresholds or listed) and not any(k == m.key for k, _ in filters) \
                    and not (tagged and m.key == "campaign"):
                dims.append(m.key)
    for (dim, neg), vals in filters.items():
        # "women, men and unknown": a list of every value of a dimension is a breakdown by it
        whole = len(vals) > 1 and set(vals) >= {e[3] for e in vocab.entries if e[1] == "value" and e[2] == dim}
        if ((split or ranking) and len(vals) > 1 or whole) and not neg and dim not in dims:
            dims.append(dim)
    sources = {layer.measures[x].source for k in metrics for x in layer.kpi(k).measures()}
    keys = {key for s in sources for key in layer.sources[s].keys}
    flist = [Filter(dimension=d, values=v, negate=n) for (d, n), v in filters.items()
             if not (d in SOFT_FILTERS and layer.dimensions[d].key not in keys)] + row_filters
    if tagged and all("campaign" in layer.sources[s].keys for s in sources):
        flist.append(Filter(dimension="campaign", values=tagged))
        notes.append(f"只统计打了{'、'.join(tagged)}活动标（campaign_id）的数据，不含同期的日常推广")
    each = re.search(r"\beach of the (?:last|past|previous) \w+ (day|week|month)s\b", normalize(question))
    if each and not any(layer.dimensions[d].grain for d in dims):
        dims.append(each.group(1))  # "GMV for each of the last seven days": one row per day
    dims = list(dict.fromkeys("sku" if d == "sku_spec" else d for d in dims))  # a spec row is a SKU row
    if "sku" in dims:  # "SKUs … give me the product names too": a SKU row already shows its product
        dims = [d for d in dims if d != "product"]
    if "customer_type" in dims and set(metrics) <= {"new_customers", "returning_customers", "paying_buyers"}:
        # "新客和老客各有多少": the two counts themselves, not a count split by itself
        dims, metrics = [d for d in dims if d != "customer_type"], ["new_customers", "returning_customers"]
    if "k_last" in params:  # a retention row per month already: "后面每个月" is not a second breakdown
        dims = [d for d in dims if not layer.dimensions[d].grain]
    if any(layer.dimensions[d].grain for d in dims) and len(dims) > 1:
        dims = [d for d in dims if not layer.dimensions[d].grain][:1] + [d for d in dims if layer.dimensions[d].grain][:1]
    # time range and comparison
    ranges = [*camp, *[h for h in times]]
    if len(camp) == 1 and any(h.kind == "absolute" and camp[0].range.start <= h.range.start
                              and h.range.end <= camp[0].range.end for h in times):
        # "双十一预售期（10月20日到10月31日）": explicit dates inside the window say which part of it
        ranges, camp = [h for h in ranges if h.kind != "campaign"], []
    ranges.sort(key=lambda h: h.start)
    stock = {"avg_inventory", "on_sale_skus"} & set(metrics)
    if stock and not ranges and re.search(_NOW, normalize(question)):
        # "现在还有多少库存": the latest daily snapshot (yesterday's), not an average over a month
        ranges = [TimeHit(0, 0, TimeRange(start=today - dt.timedelta(days=1), end=today, label="最新快照"), "relative")]
    comparison = None
    if ranges:
        current = ranges[0].range
        if camp and ranges[0].kind != "campaign" and len(camp) == 1:
            current = camp[0].range
        if camp:
            c = camp[0].range
            notes.append(f"“{c.label}期间”按活动日期窗口 {c.start} 至 {c.end - dt.timedelta(days=1)} 统计")
    else:
        grains = [layer.dimensions[d].grain for d in dims if layer.dimensions[d].grain]
        if grains and grains[0] in ("month", "quarter", "year"):
            current = TimeRange(start=dt.date(today.year, 1, 1), end=today, label="今年")
        else:
            current = TimeRange(start=today - dt.timedelta(days=30), end=today, label="最近30天")
        notes.append(f"问题里没有时间，默认统计{current.label}（{current.start} 至 {current.end - dt.timedelta(days=1)}）")
    trimmed = (current.start, current.end)
    for h in excluded:
        if current.start < h.range.start < current.end <= h.range.end:
            current = TimeRange(start=current.start, end=h.range.start, label=f"{current.label}（不含{h.range.label}）")
    if "retention_rate" in metrics and "month" in dims:
        # each cohort needs its month M+k to have ended: "今年每个月的新客次月留存" stops at the last complete one
        last = add_months(today.replace(day=1), -int(params.get("k", 1)))
        if current.start < last < current.end:
            notes.append(f"{last} 起的新客还没过完第 {params.get('k', 1)} 个月，不列出")
            current = TimeRange(start=current.start, end=last, label=current.label)
    others = [h for h in ranges if (h.range.start, h.range.end) not in ((current.start, current.end), trimmed)]
    years_only = bool(camp) and bool(others) and all(
        h.range.start.month == 1 and h.range.start.day == 1 and h.range.end in (h.range.start.replace(year=h.range.start.year + 1), today)
        for h in others)  # "618期间…今年跟去年对比": this year's campaign against last year's
    periods = _period_rows(camp, others, current, years_only, text, question, vocab,
                           any(not layer.dimensions[d].grain for d in dims))
    if periods:  # "双十一今年和去年分别…", "Put Double 11 2025 next to Double 11 2024": a block of rows per period
        current = periods[-1]
        if tagged:
            flist = [f for f in flist if f.dimension != "campaign"] + [Filter(dimension="campaign", values=[p.label for p in periods])]
            notes = [n for n in notes if "活动标" not in n] + [f"只统计打了{'、'.join(p.label for p in periods)}活动标（campaign_id）的数据"]
    elif re.search(_YOY, text) or re.search(_YOY, question.lower()) or (years_only and re.search(_VERSUS, text)):
        prev = next((h.range for h in camp if h.range != current), None)
        if prev is None and camp and current == camp[0].range:
            older = [c for cs in vocab.campaigns.values() for c in cs
                     if c[3] == current.label.replace(str(current.start.year), str(current.start.year - 1))]
            if older:
                prev = TimeRange(start=older[0][1], end=older[0][2] + dt.timedelta(days=1), label=older[0][3])
        comparison = Comparison(kind="yoy", previous=prev or previous_period(current, today, "yoy"))
    elif re.search(_MOM, text):
        grain = next((layer.dimensions[d].grain for d in dims if layer.dimensions[d].grain), None)
        if grain:  # "今年每个月的GMV和环比": each row against the period just before it
            months, days = GRAIN_STEPS[grain]
            start = add_months(current.start, -months) - dt.timedelta(days=days)
            comparison = Comparison(kind="mom", previous=TimeRange(start=start, end=current.end, label="上期"))
        else:
            comparison = Comparison(kind="mom", previous=previous_period(current, today, "mom"))
    elif others and (re.search(_VERSUS, text) or re.search(r"\bchang(?:e|ed|ing)\b|变化|变动", text)):
        prev = others[0].range
        if prev.start > current.start and re.search(r"\bfrom\b|从", text):  # "change from October to November"
            current, prev = prev, current
        if re.search(r"同期|同一时间段|同样的天数|same period|same days", text) and prev.days > current.days:
            prev = TimeRange(start=prev.start, end=prev.start + dt.timedelta(days=current.days), label=f"{prev.label}同期")
        comparison = Comparison(kind="custom", previous=prev)
    elif others:
        current = TimeRange(start=min(h.range.start for h in ranges), end=max(h.range.end for h in ranges),
                            label="、".join(h.range.label for h in ranges))
        grain = _grain_of([h.range for h in ranges])
        if split and grain and not any(layer.dimensions[d].grain for d in dims):
            dims.append(grain)  # "9月和10月的退款率分别是多少": one row per period
    if current.start >= current.end:
        notes.append(f"{current.label or '这个时间段'}还没有完整数据（数据截至 {today - dt.timedelta(days=1)}）")
    # ranking, order, limit
    order: list[OrderBy] = []
    limit = None
    metric_pos = {m.key: m.start for m in matches if m.kind == "metric"}
    sup = re.search(f"{_SUP_DESC}|{_SUP_ASC}|{_SLOW}|{_FAST}", text)
    target = metrics[0]
    if sup and metric_pos:
        target = min((k for k in metrics if k in metric_pos), key=lambda k: abs(metric_pos[k] - sup.start()),
                     default=metrics[0])
    desc = True
    if sup:
        word = sup.group(0)
        if re.fullmatch(_SUP_ASC, word):
            desc = False
        elif re.fullmatch(_SLOW, word):
            desc = target in LOWER_IS_FASTER
        elif re.fullmatch(_FAST, word):
            desc = target not in LOWER_IS_FASTER
    elif re.search(_ASC_ORDER, text):
        desc = False
    elif re.search(_SLOW_ORDER, text):
        desc = target in LOWER_IS_FASTER
    elif re.search(_FAST_ORDER, text):
        desc = target not in LOWER_IS_FASTER
    if re.search(r"按(?:金额|钱数)|by amount", text):  # "按金额从高到低": the money metric orders the rows
        target = next((k for k in metrics if layer.kpi(k).format == "money"), target)
    field = target
    if comparison:
        if re.search(_DECLINE, text) and sup:
            field, desc = f"{target}_growth", not desc
        elif re.search(_GROWTH, text) or sup:
            field = f"{target}_growth"
    n = re.search(rf"(?:前|top|best|排名前|倒数|最.{{0,6}}?的)\s*{NUM}(?!\s*[级线])\s*(?:名|个|位|大|款|家|条|项|天|种)?|{NUM}\s*(?:个|家|款|位|名|大)|"
                  rf"\b(?:top|best|which)\s+({_EN_COUNT}|\d+)\b", _mask_spans(text, threshold_spans))
    if dims and (sup or re.search(rf"前\s*{NUM}|top\s*\d|{_DESC_ORDER}|{_ASC_ORDER}|{_SLOW_ORDER}|{_FAST_ORDER}", text)):
        order.append(OrderBy(field=field, descending=desc, nulls_first=desc and target == "inventory_days"))
        if n and (sup or re.search(r"前|top", n.group(0))):
            limit = cn_int(next(g for g in n.groups() if g))
        elif re.search(r"拆|各|每个|每一个|所有|分别|breakdown|break down|\beach\b|\bevery\b|\b(?:worst|best|highest|lowest|most|least) first\b", text) and not (n and re.search(r"前|top", n.group(0))):
            pass  # "按原因拆一下，看看哪个原因最多" / "各等级…哪个最多": every row, the top one first
        elif sup and re.search(r"哪|which|是什么|是哪|what", text) and not split:
            limit = 1
        elif sup and not re.search(_DESC_ORDER, text):
            limit = 1
    # thresholds: "<metric> 不低于 200" / "at least 200 <metric>"
    counted = layer.kpi(metrics[0]).format in ("money", "count")
    share = bool(dims) and counted and bool(re.search(_SHARE, text) or re.search(_RATIO_WORDS, text))
    share_of_total = combine = False
    if (re.search(_SHARE, text) or re.search(_RATIO_WORDS, text)) \
            and not any(not layer.dimensions[d].grain for d in dims) \
            and any(not f.negate and f.op == "in" for f in flist) and layer.kpi(metrics[0]).format in ("money", "count"):
        share = share_of_total = True  # "抖音GMV占全店的比例": the slice's share of the unfiltered total
        combine = not split and not dims  # "金卡和黑金会员贡献的GMV占全店多少": the picked slices together
        notes.append("占比 = 所选切片 ÷ 不加这些筛选条件的全店合计（同一指标、同一时间）")
    if per_day:
        notes.append(f"日均 = 指标 ÷ 统计期的自然日数（{max(current.days, 1)} 天，含没有数据的日子）")
    return SemanticQuery(metrics=metrics, dimensions=dims, filters=flist, time_range=current, comparison=comparison, periods=periods,
                         thresholds=thresholds, order_by=order, limit=limit, params=params,
                         share=share, share_of_total=share_of_total, combine=combine, per_day=per_day, notes=notes)
