"""Text normalisation for the compliance checker, with a map back to the original offsets.

Sellers write the same claim many ways: traditional characters (最佳產品), full-width letters
(ＮＯ．１), or symbols slipped between characters to dodge word filters (最 好, 第-一, 最🔥佳).
Matching runs on one normalised form; every match is mapped back to the original text so a
reviewer sees the exact characters that were written.

>>> n = normalize("全網 最-低價")
>>> n.text
'全网最低价'
>>> n.original_span(2, 5)
(3, 7)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

# Full-width ASCII (U+FF01..U+FF5E) becomes ASCII, the ideographic space a space, and upper-case
# ASCII lower-case; every mapping is one character to one character so offsets stay aligned.
_TABLE: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_TABLE.update({0x3000: " ", ord("壹"): "一", ord("貳"): "二", ord("贰"): "二"})
_TABLE.update({cp: chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)})
for _cp in range(ord("Ａ"), ord("Ｚ") + 1):
    _TABLE[_cp] = chr(_cp - 0xFEE0 + 32)
_TABLE.update({ord(c): "-" for c in "‐‑‒–—―﹣－"})

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Characters that carry no meaning when they sit between two Chinese characters: spaces,
# zero-width marks, filler punctuation and emoji. Newlines are kept: lines are separate claims.
_SEPARATORS = (
    " \t\u00a0\u200b\u200c\u200d\u2060\ufeff\ufe0f"
    r"\-_*·•.~|/\\+=^#@&'\"`"
    "・‧∙●○◆◇★☆♥♡❤✨✔✅❌⭐"
    "\u2600-\u27bf\U0001f000-\U0001faff"
)
_EVASION = re.compile(f"(?<=[{_CJK}])[{_SEPARATORS}]+(?=[{_CJK}])")
# Where a phrase-level conversion would change the length, convert clause by clause.
_CLAUSE = re.compile(r"[^\n。！？!?；;，,]+|[\n。！？!?；;，,]+")


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified, keeping the length (clauses whose length would change stay as written)."""
    if text.isascii():
        return text
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    parts = []
    for match in _CLAUSE.finditer(text):
        piece = match.group(0)
        out = _converter().convert(piece)
        parts.append(out if len(out) == len(piece) else piece)
    return "".join(parts)


def fold(text: str) -> str:
    """Simplified characters, half-width ASCII, lower case; same length as the input."""
    return to_simplified(text).translate(_TABLE)


@dataclass(frozen=True)
class NormalizedText:
    """The normalised text and the offsets needed to map a span back to the original."""

    text: str
    original: str
    # Kept runs: run k starts at norm_starts[k] in `text` and at orig_starts[k] in `original`.
    norm_starts: tuple[int, ...]
    orig_starts: tuple[int, ...]

    def original_index(self, i: int) -> int:
        k = bisect_right(self.norm_starts, i) - 1
        return self.orig_starts[k] + (i - self.norm_starts[k])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the normalised text to the original text."""
        if end <= start:
            pos = self.original_index(start) if start < len(self.text) else len(self.original)
            return pos, pos
        return self.original_index(start), self.original_index(end - 1) + 1


# Pinyin written in place of a flagged character (全网zui低价, 第yi, jue对): the pinyin becomes the
# character and the rest of the spelling a zero-width filler that the separator pass removes, so
# offsets stay aligned. Only next to a Chinese character, so English words are left alone.
_PINYIN = {"zui": "最", "diyi": "第一", "weiyi": "唯一", "juedui": "绝对", "shouxuan": "首选", "yi": "一", "jue": "绝"}
_PINYIN_RE = re.compile(
    f"(?<![a-z])(?:(?<=[{_CJK}])(zui|diyi|weiyi|juedui|shouxuan)(?![a-z])"
    f"|(zui|diyi|weiyi|juedui|shouxuan)(?=[{_CJK}])|(?<=第)(yi)(?![a-z])|(jue)(?=对))"
)


def _spell_out_pinyin(folded: str) -> str:
    if not folded.isascii() and _PINYIN_RE.search(folded):
        def repl(m: re.Match[str]) -> str:
            word = m.group(m.lastindex or 0)
            chars = _PINYIN[word]
            return chars + "\u200b" * (len(word) - len(chars))

        return _PINYIN_RE.sub(repl, folded)
    return folded


def normalize(text: str) -> NormalizedText:
    """Fold the text, spell out pinyin evasions and remove evasion separators between Chinese characters."""
    folded = _spell_out_pinyin(fold(text))
    pieces: list[str] = []
    norm_starts = [0]
    orig_starts = [0]
    kept_from = 0
    norm_len = 0
    for m in _EVASION.finditer(folded):
        pieces.append(folded[kept_from : m.start()])
        norm_len += m.start() - kept_from
        kept_from = m.end()
        norm_starts.append(norm_len)
        orig_starts.append(kept_from)
    pieces.append(folded[kept_from:])
    return NormalizedText("".join(pieces), text, tuple(norm_starts), tuple(orig_starts))
