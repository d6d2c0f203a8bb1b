"""Progress display for long work (ingest, embedding, demo data).

Shows files, items and rate on a terminal; silent with ``quiet`` or when stderr is not a TTY.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def start(self, label: str, total: int | None = None) -> None: ...

    def advance(self, label: str, n: int = 1) -> None: ...


class _Silent:
    def start(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, label: str, n: int = 1) -> None:
        pass


SILENT: Progress = _Silent()


class _RichProgress:
    def __init__(self, bar) -> None:  # type: ignore[no-untyped-def]
        self._bar = bar
        self._tasks: dict[str, int] = {}

    def start(self, label: str, total: int | None = None) -> None:
        self._tasks[label] = self._bar.add_task(label, total=total)

    def advance(self, label: str, n: int = 1) -> None:
        if label not in self._tasks:
            self.start(label)
        self._bar.advance(self._tasks[label], n)


@contextmanager
def progress(quiet: bool = False) -> Iterator[Progress]:
    if quiet or not sys.stderr.isatty():
        yield SILENT
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

    from rich.progress import TaskProgressColumn

    class _Rate(TaskProgressColumn):
        def render(self, task):  # type: ignore[no-untyped-def]
            speed = task.finished_speed or task.speed
            from rich.text import Text

            return Text(f"{speed:.1f}/s" if speed else "", style="cyan")

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with bar:
        yield _RichProgress(bar)
