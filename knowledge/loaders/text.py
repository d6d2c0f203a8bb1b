"""Plain text and Markdown, in whatever encoding a Chinese team's files come in."""

from __future__ import annotations

from pathlib import Path

from agent.errors import InputError
from knowledge.loaders import LoadedDocument


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 first (with or without BOM); else the encoding charset-normalizer detects
    (GB18030, Big5 …); binary data is refused with a message naming the file."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 2 * 1024 * 1024]).best()
    if best is None or best.encoding is None:
        raise InputError(f"{name}: not valid UTF-8 and no text encoding could be detected")
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{name}: could not be decoded as {best.encoding}") from None


def load_text(path: Path) -> LoadedDocument:
    text = decode_bytes(path.read_bytes(), path.name)
    return LoadedDocument(path, text, markdown=path.suffix.lower() in (".md", ".markdown"))
