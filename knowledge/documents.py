"""From a loaded file to cited chunks: clean, find the title, section, split."""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.boilerplate import page_header_title, strip_boilerplate, strip_template_suffix
from knowledge.chunk import Chunk
from knowledge.chunking import markdown_sections, split_long, split_sections
from knowledge.loaders import LoadedDocument
from knowledge.normalize import normalize

_FIRST_HEADING = re.compile(r"(第[0-9一二三四五六七八九十]+章|[一二三四五六七八九十]、|\d{1,2}\.\d)")


def document_title(doc: LoadedDocument, cleaned: str, normalized_raw: str) -> str:
    if doc.title:
        return normalize(doc.title).strip()
    header = page_header_title(normalized_raw)
    if header:
        return strip_template_suffix(header)
    for line in cleaned.split("\n"):
        line = line.strip().lstrip("#").strip()
        if len(line) >= 2:
            m = _FIRST_HEADING.search(line, 4)
            head = line[: m.start()] if m else line
            return strip_template_suffix(head)[:60] or doc.path.stem
    return doc.path.stem


def chunk_document(doc: LoadedDocument, kind: str = "playbook") -> tuple[str, list[Chunk]]:
    """Return the document title and its chunks, each knowing source, section and title."""
    normalized = normalize(doc.text)
    cleaned = strip_boilerplate(normalized)
    title = document_title(doc, cleaned, normalized)
    if doc.markdown:
        sections = markdown_sections(cleaned)
        if sections and sections[0].number == "" and sections[0].title == title:
            sections[0].title = ""
    else:
        sections = split_sections(cleaned)
    chunks: list[Chunk] = []
    source = doc.path.name
    for section in sections:
        for piece in split_long(section.text.strip()):
            piece = piece.strip()
            if piece:
                chunks.append(Chunk(source, title, section.number, section.title, piece, kind))
    return title, chunks


def kind_for(path: Path) -> str:
    parts = {p.lower() for p in path.parts}
    if "policies" in parts:
        return "policy"
    if "playbooks" in parts:
        return "playbook"
    return "document"
