"""The compiled rule base: one Aho-Corasick automaton for every term, the regex patterns, and the
filters (product-category scope, safe phrases, allowed contexts, text-level exemptions, claim
words required near a hit).

Built once per process (``compiled_rules``); ``CompiledRules.match`` returns non-overlapping
hits on the normalised text, longest first, so “全网最低价” is one false-price finding rather
than an absolute-term finding for “最低” inside it. Terms and contexts are folded like the text;
regular expressions are written for the folded text already (simplified, half-width, lower case).
"""

from __future__ import annotations

import re
import re._constants as sre_c
import re._parser as sre_parse
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

from knowledge.compliance_rules import ComplianceRule, RuleSet, load_rules
from tools.compliance_normalize import fold

# How far around a hit an allowed pattern is looked for; allowed contexts use their own length.
_WINDOW = 40
# Allowed contexts and safe phrases longer than this are not supported (the loader enforces it).
_LONGEST = 64
_NO_END = 1 << 62
# A required claim word must be within this many characters and in the same clause.
_NEARBY = 10
_CLAUSE_END = re.compile(r"[,。!?;:\n]")


@dataclass(frozen=True)
class Hit:
    """A rule that matched the normalised text at [start, end)."""

    start: int
    end: int
    rule: ComplianceRule
    by_pattern: bool


@dataclass(frozen=True)
class _Filters:
    contexts: tuple[str, ...]
    allowed: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    nearby: tuple[re.Pattern[str], ...]
    only_if: tuple[re.Pattern[str], ...]


