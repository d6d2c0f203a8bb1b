"""The unit the knowledge base indexes and cites."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Chunk:
    """One searchable passage that knows where it came from.

    ``source`` is the file name, ``title`` the document title, ``section`` the section
    number as the document writes it (``2.3``, ``第三章``, ``(1)``) and ``section_title``
    its heading, so a citation names a real section.
    """

    source: str
    title: str
    section: str
    section_title: str
    text: str
    kind: str = "playbook"  # playbook | policy | kpi | compliance_rule | seed

    @property
    def id(self) -> str:
        key = f"{self.source}\x1f{self.section}\x1f{self.text}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
