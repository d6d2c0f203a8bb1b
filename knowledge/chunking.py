"""Split a cleaned document into sections along its own headings, then into chunks.

Scraped playbooks run headings into the body on one long line
(``…定位。二、方案设计2.1运营策略框架设计 本方案采用…``), so headings are found by
pattern *and* by sequence: ``2.1`` is a heading only where the numbering expects it
(after chapter 二 or section 1.x), which rejects ``增长2.1倍`` and ``达13.1万亿元``. The
table of contents at the top of a document gives the exact heading titles that the body
repeats without a delimiter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

CN_NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}

_HEADING = re.compile(
    r"(?P<chapter>第(?P<chn>[0-9]{1,2}|[一二三四五六七八九十]{1,3})章)"
    r"|(?P<cn>(?<![一二三四五六七八九十])[一二三四五六七八九十]{1,3})、"
    r"|(?<![\d.])(?P<num>\d{1,2}\.\d{1,2}(?:\.\d{1,2})?)(?![\d.%])"
)
# A number followed by one of these is a quantity, not a heading (增长2.1倍, 1.5万名);
# the weaker units only count when no further Chinese follows (3.2人, but 3.2人才梯队).
_ALWAYS_UNIT = set("倍万亿元%")
_WEAK_UNIT = set("个年月日天次人家件单名分秒周岁米克升台套款条位")
_TITLE_STOP = re.compile(
    r"[ 。,;:!?、\n]|\(\d+\)|(?<![\d.])\d{1,2}\.\d{1,2}(?![\d.%])|第\d+章|[一二三四五六七八九十]、|在?20\d\d年|随[着著]"
)
_MAX_TITLE = 30
_PLACEHOLDER = re.compile(r"X{3,}|x{3,}")
_SENTENCE_END = re.compile(r"(?<=[。!?;])|(?=\(\d+\))")


def cn_to_int(text: str) -> int:
    """``三`` → 3, ``十二`` → 12, ``12`` → 12."""
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN_NUMERALS[text[1]]
    if len(text) == 3 or (len(text) == 2 and text[1] == "十"):
        return CN_NUMERALS[text[0]] * 10 + (CN_NUMERALS[text[2]] if len(text) == 3 else 0)
    return CN_NUMERALS[text[0]]


@dataclass
class Section:
    number: str
    title: str
    text: str = ""


@dataclass
class _Numbering:
    """Where the document's numbering stands.

    ``zhang`` counts 第N章, ``cn`` counts 一、二、, ``x.section.sub`` the decimal headings.
    Under 第N章 the 一、 level does not reset the decimal numbering (2.3 may follow 三、).
    """

    zhang: int = 0
    cn: int = 0
    x: int = 0
    section: int = 0
    sub: int = 0

    def accepts(self, kind: str, parts: list[int]) -> bool:
        n = parts[0]
        if kind == "zhang":
            return n == 1 or self.zhang <= n <= self.zhang + 2
        if kind == "cn":
            fresh = not (self.cn or self.zhang or self.x)  # a document may start at any chapter
            return n == 1 or fresh or self.cn <= n <= self.cn + 2
        c, s = parts[0], parts[1]
        if len(parts) == 3:
            return c == self.x and s == self.section and 1 <= parts[2] <= self.sub + 2
        if c == self.x and self.section < s <= self.section + 2:
            return True
        if s <= 2 and c in {self.x + 1, self.zhang, self.cn}:
            return True
        return c == 1 and s == 1

    def take(self, kind: str, parts: list[int]) -> None:
        if kind == "zhang":
            self.zhang, self.cn, self.x, self.section, self.sub = parts[0], 0, parts[0], 0, 0
        elif kind == "cn":
            self.cn = parts[0]
            if not self.zhang:
                self.x, self.section, self.sub = parts[0], 0, 0
        elif len(parts) == 2:
            self.x, self.section, self.sub = parts[0], parts[1], 0
        else:
            self.sub = parts[2]

    def label(self, number: str, kind: str) -> str:
        """A section label unique within the document: ``2.3``, or ``第4章 1.1`` where
        decimal numbering restarts inside chapters."""
        if kind == "section" and self.zhang and self.x != self.zhang:
            inner = "" if self.x == self.cn else f"{'一二三四五六七八九十'[self.cn - 1]}、" if 0 < self.cn <= 10 else ""
            return f"第{self.zhang}章 {inner}{number}"
        return number


@dataclass
class _Heading:
    start: int
    end: int  # end of the heading title
    number: str
    title: str
    label: str = ""


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _starts_title(after: str) -> bool:
    """Whether the two characters after a heading number can begin a heading title."""
    if not after:
        return False
    first = after[0]
    if first in _ALWAYS_UNIT:
        return False
    if first in _WEAK_UNIT:
        return len(after) > 1 and _is_han(after[1])
    return _is_han(first) or first.isalpha() or first in "X“\""


def _title_after(text: str, pos: int, known: dict[str, str], number: str) -> str:
    title = known.get(number)
    if title and text.startswith(title, pos):
        return title
    m = _TITLE_STOP.search(text, pos, min(len(text), pos + _MAX_TITLE + 1))
    end = m.start() if m else min(len(text), pos + _MAX_TITLE)
    return text[pos:end]


def find_headings(text: str, known: dict[str, str] | None = None) -> list[_Heading]:
    """All headings in ``text``, in order, accepted by pattern and by numbering sequence."""
    known = known or {}
    numbering = _Numbering()
    found: list[_Heading] = []
    for m in _HEADING.finditer(text):
        start = m.end()
        while start < len(text) and start - m.end() < 2 and text[start] == " ":
            start += 1
        if not _starts_title(text[start : start + 2]):
            continue
        if m.group("chapter"):
            kind, parts, number = "zhang", [cn_to_int(m.group("chn"))], m.group("chapter")
        elif m.group("cn"):
            kind, parts, number = "cn", [cn_to_int(m.group("cn"))], m.group("cn")
            # 一、 inside running prose (…包括:一、…) is a list item, not a chapter
            if text[m.start() - 1 : m.start()] in (":", ","):
                continue
        else:
            number = m.group("num")
            kind, parts = "section", [int(p) for p in number.split(".")]
        if not numbering.accepts(kind, parts):
            continue
        title = _title_after(text, start, known, number)
        if len(title.strip()) < 2:
            continue
        numbering.take(kind, parts)
        found.append(_Heading(m.start(), start + len(title), number, title.strip(), numbering.label(number, kind)))
    return found


def split_sections(text: str) -> list[Section]:
    """Sections of a cleaned document, with table-of-contents entries resolved to titles.

    A heading immediately followed by another heading is a contents entry: it teaches the
    exact title and yields no section. Placeholder chapters (``十、XXXXXX``) and repeated
    blocks are dropped.
    """
    first = find_headings(text)
    known: dict[str, str] = {}
    for a, b in zip(first, first[1:]):
        gap = text[a.end : b.start].strip()
        if not gap and 2 <= len(a.title) <= _MAX_TITLE:
            known.setdefault(a.number, a.title)
    # Re-scan with the learned titles so body headings glued to prose end at the right place.
    headings = find_headings(text, known) if known else first
    sections: list[Section] = []
    preamble = text[: headings[0].start].strip() if headings else text.strip()
    if sum(1 for ch in preamble if _is_han(ch)) > 40:
        sections.append(Section("", "", preamble))
    chapter_title = ""
    for h, nxt in zip(headings, headings[1:] + [None]):
        body = text[h.end : nxt.start if nxt else len(text)].strip()
        if "." not in h.number:
            chapter_title = h.title
        if _PLACEHOLDER.search(h.title):
            continue
        if sum(1 for ch in body if _is_han(ch)) >= 10:
            sections.append(Section(h.label or h.number, h.title, body))
    return drop_repeats(sections)


def _shingles(text: str, n: int = 4) -> set[str]:
    return {text[i : i + n] for i in range(0, max(len(text) - n + 1, 1), 2)}


def drop_repeats(sections: list[Section], threshold: float = 0.8, window: int = 40) -> list[Section]:
    """Drop a section whose body repeats an earlier one (exactly, contained, or nearly).

    Near-duplicates are looked for among earlier sections with the same title and the last
    ``window`` kept ones, so a very long document stays linear in time.
    """
    kept: list[Section] = []
    seen_hashes: set[str] = set()
    by_title: dict[str, list[tuple[str, set[str]]]] = {}
    recent: list[tuple[str, set[str]]] = []
    for s in sections:
        flat = re.sub(r"\s+", "", s.text)
        key = hashlib.sha1(flat.encode()).hexdigest()
        if key in seen_hashes:
            continue
        sh = _shingles(flat)
        candidates = by_title.get(s.title, []) + recent
        if any(flat in other for other, _ in candidates):
            continue
        if len(flat) > 80 and any(len(sh & o) / max(len(sh | o), 1) >= threshold for _, o in candidates):
            continue
        seen_hashes.add(key)
        by_title.setdefault(s.title, []).append((flat, sh))
        recent = (recent + [(flat, sh)])[-window:]
        kept.append(s)
    return kept


def split_long(text: str, target: int = 360, limit: int = 520) -> Iterator[str]:
    """Cut a section body into pieces of about ``target`` characters at sentence ends or
    ``(n)`` paragraph markers; a single over-long sentence is cut hard at ``limit``."""
    if len(text) <= limit:
        yield text
        return
    buf = ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s):
        while len(sentence) > limit:
            if buf:
                yield buf
                buf = ""
            yield sentence[:limit]
            sentence = sentence[limit:]
        if buf and len(buf) + len(sentence) > target:
            yield buf
            buf = ""
        buf += sentence
    if buf.strip():
        yield buf


def markdown_sections(text: str) -> list[Section]:
    """Sections of a Markdown document: every ``#`` heading starts one."""
    sections: list[Section] = []
    current = Section("", "")
    lines: list[str] = []
    heading = re.compile(r"^(#{1,6})\s+(.*)$")
    number = re.compile(r"^(第[0-9一二三四五六七八九十]+章|[一二三四五六七八九十]{1,3}、|\d+(?:\.\d+)*\.?|\(\d+\))\s*(.*)$")
    for line in text.split("\n"):
        m = heading.match(line)
        if not m:
            lines.append(line)
            continue
        current.text = "\n".join(lines).strip()
        if current.text:
            sections.append(current)
        lines = []
        head = m.group(2).strip()
        n = number.match(head)
        if n and n.group(2):
            current = Section(n.group(1).rstrip("、.").strip(), n.group(2).strip())
        else:
            current = Section("", head)
    current.text = "\n".join(lines).strip()
    if current.text:
        sections.append(current)
    return sections