class CompiledRules:
    """A rule set ready to run: build once, call ``match`` for each text."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[int]] = {}
        for index, rule in enumerate(rules.rules):
            for term in rule.terms:
                key = fold(term)
                if key and index not in entries.setdefault(key, []):
                    entries[key].append(index)
        for key, indexes in entries.items():
            self._automaton.add_word(key, (len(key), tuple(indexes)))
        self._has_terms = len(self._automaton) > 0
        if self._has_terms:
            self._automaton.make_automaton()
        self._patterns: list[tuple[int, re.Pattern[str]]] = [
            (index, re.compile(p)) for index, rule in enumerate(rules.rules) for p in rule.patterns
        ]
        self._gate, self._ungated = _pattern_gate(self._patterns)
        self._widths = [_max_width(pattern) for _, pattern in self._patterns]
        self._filters = [
            _Filters(
                contexts=tuple(sorted({fold(c) for c in rule.allowed_contexts if c}, key=len)),
                allowed=tuple(re.compile(p) for p in rule.allowed_patterns),
                unless=tuple(re.compile(p) for p in rule.unless_text),
                nearby=tuple(re.compile(p) for p in rule.requires_nearby),
                only_if=tuple(re.compile(p) for p in rule.only_if_text),
            )
            for rule in rules.rules
        ]
        self._index = {rule.id: i for i, rule in enumerate(rules.rules)}
        self.replacements = {rule.id: rule.replacement for rule in rules.rules}
        # Every rule's allowed contexts in one automaton: one pass over the text finds them all.
        self._contexts = ahocorasick.Automaton()
        owners: dict[str, list[int]] = {}
        for index, flt in enumerate(self._filters):
            for context in flt.contexts:
                owners.setdefault(context, []).append(index)
        for context, indexes in owners.items():
            self._contexts.add_word(context, (len(context), tuple(indexes)))
        self._has_contexts = len(self._contexts) > 0
        if self._has_contexts:
            self._contexts.make_automaton()
        self._safe = ahocorasick.Automaton()
        for phrase in {fold(p) for p in rules.safe_phrases if p}:
            self._safe.add_word(phrase, len(phrase))
        self._has_safe = len(self._safe) > 0
        if self._has_safe:
            self._safe.make_automaton()

    def candidates(self, text: str, breaks: tuple[int, ...] = ()) -> list[Hit]:
        """Every raw hit, before scope and context filters (for tests and diagnostics).

        ``breaks`` are offsets where separators were removed during normalisation (sorted). A
        pattern match running over one is cut back to the phrase before it when the pattern
        matches there on its own: in “穿十年不坏 全网销量第一” the space ends the first claim.
        Terms are never cut, so spaced-out evasions (最 好) are still found.
        """
        hits: list[Hit] = []
        rules = self.rules.rules
        for end, (length, indexes) in self._automaton.iter(text) if self._has_terms else ():
            for index in indexes:
                hits.append(Hit(end + 1 - length, end + 1, rules[index], False))
        for slot, spans in self._pattern_spans(text):
            index, pattern = self._patterns[slot]
            for m in _find_in(pattern, text, spans):
                if m.end() > m.start():
                    start, end = m.start(), _phrase_end(pattern, text, m.start(), m.end(), breaks)
                    hits.append(Hit(start, end, rules[index], True))
        return hits

    def _pattern_spans(self, text: str) -> list[tuple[int, list[tuple[int, int]] | None]]:
        """The patterns that can match and where: (slot, windows of the text, or None for all of it).

        A pattern whose required words are all absent cannot match. A pattern no longer than
        ``width`` characters can only match within ``width`` of one of its required words, so it
        is searched in those windows only (merged where they overlap, so no match is cut).
        """
        spans: dict[int, list[tuple[int, int]] | None] = {slot: None for slot in self._ungated}
        if self._gate is not None and len(text) > _WINDOWED_UP_TO:
            for _, (_, slots) in self._gate.iter(text):
                spans.update((slot, None) for slot in slots)
        elif self._gate is not None:
            for end, (length, slots) in self._gate.iter(text):
                for slot in slots:
                    width = self._widths[slot]
                    if width is None:
                        spans[slot] = None
                    elif spans.setdefault(slot, []) is not None:
                        spans[slot].append((end + 1 - length - width, end + 1 + width))  # type: ignore[union-attr]
        return sorted(spans.items())

    def match(self, text: str, product_category: str, breaks: tuple[int, ...] = ()) -> list[Hit]:
        """Hits that survive every filter, without overlaps, in text order."""
        raw = [h for h in self.candidates(text, breaks) if h.rule.applies_to(product_category)]
        if not raw:
            return []
        safe = self._safe_spans(text)
        contexts = self._context_spans(text)
        unless_cache: dict[int, bool] = {}
        kept = []
        for hit in raw:
            index = self._index[hit.rule.id]
            if safe and _covered(safe, hit.start, hit.end):
                continue
            if index in contexts and _covered(contexts[index], hit.start, hit.end):
                continue
            if self._exempt_by_pattern(text, hit, self._filters[index]):
                continue
            if self._filters[index].nearby and not _claim_nearby(text, hit, self._filters[index].nearby):
                continue
            if index not in unless_cache:
                flt = self._filters[index]
                unless_cache[index] = any(p.search(text) for p in flt.unless) or (
                    bool(flt.only_if) and not any(p.search(text) for p in flt.only_if))
            if unless_cache[index]:
                continue
            kept.append(hit)
        chosen = _without_overlaps([h for h in kept if not h.rule.fallback])
        starts = [h.start for h in chosen]
        spare = [h for h in kept if h.rule.fallback and not _overlaps_any(chosen, starts, h)]
        if not spare:
            return chosen
        return sorted([*chosen, *_without_overlaps(spare)], key=lambda h: h.start)

    def _safe_spans(self, text: str) -> list[tuple[int, int]]:
        if not self._has_safe:
            return []
        return sorted((end + 1 - length, end + 1) for end, length in self._safe.iter(text))

    def _context_spans(self, text: str) -> dict[int, list[tuple[int, int]]]:
        spans: dict[int, list[tuple[int, int]]] = {}
        if self._has_contexts:
            for end, (length, indexes) in self._contexts.iter(text):
                for index in indexes:
                    spans.setdefault(index, []).append((end + 1 - length, end + 1))
        for found in spans.values():
            found.sort()
        return spans

    @staticmethod
    def _exempt_by_pattern(text: str, hit: Hit, filters: _Filters) -> bool:
        if not filters.allowed:
            return False
        lo = max(0, hit.start - _WINDOW)
        window = text[lo : hit.end + _WINDOW]
        for pattern in filters.allowed:
            for m in pattern.finditer(window):
                if lo + m.start() <= hit.start and lo + m.end() >= hit.end:
                    return True
        return False


# A pattern is gated by words one of which every match must contain; small character classes count
# as alternatives of one character, larger ones (and anything optional) give no requirement.
_MAX_CLASS = 24


def _pattern_gate(patterns: list[tuple[int, re.Pattern[str]]]) -> tuple[ahocorasick.Automaton | None, list[int]]:
    """An automaton of every pattern's required words (value: the pattern slots) and the ungated slots.

    Running ~500 regular expressions over every text is most of the checker's time; most of them
    cannot match a given text because a word they need is not in it. One automaton pass tells which.
    """
    owners: dict[str, list[int]] = {}
    ungated: list[int] = []
    for slot, (_, pattern) in enumerate(patterns):
        words = required_words(pattern)
        if words is None:
            ungated.append(slot)
            continue
        for word in words:
            owners.setdefault(word, []).append(slot)
    if not owners:
        return None, ungated
    gate = ahocorasick.Automaton()
    for word, slots in owners.items():
        gate.add_word(word, (len(word), tuple(slots)))
    gate.make_automaton()
    return gate, ungated


# Texts up to this long are searched in windows around the required words; in a longer text
# the windows would be many and small, and one pass over it is faster.
_WINDOWED_UP_TO = 2000
# Room left around a window for lookarounds, which the width of a match does not count.
_LOOKAROUND = 16
_UNBOUNDED = 200


def _max_width(pattern: re.Pattern[str]) -> int | None:
    """The longest a match can be plus room for lookarounds, or None when it is unbounded."""
    width = sre_parse.parse(pattern.pattern, pattern.flags).getwidth()[1]
    return width + _LOOKAROUND if width <= _UNBOUNDED else None


def _find_in(pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]] | None) -> list[re.Match[str]]:
    """Matches of ``pattern`` in ``text``, searching only the given windows (None: the whole text)."""
    if spans is None:
        return list(pattern.finditer(text))
    found: list[re.Match[str]] = []
    ordered = sorted(spans)
    start, end = ordered[0]
    for lo, hi in ordered[1:]:
        if lo > end:
            found.extend(pattern.finditer(text, max(0, start), min(len(text), end)))
            start, end = lo, hi
        else:
            end = max(end, hi)
    found.extend(pattern.finditer(text, max(0, start), min(len(text), end)))
    return found


def required_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Words one of which every match of ``pattern`` contains, or None when no such set is known.

    >>> sorted(required_words(re.compile("(可以)?(替代|代替)[^,]{0,3}药")))
    ['代替', '替代']
    """
    if pattern.flags & re.IGNORECASE:
        return None
    return _sequence_words(list(sre_parse.parse(pattern.pattern, pattern.flags)))


