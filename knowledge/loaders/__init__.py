"""Document loaders: one module per file type, each turning a file into a `LoadedDocument`.

Every loader returns plain text plus a hint whether the text is Markdown-structured
(headings marked with ``#``); cleaning and sectioning happen after loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.errors import InputError

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class LoadedDocument:
    path: Path
    text: str
    markdown: bool = False
    title: str | None = None


def supported_suffixes() -> tuple[str, ...]:
    return tuple(_LOADERS)


def load(path: Path) -> LoadedDocument:
    """Load one file; raises InputError naming the file when it cannot be read as a document."""
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise InputError(f"{path.name}: unsupported file type '{suffix or 'none'}'",
                         hint=f"supported: {', '.join(supported_suffixes())}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path.name}: {size // (1024 * 1024)} MB is larger than the "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit for one document")
    return loader(path)


def _load_text(path: Path) -> LoadedDocument:
    from knowledge.loaders.text import load_text

    return load_text(path)


def _load_html(path: Path) -> LoadedDocument:
    from knowledge.loaders.html import load_html

    return load_html(path)


def _load_docx(path: Path) -> LoadedDocument:
    from knowledge.loaders.docx import load_docx

    return load_docx(path)


def _load_pdf(path: Path) -> LoadedDocument:
    from knowledge.loaders.pdf import load_pdf

    return load_pdf(path)


_LOADERS = {
    ".txt": _load_text,
    ".md": _load_text,
    ".markdown": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".docx": _load_docx,
    ".pdf": _load_pdf,
}
