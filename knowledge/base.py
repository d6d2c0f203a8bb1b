"""The knowledge base: incremental ingest into the chunk store and Chroma, hybrid search."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.errors import BackendError, ConfigError, InputError, ZhangguiError
from agent.settings import Settings
from knowledge.chunk import Chunk
from knowledge.embedders import ChromaEmbeddingFunction, Embedder, make_embedder
from knowledge.normalize import is_chinese, normalize
from knowledge.retrieval import (
    CHINESE,
    DEFAULT_THRESHOLDS,
    ENGLISH,
    LEXICAL_ONLY_THRESHOLDS,
    RERANK_DEPTH,
    LexicalIndex,
    bigram_tokens,
    entity_terms,
    fuse,
    index_text,
    key_entities,
    rerank,
    split_sentences,
    word_tokens,
)
from knowledge.store import ChunkStore

MAX_QUERY_CHARS = 2000
_EMBED_BATCH = 32


class _Silent:
    def start(self, label: str, total: int | None = None) -> None: ...

    def advance(self, label: str, n: int = 1) -> None: ...


@dataclass
class SearchHit:
    chunk: Chunk
    score: float
    chunk_id: str

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.chunk.text,
            "source": self.chunk.source,
            "title": self.chunk.title,
            "section": self.chunk.section,
            "section_title": self.chunk.section_title,
            "score": round(self.score, 6),
            "chunk_id": self.chunk_id,
        }


@dataclass
class SearchResult:
    hits: list[SearchHit]
    found: bool
    evidence: float  # the best passages' share of the question's IDF-weighted words
    language: str
    bigram_cover: float = 0.0  # the same for character bigrams (Chinese questions)
    untranslated: float = 0.0  # share of an English question's content words the corpus lacks
    sentence: float | None = None  # best single sentence's similarity among the top three passages
    absent: list[str] = field(default_factory=list)  # named things of the question no top passage names


@dataclass
class IngestReport:
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    skipped: list[tuple[str, str]]
    chunks: int
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "removed": self.removed, "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "chunks": self.chunks, "seconds": round(self.seconds, 2),
        }


def _text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def structured_chunks(path: Path) -> list[Chunk] | None:
    """Chunks for the project's own structured data (KPI catalogue, compliance rules), or
    None when ``path`` is not one of them."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        return None
    if path.name == "kpis.yaml":
        from knowledge.kpis import kpi_chunks, load_kpis

        return kpi_chunks(load_kpis(path))
    if path.parent.name == "compliance":
        from knowledge.compliance_rules import load_rules, rule_chunks

        if path.name.startswith("_"):  # shared definitions, no rules of their own
            return []
        return [c for c in rule_chunks(load_rules(path.parent)) if c.source == path.name]
    return None


