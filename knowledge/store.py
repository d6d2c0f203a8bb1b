"""The chunk store: one SQLite file holding documents, chunks and the embedding cache.

SQLite gives the atomicity a re-ingest needs: a file's new chunks replace its old ones in
one transaction, so a failed ingest leaves the previous index as it was.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from knowledge.chunk import Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    path TEXT PRIMARY KEY, source TEXT NOT NULL, content_hash TEXT NOT NULL,
    title TEXT NOT NULL, kind TEXT NOT NULL, n_chunks INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_path TEXT NOT NULL, ord INTEGER NOT NULL, source TEXT NOT NULL,
    title TEXT NOT NULL, section TEXT NOT NULL, section_title TEXT NOT NULL, text TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_path);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, text_hash)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class ChunkStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # documents -------------------------------------------------------------------
    def document_hash(self, path: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM documents WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def document_paths(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT path FROM documents")]

    def chunk_ids(self, path: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_path=?", (path,))]

    def replace_document(self, db: sqlite3.Connection, path: str, source: str, content_hash: str,
                         title: str, kind: str, chunks: list[Chunk]) -> None:
        db.execute("DELETE FROM chunks WHERE doc_path=?", (path,))
        db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
            [(c.id, path, i, c.source, c.title, c.section, c.section_title, c.text, c.kind)
             for i, c in enumerate(chunks)],
        )
        db.execute(
            "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?)",
            (path, source, content_hash, title, kind, len(chunks), time.time()),
        )

    def remove_document(self, db: sqlite3.Connection, path: str) -> None:
        db.execute("DELETE FROM chunks WHERE doc_path=?", (path,))
        db.execute("DELETE FROM documents WHERE path=?", (path,))

    # chunks ----------------------------------------------------------------------
    def all_chunks(self) -> list[tuple[str, Chunk]]:
        rows = self._db.execute(
            "SELECT id, source, title, section, section_title, text, kind FROM chunks ORDER BY doc_path, ord"
        )
        return [(r[0], Chunk(*r[1:])) for r in rows]

    def stats(self) -> dict[str, int]:
        docs = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return {"documents": docs, "chunks": chunks}

    def version(self) -> str:
        """Changes whenever the indexed chunks change (used to invalidate in-memory indexes)."""
        row = self._db.execute("SELECT COUNT(*), COALESCE(MAX(ingested_at), 0) FROM documents").fetchone()
        return f"{row[0]}:{row[1]}"

    # embedding cache -------------------------------------------------------------
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        hashes = list(hashes)
        for i in range(0, len(hashes), 500):
            batch = hashes[i : i + 500]
            marks = ",".join("?" * len(batch))
            for h, blob in self._db.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model=? AND text_hash IN ({marks})",
                (model, *batch),
            ):
                out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def cache_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO embeddings VALUES (?,?,?)",
            [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()],
        )

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))
