"""Paths and small helpers shared by the evaluation modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The shared dev sets and seeds live beside the repository (../shared).
SHARED = REPO.parent / "shared"


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def print_table(area: str, figures: dict[str, Any], indent: str = "") -> None:
    if not indent:
        print(f"== {area}")
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{indent}  {key}:")
            print_table(area, value, indent + "  ")
        elif isinstance(value, float):
            print(f"{indent}  {key}: {value:.3f}")
        else:
            print(f"{indent}  {key}: {value}")