class KnowledgeBase:
    def __init__(self, home: Path, embedder: Embedder | None, chroma_url: str | None = None) -> None:
        self.home = home
        self.index_dir = home / "index"
        self.store = ChunkStore(self.index_dir / "kb.sqlite")
        self.embedder = embedder
        self._chroma_url = chroma_url
        self._collection = None
        self._loaded_version: str | None = None
        self._ids: list[str] = []
        self._chunks: list[Chunk] = []
        self._words: LexicalIndex | None = None
        self._bigrams: LexicalIndex | None = None
        self._position: dict[str, int] = {}
        self._sentence_vectors: np.ndarray | None = None  # every passage's sentences, embedded at ingest
        self._sentence_spans: np.ndarray | None = None  # each passage's [start, end) sentence rows

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeBase:
        return cls(settings.home, make_embedder(settings.embedder), settings.chroma_url)

    # vectors ---------------------------------------------------------------------
    def _chroma(self):  # type: ignore[no-untyped-def]
        if self.embedder is None:
            return None
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            try:
                if self._chroma_url:
                    from urllib.parse import urlparse

                    url = urlparse(self._chroma_url)
                    client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                                 ssl=url.scheme == "https", settings=chroma_settings)
                else:
                    client = chromadb.PersistentClient(path=str(self.index_dir / "chroma"), settings=chroma_settings)
                name = "zg-" + "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in self.embedder.name)
                self._collection = client.get_or_create_collection(
                    name, embedding_function=ChromaEmbeddingFunction(self.embedder),
                    metadata={"hnsw:space": "cosine"},
                )
            except ZhangguiError:
                raise
            except Exception as exc:
                where = self._chroma_url or str(self.index_dir / "chroma")
                raise BackendError(f"vector store at {where} is not usable: {exc}") from None
        return self._collection

    def _embed(self, chunks: list[Chunk], progress) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
        return self.embed_passages([index_text(c) for c in chunks], progress, label="embedding chunks")

    def embed_passages(self, texts: list[str], progress=None, label: str = "embedding") -> list[np.ndarray]:  # type: ignore[no-untyped-def]
        """Passage vectors for ``texts``, from the content-hash cache where possible."""
        assert self.embedder is not None
        progress = progress or _Silent()
        hashes = [_text_hash(t) for t in texts]
        cached = self.store.cached_vectors(self.embedder.name, hashes)
        todo = [(h, t) for h, t in zip(hashes, texts) if h not in cached]
        seen: set[str] = set()
        todo = [(h, t) for h, t in todo if not (h in seen or seen.add(h))]
        if todo:
            progress.start(label, total=len(todo))
        for i in range(0, len(todo), _EMBED_BATCH):
            batch = todo[i : i + _EMBED_BATCH]
            vecs = self.embedder.embed_documents([t for _, t in batch])
            fresh = {h: v for (h, _), v in zip(batch, vecs)}
            self.store.cache_vectors(self.embedder.name, fresh)
            cached.update(fresh)
            progress.advance(label, len(batch))
        return [cached[h] for h in hashes]

    # ingest ----------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path], progress=None) -> IngestReport:  # type: ignore[no-untyped-def]
        """Index files and folders; unchanged files are skipped by content hash, files that
        disappeared from an ingested folder lose their chunks."""
        import time

        from knowledge.documents import chunk_document, kind_for
        from knowledge.loaders import load, supported_suffixes

        progress = progress or _Silent()
        started = time.perf_counter()
        report = IngestReport([], [], [], [], [], 0)
        files: list[Path] = []
        roots: list[Path] = []
        for p in paths:
            p = Path(p).expanduser().resolve()
            if p.is_dir():
                roots.append(p)
                files.extend(sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")))
            elif p.is_file():
                files.append(p)
            else:
                raise InputError(f"{p}: no such file or folder")
        progress.start("files", total=len(files))
        wanted = set(supported_suffixes()) | {".yaml", ".yml"}
        for f in files:
            progress.advance("files")
            if f.suffix.lower() not in wanted:
                report.skipped.append((f.name, f"unsupported file type '{f.suffix or 'none'}'"))
                continue
            data = f.read_bytes()
            digest = hashlib.sha1(data).hexdigest()
            key = str(f)
            previous = self.store.document_hash(key)
            if previous == digest:
                report.unchanged.append(f.name)
                continue
            try:
                chunks = structured_chunks(f)
                if chunks is None and f.suffix.lower() in (".yaml", ".yml"):
                    report.skipped.append((f.name, "not a knowledge file (only kpis.yaml and compliance rules)"))
                    continue
                if chunks is None:
                    if not data.strip():
                        report.skipped.append((f.name, "empty file"))
                        continue
                    title, chunks = chunk_document(load(f), kind_for(f))
                else:
                    title = chunks[0].title if chunks else f.stem
                if not chunks:
                    report.skipped.append((f.name, "no text found"))
                    continue
            except (InputError, ConfigError) as exc:
                report.skipped.append((f.name, exc.message))
                continue
            except ImportError as exc:
                report.skipped.append((f.name, f"no loader available ({exc.name})"))
                continue
            self._write(key, f.name, digest, title, chunks[0].kind, chunks, progress)
            (report.updated if previous else report.added).append(f.name)
            report.chunks += len(chunks)
        report.removed = self._prune(roots)
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, key: str, source: str, digest: str, title: str, kind: str,
               chunks: list[Chunk], progress) -> None:  # type: ignore[no-untyped-def]
        # dedupe identical passages within one file (ids are content-derived)
        unique: dict[str, Chunk] = {}
        for c in chunks:
            unique.setdefault(c.id, c)
        chunks = list(unique.values())
        old_ids = set(self.store.chunk_ids(key))
        collection = self._chroma()
        if collection is not None:
            vectors = self._embed(chunks, progress)
            # sentence vectors go to the content-hash cache now, so a search never waits for them
            self.embed_passages([s for c in chunks for s in split_sentences(c.text)], progress, label="embedding sentences")
            new = [(c, v) for c, v in zip(chunks, vectors) if c.id not in old_ids]
            for i in range(0, len(new), 500):
                batch = new[i : i + 500]
                collection.upsert(
                    ids=[c.id for c, _ in batch],
                    embeddings=[v for _, v in batch],
                    metadatas=[{"source": c.source, "section": c.section} for c, _ in batch],
                )
        with self.store.transaction() as db:
            self.store.replace_document(db, key, source, digest, title, kind, chunks)
        stale = old_ids - {c.id for c in chunks}
        if collection is not None and stale:
            collection.delete(ids=list(stale))

    def _prune(self, roots: list[Path]) -> list[str]:
        """Drop documents whose file is gone: those under an ingested folder, or any when
        only single files were given."""
        removed: list[str] = []
        for key in self.store.document_paths():
            path = Path(key)
            in_scope = not roots or any(path.is_relative_to(r) for r in roots)
            if in_scope and not path.exists():
                ids = self.store.chunk_ids(key)
                with self.store.transaction() as db:
                    self.store.remove_document(db, key)
                collection = self._chroma() if ids else None
                if collection is not None:
                    collection.delete(ids=ids)
                removed.append(path.name)
        return removed

    # search ----------------------------------------------------------------------
    def _load(self) -> None:
        version = self.store.version()
        if version == self._loaded_version:
            return
        rows = self.store.all_chunks()
        self._ids = [r[0] for r in rows]
        self._chunks = [r[1] for r in rows]
        self._position = {cid: i for i, cid in enumerate(self._ids)}
        texts = [index_text(c).lower() for c in self._chunks]
        self._words = LexicalIndex([word_tokens(t) for t in texts], texts)
        self._bigrams = LexicalIndex([bigram_tokens(t) for t in texts])
        self._sentence_vectors = self._sentence_spans = None
        self._loaded_version = version

    def _sentences(self) -> tuple[np.ndarray, np.ndarray]:
        """All passages' sentence vectors (from the cache filled at ingest), and for each passage
        position the [start, end) rows of its sentences."""
        if self._sentence_vectors is None:
            spans, texts = [], []
            for c in self._chunks:
                sentences = split_sentences(c.text)
                spans.append((len(texts), len(texts) + len(sentences)))
                texts.extend(sentences)
            vectors = self.embed_passages(texts) if texts else []
            self._sentence_vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
            self._sentence_spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        assert self._sentence_spans is not None
        return self._sentence_vectors, self._sentence_spans

    def sentence_similarity(self, query_vector: np.ndarray, positions: list[int]) -> np.ndarray:
        """For each passage position, its best sentence's cosine with the query (0 when it has none).
        Only the candidates' rows are multiplied: a product over every sentence would wake the BLAS
        thread pool, whose spinning threads then slow the next query embedding several times over."""
        vectors, spans = self._sentences()
        q = np.asarray(query_vector, dtype=np.float32)
        out = np.zeros(len(positions), dtype=np.float32)
        for j, pos in enumerate(positions):
            start, end = spans[pos]
            if end > start:
                out[j] = float(np.max(vectors[start:end] @ q))
        return out

    def sentence_support(self, query: str, hits: list[SearchHit], language: str) -> float | None:
        """The best single sentence of the top three hits against the question (None without a dense
        model). English questions are compared through their dictionary translation: the small model's
        cross-lingual similarities do not separate answerable from unanswerable questions at all."""
        if self.embedder is None:
            return None
        self._load()
        positions = [self._position[h.chunk_id] for h in hits[:3] if h.chunk_id in self._position]
        if not positions:
            return 0.0
        return float(self.sentence_similarity(self.sentence_query(query, language), positions).max())

    def sentence_query(self, query: str, language: str) -> np.ndarray | None:
        """The query vector sentences are compared with: English questions through their dictionary
        translation (the small model's cross-lingual sentence similarities barely separate anything)."""
        if self.embedder is None:
            return None
        q = normalize(query)
        if language != "zh":
            from knowledge.crosslingual import expand

            q = " ".join(expand(q, self.known, per_phrase=1)) or q
        return np.asarray(self.embedder.embed_query(q), dtype=np.float32)

    def thresholds(self) -> dict[str, float]:
        """Decline thresholds: the calibrated ones for this index when present, else defaults
        (without a dense model, Chinese questions lean on word coverage instead)."""
        defaults = dict(DEFAULT_THRESHOLDS)
        if self.embedder is None:
            defaults.update(LEXICAL_ONLY_THRESHOLDS)
        path = self.index_dir / "calibration.json"
        if path.exists():
            try:
                return {**defaults, **json.loads(path.read_text())}
            except (OSError, ValueError):
                pass
        return defaults

    def search_detailed(self, query: str, k: int = 5, candidates: int = 50) -> SearchResult:
        if not query or not query.strip():
            raise InputError("the question is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise InputError(f"the question has {len(query)} characters; the limit is {MAX_QUERY_CHARS}",
                             hint="ask about one thing at a time, or paste the key sentence")
        if k < 1 or k > 100:
            raise InputError("k must be between 1 and 100")
        self._load()
        if not self._chunks:
            return SearchResult([], False, 0.0, "zh")
        q = normalize(query)
        chinese = is_chinese(q)
        weights = CHINESE if chinese else ENGLISH
        assert self._words is not None and self._bigrams is not None
        lexical, untranslated = q, 0.0
        if not chinese:
            from knowledge.crosslingual import content_words, expand

            missing: list[str] = []
            kept: list[str] = []
            translated = expand(q, self.known, missing=missing, kept=kept)
            # the English words themselves would match the KPI catalogue's English aliases
            lexical = " ".join(translated + kept)
            untranslated = sum(len(m.split()) for m in missing) / max(len(content_words(q)), 1)
        qw, qb = word_tokens(lexical), bigram_tokens(lexical)
        word_scores = self._words.scores(qw)
        bigram_scores = self._bigrams.scores(qb)
        dense = np.zeros(len(self._chunks), dtype=np.float32)
        collection = self._chroma()
        if collection is not None:
            qv = self.embedder.embed_query(q)  # type: ignore[union-attr]
            n = min(candidates, len(self._chunks))
            res = collection.query(query_embeddings=[qv], n_results=n, include=["distances"])
            pairs = [(self._position[cid], 1 - d) for cid, d in zip(res["ids"][0], res["distances"][0])
                     if cid in self._position]
            if pairs:
                # passages beyond the dense list's reach count as its weakest returned match
                dense[:] = min(score for _, score in pairs)
                for i, score in pairs:
                    dense[i] = score
        fused = fuse(weights, word_scores, bigram_scores, dense)
        order = list(np.argsort(-fused)[: max(k, RERANK_DEPTH)])
        sentence_best = None
        if collection is not None:
            # second stage: the candidates re-ranked by their best single sentence
            qs = qv if chinese else self.sentence_query(query, "en")
            best = self.sentence_similarity(qs, order)
            mixed = rerank(fused[order], best)
            ranked = np.argsort(-mixed, kind="stable")
            order = [order[j] for j in ranked]
            # the decline check reads the first stage's top three: the re-ranker picks passages for their
            # best sentence, so the best sentence of its own top three is biased upwards for every question
            sentence_best = float(best[:3].max())
            fused = fused.copy()
            fused[order] = mixed[ranked]  # the score shown is the one the passages are ordered by
        order = order[:k]
        hits = [SearchHit(self._chunks[i], float(fused[i]), self._ids[i]) for i in order
                if word_scores[i] > 0 or bigram_scores[i] > 0 or collection is not None]
        th = self.thresholds()
        top = [self._position[h.chunk_id] for h in hits[:3]]
        word_cover = max((self._words.coverage(qw, i) for i in top), default=0.0)
        absent = self._absent(key_entities(qw), top)
        if chinese:
            bigram_cover = max((self._bigrams.coverage(qb, i) for i in top), default=0.0)
            found = word_cover >= th["zh_word_coverage"] and bigram_cover >= th["zh_bigram_coverage"]
            return SearchResult(hits, bool(hits) and found and not absent, word_cover, "zh",
                                bigram_cover=bigram_cover, absent=absent, sentence=sentence_best)
        # an English question whose content words the corpus has no translation for
        # (a company, a tax, a currency it never mentions) has no answer here
        found = word_cover >= th["en_word_coverage"] and untranslated < th["en_untranslated"]
        return SearchResult(hits, bool(hits) and found and not absent, word_cover, "en",
                            untranslated=untranslated, absent=absent, sentence=sentence_best)

    def _absent(self, entities: list[str], top: list[int]) -> list[str]:
        """The question's named things (platforms, programmes, acronyms) that none of the top
        passages names: a question about Pinduoduo's subsidy programme is not answered by a
        passage about Tmall's. A Latin acronym counts only when the corpus never uses it (an
        acronym the playbooks use may be spelt out in the passage that answers)."""
        assert self._words is not None
        texts = [self._words.text(i) for i in top]
        named = entity_terms()
        return [e for e in entities if not any(e in t for t in texts)
                and (e in named or not self._words.document_frequency(e))]

    def known(self, term: str) -> int:
        """How many passages use ``term`` (a word, or failing that its rarest bigram)."""
        assert self._words is not None and self._bigrams is not None
        df = self._words.document_frequency(term)
        if df:
            return df
        grams = [term[i : i + 2] for i in range(len(term) - 1)] or [term]
        return min(self._bigrams.document_frequency(g) for g in grams)

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        return self.search_detailed(query, k).hits

    def stats(self) -> dict[str, int]:
        return self.store.stats()

    def iter_chunks(self) -> Iterator[Chunk]:
        self._load()
        yield from self._chunks