def _sequence_words(items: list) -> frozenset[str] | None:  # type: ignore[type-arg]
    best: frozenset[str] | None = None
    run = ""
    options: list[frozenset[str] | None] = []
    for op, arg in items:
        if op is sre_c.LITERAL:
            run += chr(arg)
            continue
        if run:
            options.append(frozenset({run}))
            run = ""
        options.append(_node_words(op, arg))
    if run:
        options.append(frozenset({run}))
    for words in options:
        if words and (best is None or _selectivity(words) > _selectivity(best)):
            best = words
    return best


def _selectivity(words: frozenset[str]) -> tuple[int, int]:
    return min(len(w) for w in words), -len(words)


def _node_words(op, arg) -> frozenset[str] | None:  # type: ignore[no-untyped-def]
    if op is sre_c.SUBPATTERN:
        _, add_flags, _, body = arg
        return None if add_flags & sre_c.SRE_FLAG_IGNORECASE else _sequence_words(list(body))
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
        low, _, body = arg
        return _sequence_words(list(body)) if low >= 1 else None
    if op is sre_c.ATOMIC_GROUP:
        return _sequence_words(list(arg))
    if op is sre_c.BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            words = _sequence_words(list(branch))
            if not words:
                return None
            union |= words
        return frozenset(union)
    if op is sre_c.IN and len(arg) <= _MAX_CLASS and all(o is sre_c.LITERAL for o, _ in arg):
        return frozenset(chr(c) for _, c in arg)
    return None


