"""Text normalisation shared by documents and queries.

Each step is a small function with its own table of test cases (tests/test_normalize.py).
The order matters: pinyin annotations and garbled spans are found in the raw text,
before full-width punctuation is folded to ASCII (a real full-width ``？`` must not be
taken for the ASCII ``?`` a lost byte leaves behind).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

GARBLED = "□"

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# A parenthesised run of lowercase pinyin syllables with at least one tone mark:
# `系統(tǒng)`, `運(yùn)營(yíng)`. Real parentheses such as (LTV), (iResearch), (1) or (净推荐值)
# carry no tone marks and are left alone.
# A lost byte may also eat the opening parenthesis: `我?guī)` is `我(guī)` damaged.
_PINYIN = re.compile(rf"[(?](?=[a-zü{_TONED}\s]*[{_TONED}])[a-zü{_TONED}]+(?:\s[a-zü{_TONED}]+)*\)")

# Characters that never occur in these playbooks except as debris of a lost byte:
# private-use code points, Cyrillic, Greek, Bopomofo, enclosed numerals and ideographs.
_DEBRIS = "\ue000-\uf8ff\u0370-\u03ff\u0400-\u04ff\u3100-\u312f\u2460-\u24ff\u3200-\u32ff\ufffd"
_GARBLED_RUN = re.compile(rf"\?*[{_DEBRIS}]+[\?{_DEBRIS}]*[A-Za-z]?")
# Characters rarer than this (summed word frequency in jieba's dictionary) next to a
# `?` are taken for bytes of a misdecoded run: real playbook prose rarely uses them.
_RARE_BELOW = 1500
_RARE_WINDOW = 12


def strip_pinyin(text: str) -> str:
    """Remove inline pinyin annotations: ``系統(tǒng)`` → ``系統``."""
    return _PINYIN.sub("", text)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC ``t2s``)."""
    return _t2s().convert(text) if text else text


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space


def to_halfwidth(text: str) -> str:
    """Full-width ASCII forms → half-width: ``ＧＭＶ１２３，`` → ``GMV123,``.

    Chinese punctuation with no ASCII twin (。、“” 《》) is kept.
    """
    return text.translate(_FULLWIDTH)


@lru_cache(maxsize=1)
def _char_frequency() -> dict[str, int]:
    import os

    import jieba

    freq: dict[str, int] = {}
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word, count, *_ = line.split()
            for ch in word:
                freq[ch] = freq.get(ch, 0) + int(count)
    return freq


def _is_rare(ch: str) -> bool:
    if not "\u4e00" <= ch <= "\u9fff":
        return False
    freq = _char_frequency()
    return freq.get(ch, 0) < _RARE_BELOW and freq.get(to_simplified(ch), 0) < _RARE_BELOW


def _garbled_end(text: str, start: int) -> int:
    """End of the misdecoded run that follows the ``?`` at ``start``, or ``start`` if none."""
    end, gap = start, 0
    for i in range(start + 1, min(len(text), start + 1 + _RARE_WINDOW)):
        ch = text[i]
        if _is_rare(ch) or ch == "?":
            end, gap = i, 0
        elif "\u4e00" <= ch <= "\u9fff" and gap < 2 and end > start:
            gap += 1
        elif end == start and i - start <= 2 and "\u4e00" <= ch <= "\u9fff":
            continue
        else:
            break
    return end


def mark_garbled(text: str) -> str:
    """Replace the debris a lost byte leaves with one ``□`` instead of indexing mojibake.

    ``全球?qū)沙掷m`` keeps ``全球`` and marks the rest of the misdecoded run; odd code points
    (private use, Cyrillic, Bopomofo) are marked wherever they are; a ``?`` that only stands
    for a lost line break (``1.1行业背景?电商行业``) becomes a space.
    """
    text = _GARBLED_RUN.sub(GARBLED, text)
    if "?" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        j = text.find("?", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        end = _garbled_end(text, j)
        if end > j:
            out.append(GARBLED)
            i = end + 1
        else:
            nxt = text[j + 1 : j + 2]
            out.append(" " if nxt and not nxt.isspace() and nxt not in "?)" else "?")
            i = j + 1
    return "".join(out)


_SPACES = re.compile(r"[ \t\u00a0]+")


def squeeze_spaces(text: str) -> str:
    return _SPACES.sub(" ", text)


def normalize(text: str) -> str:
    """The full pipeline for documents and queries alike."""
    text = unicodedata.normalize("NFC", text)
    text = strip_pinyin(text)
    text = mark_garbled(text)
    text = to_halfwidth(text)
    text = to_simplified(text)
    return squeeze_spaces(text)


def is_chinese(text: str) -> bool:
    """True when CJK characters make up a real part of the text (for weighting retrieval lists)."""
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in text if ch.isalpha())
    return han > 0 and han >= 0.3 * max(letters, 1)
