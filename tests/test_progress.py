"""Long work shows progress on a terminal and stays quiet otherwise."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from connectors.progress import SILENT, progress


def test_not_a_terminal_or_quiet_means_silent() -> None:
    with progress(quiet=False) as bar:  # pytest captures stderr: not a TTY
        assert bar is SILENT
    with progress(quiet=True) as bar:
        assert bar is SILENT


def _ingest(tmp_path: Path, *extra: str) -> str:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "a.md").write_text("# 手册\n\n## 1.1 发货\n\n现货订单付款后四十八小时内发出。\n", encoding="utf-8")
    main, child = pty.openpty()
    env = {**os.environ, "ZHANGGUI_HOME": str(tmp_path / "home"), "ZHANGGUI_EMBEDDER": "none", "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-m", "connectors.cli", "ingest", str(docs), *extra],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=child, env=env, timeout=120)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_shows_files_progress(tmp_path: Path) -> None:
    assert "files" in _ingest(tmp_path)


def test_quiet_flag_silences_the_terminal(tmp_path: Path) -> None:
    assert "files" not in _ingest(tmp_path, "--quiet")
