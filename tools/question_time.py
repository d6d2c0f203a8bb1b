"""Time expressions in Chinese and English, resolved against an injected "today" (G4/G5).

Every range is half-open ``[start, end)`` and ends no later than today, because the data is
complete through yesterday. ``find_times`` returns the spans it read, so the parser can
mask them before looking for metrics ("双十一" must not look like "十一").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from agent.errors import InputError
from tools.semantic import TimeRange, add_months

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUM = r"(\d+|[零〇一二两三四五六七八九十百]+)"
NUM_ANY = r"(\d+|[零〇一二两三四五六七八九十百]+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fourteen|thirty|ninety)"
EN_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                          "september", "october", "november", "december"], start=1)}
EN_MONTHS.update({m[:3]: i for m, i in list(EN_MONTHS.items())})
EN_MONTHS["sept"] = 9
EN_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30, "ninety": 90}


def cn_int(s: str) -> int:
    """'12' / '十二' / '二十' / '一百' / 'seven' → int."""
    s = s.strip().lower()
    if s.isdigit():
        return int(s)
    if s in EN_NUM:
        return EN_NUM[s]
    if "百" in s:
        head, _, tail = s.partition("百")
        return (CN_DIGITS.get(head, 1) if head else 1) * 100 + (cn_int(tail) if tail else 0)
    if "十" in s:
        head, _, tail = s.partition("十")
        return (CN_DIGITS.get(head, 1) if head else 1) * 10 + (CN_DIGITS.get(tail, 0) if tail else 0)
    return CN_DIGITS[s] if len(s) == 1 else int("".join(str(CN_DIGITS[c]) for c in s))


@dataclass
class TimeHit:
    start: int
    end: int
    range: TimeRange
    kind: str  # absolute | relative | campaign


def make_date(y: int, m: int, d: int, text: str = "") -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise InputError(f"日期不存在：{text or f'{y}年{m}月{d}日'}", hint="请检查年月日，例如 2025年2月只有28天") from None


def month_range(y: int, m: int) -> tuple[dt.date, dt.date]:
    if not 1 <= m <= 12:
        raise InputError(f"月份不存在：{m}月")
    start = dt.date(y, m, 1)
    return start, (dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1))



def _year_of(prefix: str | None, today: dt.date) -> int | None:
    if not prefix:
        return None
    p = prefix.strip().lower().rstrip("年的 ")
    if p.isdigit():
        return int(p) + (2000 if len(p) == 2 else 0)
    return {"今": today.year, "本": today.year, "this year": today.year, "去": today.year - 1, "last year": today.year - 1,
            "前": today.year - 2}.get(p)


# "2025年" / "2025" / "24年" (two digits only with 年) / 今年 / last year's
_YEAR = r"(?:(\d{4}|(?<![\d.])[12]\d(?=\s*年))\s*年?|(今|本|去|前)年的?|(this year|last year)(?:'s)?\s*)?"


def _rng(start: dt.date, end: dt.date, today: dt.date, label: str) -> TimeRange:
    return TimeRange(start=start, end=max(min(end, today), start), label=label)


def find_times(text: str, today: dt.date) -> list[TimeHit]:
    """Every time expression in ``text`` (lower-cased, NFKC-normalised), left to right."""
    hits: list[TimeHit] = []
    taken = [False] * len(text)

    def add(m: re.Match[str], start: dt.date, end: dt.date, kind: str = "absolute") -> None:
        if any(taken[m.start():m.end()]):
            return
        for i in range(m.start(), m.end()):
            taken[i] = True
        hits.append(TimeHit(m.start(), m.end(), _rng(start, end, today, m.group(0).strip()), kind))

    def point(y: str | None, mo: str, d: str, raw: str) -> dt.date:
        return make_date(int(y) if y else today.year, cn_int(mo), cn_int(d), raw)

    _holidays(text, today, add)
    date_pat = r"(?:(\d{4})\s*[年\-/.])?\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*[日号]?"
    for m in re.finditer(rf"(?:from\s+|between\s+)?{date_pat}\s*(?:到|至|~|-|—|to|and|until)\s*{date_pat}", text):
        a = point(m.group(1), m.group(2), m.group(3), m.group(0))
        b = point(m.group(4) or m.group(1), m.group(5), m.group(6), m.group(0))
        add(m, a, b + dt.timedelta(days=1))
    for m in re.finditer(r"(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*(?:到|至|~|-|—)\s*(\d{1,2})\s*[日号]", text):
        a = point(m.group(1), m.group(2), m.group(3), m.group(0))
        b = point(m.group(1), m.group(2), m.group(4), m.group(0))
        if not m.group(1) and b >= today:
            a, b = (make_date(d.year - 1, d.month, d.day, m.group(0)) for d in (a, b))
        add(m, a, b + dt.timedelta(days=1))
    for m in re.finditer(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]|(\d{4})-(\d{1,2})-(\d{1,2})", text):
        y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        day = point(y, mo, d, m.group(0))
        add(m, day, day + dt.timedelta(days=1))
    for m in re.finditer(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]", text):
        day = point(None, m.group(1), m.group(2), m.group(0))
        if day >= today:
            day = make_date(day.year - 1, day.month, day.day, m.group(0))
        add(m, day, day + dt.timedelta(days=1))
    # English days: "Nov 3 to Nov 9, 2025", "from November 3 to 9", "Nov 3, 2025", "3 November 2025"
    months_en = "|".join(sorted(EN_MONTHS, key=len, reverse=True))
    en_day = rf"(?:({months_en})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({months_en})\.?)"
    en_year = r"(?:,?\s*(\d{4}))?"

    def en_point(mo: str | None, d: str | None, d2: str | None, mo2: str | None, y: str | None, raw: str) -> dt.date:
        month, day = EN_MONTHS[mo or mo2 or ""], int(d or d2 or 0)
        if y:
            return make_date(int(y), month, day, raw)
        guess = make_date(today.year, month, day, raw)
        return guess if guess < today else make_date(today.year - 1, month, day, raw)

    for m in re.finditer(rf"\b(?:from\s+|between\s+)?{en_day}{en_year}\s*(?:to|until|through|thru|and|-|–|~)\s*"
                         rf"(?:{en_day}|(\d{{1,2}})(?:st|nd|rd|th)?\b){en_year}", text):
        g = m.groups()
        y = g[4] or g[10]
        b_mo, b_d = (g[5], g[6]) if g[5] else ((g[8], g[7]) if g[8] else (g[0] or g[3], g[9]))
        b = en_point(b_mo, b_d, None, None, y, m.group(0))
        a = en_point(g[0], g[1], g[2], g[3], g[4] or (str(b.year) if (g[10] or g[4]) else None), m.group(0))
        if not y and a > b:
            a = make_date(a.year - 1, a.month, a.day, m.group(0))
        add(m, a, b + dt.timedelta(days=1))
    for m in re.finditer(rf"\b(?:on\s+)?{en_day}{en_year}\b", text):
        if (m.group(1) or "") == "may" and not m.group(5):
            continue
        day = en_point(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(0))
        add(m, day, day + dt.timedelta(days=1))
    # month spans: 1-10月 / 2025年3月到5月 / 3至5月份
    for m in re.finditer(rf"{_YEAR}(\d{{1,2}}|[一二三四五六七八九十]+)\s*月?\s*(?:-|~|—|到|至)\s*(\d{{1,2}}|[一二三四五六七八九十]+)\s*月份?(?![\d日号])", text):
        y = _year_of(m.group(1) or m.group(2) or m.group(3), today)
        a, b = cn_int(m.group(4)), cn_int(m.group(5))
        if y is None:
            y = today.year if month_range(today.year, a)[0] < today else today.year - 1
        if a <= b:
            add(m, month_range(y, a)[0], month_range(y, b)[1])
    # months: 2025年1月 / 2025-01 / 1月 / November 2025 / Nov 2025
    for m in re.finditer(rf"{_YEAR}(\d{{1,2}}|[一二三四五六七八九十]+)\s*月份?(?![\d日号])", text):
        y = _year_of(m.group(1) or m.group(2) or m.group(3), today)
        mo = cn_int(m.group(4))
        if y is None:
            y = today.year if month_range(today.year, mo)[0] < today else today.year - 1
        add(m, *month_range(y, mo))
    for m in re.finditer(r"(?<![\d.])(\d{4})[-./](\d{1,2})(?![\d./-])", text):
        add(m, *month_range(int(m.group(1)), int(m.group(2))))
    for m in re.finditer(rf"\b(?:in\s+)?({months_en})\.?(?:\s+(?:of\s+)?(\d{{4}}))?\b", text):
        mo = EN_MONTHS[m.group(1)]
        if m.group(1) == "may" and not m.group(2):
            continue  # "may" is usually the verb
        y = int(m.group(2)) if m.group(2) else (today.year if month_range(today.year, mo)[0] < today else today.year - 1)
        add(m, *month_range(y, mo))
    # ISO weeks: 2025年第47周 / 第47周 / week 47 (of 2025) / 2025-W47
    for m in re.finditer(rf"{_YEAR}第\s*(\d{{1,2}})\s*周|\bweek\s*(\d{{1,2}})(?:\s*(?:of\s+)?(\d{{4}}))?\b|\b(\d{{4}})-?w(\d{{1,2}})\b", text):
        week = int(m.group(4) or m.group(5) or m.group(8))
        y = _year_of(m.group(1) or m.group(2) or m.group(3), today) or int(m.group(6) or m.group(7) or today.year)
        try:
            monday = dt.date.fromisocalendar(y, week, 1)
        except ValueError:
            raise InputError(f"{y}年没有第{week}周", hint="ISO 周数是 1 到 52（有的年份到 53）") from None
        add(m, monday, monday + dt.timedelta(days=7))
    # quarters and halves
    for m in re.finditer(rf"(?<![上下这本]){_YEAR}(?:第?([一二三四1-4])季度|q([1-4])(?:\s*(\d{{4}}))?)", text):
        q = cn_int(m.group(4) or m.group(5))
        y = _year_of(m.group(1) or m.group(2) or m.group(3), today) or (int(m.group(6)) if m.group(6) else None)
        if y is None:
            y = today.year if dt.date(today.year, 3 * q - 2, 1) < today else today.year - 1
        add(m, dt.date(y, 3 * q - 2, 1), month_range(y, 3 * q)[1])
    for m in re.finditer(rf"{_YEAR}(上半年|下半年|h1|h2|first half|second half)(?:\s*(?:of\s+)?(\d{{4}}))?", text):
        y = _year_of(m.group(1) or m.group(2) or m.group(3), today) or (int(m.group(5)) if m.group(5) else today.year)
        first = m.group(4) in ("上半年", "h1", "first half")
        add(m, dt.date(y, 1 if first else 7, 1), dt.date(y, 7, 1) if first else dt.date(y + 1, 1, 1))
    # relative
    n_days = rf"(?:最近|近|过去|前|这|last|past|previous)\s*{NUM_ANY}\s*(?:个)?"
    for m in re.finditer(rf"{n_days}(天|日|周|星期|礼拜|个?月|年|days?|weeks?|months?|years?)", text):
        n = cn_int(m.group(1))
        unit = m.group(2)
        if n == 1 and re.search(r"(和|与|跟|比|较|同|对比)\s*$", text[max(0, m.start() - 3):m.start()]):
            continue  # "和前一周比": the period before the one asked about, read as a comparison

        if unit in ("天", "日") or unit.startswith("day"):
            add(m, today - dt.timedelta(days=n), today, "relative")
        elif unit in ("周", "星期", "礼拜") or unit.startswith("week"):
            add(m, today - dt.timedelta(days=7 * n), today, "relative")
        elif "月" in unit or unit.startswith("month"):
            add(m, add_months(today, -n), today, "relative")
        else:
            add(m, dt.date(today.year - n, today.month, today.day), today, "relative")
    for m in re.finditer(r"(?:最近|近|过去)\s*(?:的)?\s*半\s*(年|个月)|\b(?:last|past)\s+(?:half a year|six months|half year)\b", text):
        if m.group(1) == "个月":
            add(m, today - dt.timedelta(days=15), today, "relative")
        else:
            add(m, add_months(today, -6), today, "relative")
    for m in re.finditer(r"(?:最近|近|过去|last|past)\s*(?:一个?|1)?\s*(?:月|month)(?!份)", text):
        add(m, add_months(today, -1), today, "relative")
    for m in re.finditer(rf"(\d{{4}})\s*(?:年|全年|整年|年度)(?![\d一二三四五六七八九十]+\s*月|第|q|上半|下半)|\b(?:in|for|during)\s+(\d{{4}})\b", text):
        y = int(m.group(1) or m.group(2))
        add(m, dt.date(y, 1, 1), dt.date(y + 1, 1, 1))
    monday = today - dt.timedelta(days=today.weekday())
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    # weekdays: 上周六 / 本周三 / 周五 (the latest one before today) / last saturday
    wd = r"([一二三四五六日天1-7])"
    for m in re.finditer(rf"(上上|上|本|这)?(?:个)?(?:周|星期|礼拜){wd}(?![均共直猫])|\b(last|this)\s+({EN_DAYS})\b", text):
        if m.start() and text[m.start() - 1] == "每":
            continue
        idx = (EN_DAYS.split("|").index(m.group(4)) if m.group(4) else "一二三四五六日".find(m.group(2).replace("天", "日"))
               if not m.group(2).isdigit() else int(m.group(2)) - 1)
        which = m.group(1) or m.group(3) or ""
        if which in ("上", "上上"):
            day = monday - dt.timedelta(days=7 * len(which)) + dt.timedelta(days=idx)
        elif which in ("本", "这", "this"):
            day = monday + dt.timedelta(days=idx)
        else:
            day = today - dt.timedelta(days=(today.weekday() - idx) % 7 or 7)
        add(m, day, day + dt.timedelta(days=1), "relative")
    words = [
        (r"今天|今日|今儿个?|\btoday\b", today, today + dt.timedelta(days=1)),
        (r"昨天|昨日|昨儿个?|昨个|\byesterday\b", today - dt.timedelta(days=1), today),
        (r"前天|前儿个?|day before yesterday", today - dt.timedelta(days=2), today - dt.timedelta(days=1)),
        (r"上上周|上上个?星期|上上个?礼拜|\bthe week before last\b", monday - dt.timedelta(days=14), monday - dt.timedelta(days=7)),
        (r"上周|上个?星期|上礼拜|\blast week\b|\bprevious week\b", monday - dt.timedelta(days=7), monday),
        (r"本周|这周|这个?星期|\bthis week\b|week to date", monday, today),
        (r"上上个?月|\bthe month before last\b", add_months(today.replace(day=1), -2), add_months(today.replace(day=1), -1)),
        (r"上个?月|\blast month\b|\bprevious month\b", add_months(today.replace(day=1), -1), today.replace(day=1)),
        (r"本月|这个?月|当月|\bthis month\b|month to date|\bmtd\b", today.replace(day=1), today),
        (r"上一?个?季度|\blast quarter\b|\bprevious quarter\b", add_months(q_start, -3), q_start),
        (r"本季度|这个?季度|\bthis quarter\b", q_start, today),
        (r"今年以来|今年|本年度?|年初至今|年初到现在|年初到今天|年初以来|\bthis year\b|year to date|\bytd\b", dt.date(today.year, 1, 1), today),
        (r"去年|上一年|\blast year\b", dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)),
        (r"前年", dt.date(today.year - 2, 1, 1), dt.date(today.year - 1, 1, 1)),
    ]
    for pat, start, end in words:
        for m in re.finditer(pat, text):
            add(m, start, end, "relative")
    hits.sort(key=lambda h: h.start)
    return [_ten_days(h, text, today) for h in hits]


# Public holidays on fixed dates: (pattern, month, first day, days). "国庆7天" is the 10-01..10-07 break.
_HOLIDAYS = [(r"国庆(?:节|假期|长假|黄金周)?(?:\s*(?:7|七)\s*天)?(?:假期|期间)?|十一黄金周|十一长假|national day", 10, 1, 7),
             (r"劳动节|五一(?:假期|长假|期间)|may day", 5, 1, 5), (r"元旦(?:假期|当天)?|new year's day", 1, 1, 1)]


def _holidays(text: str, today: dt.date, add) -> None:  # noqa: ANN001
    """国庆 / 五一 / 元旦 of the year named before them, else the latest one that has begun."""
    for pat, month, day, days in _HOLIDAYS:
        for m in re.finditer(rf"(?:(\d{{4}})\s*年?|(今年|去年))?\s*的?\s*(?:{pat})", text):
            if m.group(1):
                year = int(m.group(1))
            elif m.group(2):
                year = today.year - (m.group(2) == "去年")
            else:
                year = today.year if dt.date(today.year, month, day) < today else today.year - 1
            start = dt.date(year, month, day)
            add(m, start, start + dt.timedelta(days=days))


def _ten_days(h: TimeHit, text: str, today: dt.date) -> TimeHit:
    """Narrow a calendar month to its 上旬 (1-10), 中旬 (11-20), 下旬 (21-end), first/last (ISO) week or day."""
    m = re.match(r"\s*的?\s*(上旬|中旬|下旬|上半月|下半月|第一周|首周|最后一周|第一天|最后一天|底|末)", text[h.end:])
    if not m or h.range.start.day != 1:
        return h
    start, end = month_range(h.range.start.year, h.range.start.month)
    if h.range.end not in (end, today):
        return h
    last = end - dt.timedelta(days=1)
    lo, hi = {"第一周": (start, min(start + dt.timedelta(days=7 - start.weekday()), end)),
              "首周": (start, min(start + dt.timedelta(days=7 - start.weekday()), end)),
              "最后一周": (max(last - dt.timedelta(days=last.weekday()), start), end),
              "第一天": (start, start + dt.timedelta(days=1)), "最后一天": (last, end), "底": (last, end), "末": (last, end),
              "上半月": (start, start + dt.timedelta(days=15)), "下半月": (start + dt.timedelta(days=15), end)
              }.get(m.group(1), (None, None))
    if lo is None:
        part = ("上旬", "中旬", "下旬").index(m.group(1))
        lo = start + dt.timedelta(days=10 * part)
        hi = end if part == 2 else start + dt.timedelta(days=10 * (part + 1))
    return TimeHit(h.start, h.end + m.end(), _rng(lo, hi, today, text[h.start:h.end + m.end()].strip()), h.kind)


def previous_period(tr: TimeRange, today: dt.date, kind: str) -> TimeRange:
    """The period a 环比 (mom) or 同比 (yoy) compares with."""
    if kind == "yoy":
        def back(d: dt.date) -> dt.date:
            return d.replace(year=d.year - 1) if not (d.month == 2 and d.day == 29) else dt.date(d.year - 1, 2, 28)

        return TimeRange(start=back(tr.start), end=back(tr.end), label="去年同期")
    start, end = tr.start, tr.end
    if start.day == 1 and (end.day == 1 or end == today):
        months = (end.year - start.year) * 12 + end.month - start.month + (0 if end.day == 1 else 1)
        p_start = add_months(start, -months)
        p_end = add_months(end, -months) if end.day != 1 else start
        return TimeRange(start=p_start, end=min(p_end, start), label="上期")
    days = (end - start).days
    return TimeRange(start=start - dt.timedelta(days=days), end=start, label="上期")