def _phrase_end(pattern: re.Pattern[str], text: str, start: int, end: int, breaks: tuple[int, ...]) -> int:
    """Where a pattern match should end: at the first separator inside it after which it still matches."""
    i = bisect_right(breaks, start)
    while i < len(breaks) and breaks[i] < end:
        m = pattern.match(text, start, breaks[i])
        if m is not None and m.end() > start:
            return m.end()
        i += 1
    return end


def _claim_nearby(text: str, hit: Hit, patterns: tuple[re.Pattern[str], ...]) -> bool:
    """Whether a claim word sits in the same clause as the hit (a disease named in passing is no claim)."""
    lo = max(0, hit.start - _NEARBY)
    hi = min(len(text), hit.end + _NEARBY)
    before = _CLAUSE_END.split(text[lo : hit.start])[-1]
    after = _CLAUSE_END.split(text[hit.end : hi])[0]
    # The hit is wrapped in ⟦ ⟧ so a pattern can ask for a word right before or after it (不⟦).
    window = f"{before}⟦{text[hit.start : hit.end]}⟧{after}"
    return any(p.search(window) for p in patterns)


def _overlaps_any(hits: list[Hit], starts: list[int], hit: Hit) -> bool:
    """Whether ``hit`` overlaps one of ``hits`` (sorted by start, ``starts`` theirs, no overlaps among them)."""
    i = bisect_left(starts, hit.end)
    return i > 0 and hits[i - 1].end > hit.start


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether one of ``spans`` (sorted by start, as the automaton reports them) contains [start, end).

    Only spans starting at most _LONGEST characters before ``start`` can contain it, so a long
    text with many allowed phrases stays linear.
    """
    i = bisect_right(spans, (start, _NO_END))
    for s, e in reversed(spans[max(0, i - _LONGEST) : i]):
        if start - s > _LONGEST:
            break
        if e >= end:
            return True
    return False


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    """Keep the longest hit where hits overlap; on a tie the higher priority, then a listed term."""
    ordered = sorted(hits, key=lambda h: (-(h.end - h.start), -h.rule.priority, h.by_pattern, h.start))
    starts: list[int] = []
    ends: dict[int, int] = {}
    chosen: dict[int, Hit] = {}
    for hit in ordered:
        placed = _place(hit, starts, ends)
        if placed is None and hit.by_pattern:
            placed = _place(_trimmed(hit, starts, ends), starts, ends)
        if placed is None:
            continue
        insort(starts, placed.start)
        ends[placed.start] = placed.end
        chosen[placed.start] = placed
    return [chosen[s] for s in starts]


def _place(hit: Hit | None, starts: list[int], ends: dict[int, int]) -> Hit | None:
    """The hit itself when it overlaps nothing chosen so far, else None."""
    if hit is None:
        return None
    i = bisect_left(starts, hit.start)
    if i > 0 and ends[starts[i - 1]] > hit.start:
        return None
    if i < len(starts) and starts[i] < hit.end:
        return None
    return hit


def _trimmed(hit: Hit, starts: list[int], ends: dict[int, int]) -> Hit | None:
    """A pattern hit cut back to the part a longer neighbour does not cover.

    Spaces between Chinese words are dropped before matching (they are a common evasion), so in a
    title such as “穿十年不坏 全网销量第一” a pattern's optional tail can run into the next phrase;
    the claim itself is still there and should be reported. Kept when at least two characters and
    half of the hit remain.
    """
    i = bisect_left(starts, hit.start)
    left = starts[i - 1] if i > 0 and ends[starts[i - 1]] > hit.start else None
    right = starts[i] if i < len(starts) and starts[i] < hit.end else None
    if left is not None and right is not None:
        return None
    start, end = (ends[left], hit.end) if left is not None else (hit.start, right if right is not None else hit.end)
    if end - start < 2 or 2 * (end - start) < hit.end - hit.start:
        return None
    return Hit(start, end, hit.rule, hit.by_pattern)


@lru_cache(maxsize=8)
def compiled_rules(directory: Path | None = None) -> CompiledRules:
    """The compiled rule base for a rule folder, built once per process."""
    return CompiledRules(load_rules(directory))
