"""HTML pages: visible text only, headings kept as Markdown headings."""

from __future__ import annotations

from pathlib import Path

from knowledge.loaders import LoadedDocument
from knowledge.loaders.text import decode_bytes


def load_html(path: Path) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_bytes(path.read_bytes(), path.name), "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "aside", "form", "noscript"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    for level in range(1, 7):
        for h in soup.find_all(f"h{level}"):
            h.string = "\n" + "#" * level + " " + h.get_text(" ", strip=True) + "\n"
    text = soup.get_text("\n")
    return LoadedDocument(path, text, markdown=True, title=title)
