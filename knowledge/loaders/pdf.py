"""PDF files: the text layer of every page (scanned PDFs without one yield nothing)."""

from __future__ import annotations

from pathlib import Path

from agent.errors import InputError
from knowledge.loaders import LoadedDocument


def load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, OSError) as exc:
        raise InputError(f"{path.name}: not a readable PDF ({exc})") from None
    title = reader.metadata.title if reader.metadata and reader.metadata.title else None
    return LoadedDocument(path, "\n".join(pages), title=title)
