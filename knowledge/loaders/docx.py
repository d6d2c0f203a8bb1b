"""Word documents: paragraphs in order, heading styles kept as Markdown headings."""

from __future__ import annotations

from pathlib import Path

from agent.errors import InputError
from knowledge.loaders import LoadedDocument


def load_docx(path: Path) -> LoadedDocument:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types for a bad file
        raise InputError(f"{path.name}: not a readable .docx file ({exc.__class__.__name__})") from None
    lines: list[str] = []
    for para in document.paragraphs:
        style = (para.style.name or "") if para.style is not None else ""
        text = para.text.strip()
        if not text:
            continue
        if style.lower().startswith("heading"):
            level = "".join(ch for ch in style if ch.isdigit()) or "1"
            lines.append("#" * min(int(level), 6) + " " + text)
        elif style.lower() == "title":
            lines.insert(0, "# " + text)
        else:
            lines.append(text)
    title = document.core_properties.title or None
    return LoadedDocument(path, "\n".join(lines), markdown=True, title=title)
