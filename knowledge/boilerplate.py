"""Remove document-site boilerplate from scraped playbooks (works on normalised text).

Scraped documents wrap the real text in page headers (``方案_第1页``), read-more and
download banners, a copyright notice, a ``温馨提示`` block, a comment box and a list of
unrelated "latest documents". Titles carry template suffixes (参考模板, 模板范文).
"""

from __future__ import annotations

import re

_LINE_PATTERNS = [
    re.compile(r"^.{1,80}_第\d+页$"),  # page headers
    re.compile(r"^已阅读\d+页.*未读"),  # read-more banner
    re.compile(r"^(下载本文档|文档简介|评论|提交评论|\d+/\d+|最新文档|温馨提示)$"),
    re.compile(r"^版权说明[:：]"),
    re.compile(r"^(继续免费阅读|点击下载|免费下载|加入VIP|立即下载).*$"),
]
# A block that starts with one of these lines runs until the next blank-separated prose.
_BLOCK_STARTS = ("温馨提示", "最新文档", "相关文档", "相关资源", "猜你喜欢", "评论")
_LIST_ITEM = re.compile(r"^\s*(?:[•·\-*]|\d+\.)\s*")

TEMPLATE_SUFFIX = re.compile(r"(参考模板|模板范文|范文参考|范文模板|参考范文|模板|范文)(?=[一1第]|$)")


def is_boilerplate_line(line: str) -> bool:
    stripped = line.strip()
    return any(p.search(stripped) for p in _LINE_PATTERNS)


def strip_boilerplate(text: str) -> str:
    """Drop boilerplate lines and blocks; keep the document's own lines in order."""
    out: list[str] = []
    in_block = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped in _BLOCK_STARTS:
            in_block = True
            continue
        if in_block:
            # Boilerplate blocks are short list items; a long prose line ends the block.
            if not stripped or _LIST_ITEM.match(stripped) or len(stripped) < 60:
                continue
            in_block = False
        if is_boilerplate_line(stripped):
            continue
        out.append(line)
    return "\n".join(out)


def strip_template_suffix(title: str) -> str:
    """``店铺年度运营方案参考模板`` → ``店铺年度运营方案``."""
    return TEMPLATE_SUFFIX.sub("", title).strip()


def page_header_title(text: str) -> str | None:
    """The title a page header names (``店铺年度运营方案_第1页`` → ``店铺年度运营方案``)."""
    m = re.search(r"^(.{1,80})_第1页$", text, flags=re.M)
    return m.group(1).strip() if m else None
