"""PNG charts of analytics results with Chinese labels (matplotlib, Agg backend).

Chinese glyphs need a CJK font: the ``mplfonts`` package ships Noto Sans CJK SC, so a clean
``pip install`` renders Chinese with no system fonts. When it is missing, any installed font
that covers CJK is used; with none, the chart still renders (with missing glyphs) and the
caller is told through ``cjk_font_path() is None``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any

_FONT_FILES = ("NotoSansCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf", "NotoSerifCJKsc-Regular.otf")


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """A font file with Chinese glyphs: the packaged Noto Sans CJK SC first, then system fonts."""
    spec = importlib.util.find_spec("mplfonts")
    if spec and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            for name in _FONT_FILES:
                p = Path(base) / "fonts" / name
                if p.exists():
                    return str(p)
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if any(k in f.name for k in ("CJK", "Han Sans", "WenQuanYi", "SimHei", "Hei", "PingFang", "YaHei")):
            return f.fname
    return None


@lru_cache(maxsize=1)
def _font() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager

    path = cjk_font_path()
    if path is None:
        return None
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


def render_chart(columns: list[str], rows: list[list[Any]], *, title: str, labels: dict[str, str],
                 time_dims: set[str], out_dir: Path, metrics: list[str] | None = None,
                 percent: set[str] | None = None) -> Path | None:
    """Line chart for a time series, bar chart for a breakdown; None when there is nothing to draw.

    ``labels`` maps column names to the Chinese names shown on the axes and legend; the first
    of ``metrics`` (the ones the question asked for) is drawn, a second one on its own axis;
    ``percent`` columns hold fractions and are drawn as percentages.
    """
    if len(rows) < 2 or len(columns) < 2:
        return None
    dim = columns[0]
    numeric = [i for i in range(1, len(columns))
               if all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
               and any(isinstance(r[i], (int, float)) for r in rows)]
    if not numeric:
        return None
    asked = [columns.index(m) for m in (metrics or []) if m in columns and columns.index(m) in numeric]
    if asked:
        metric_i = asked[0]
    else:
        metric_i = numeric[-1] if not columns[numeric[-1]].endswith(("_growth", "_share")) else numeric[0]
    second_i = asked[1] if len(asked) > 1 else None
    percent = percent or set()

    def values(i: int) -> list[float]:
        scale = 100.0 if columns[i] in percent else 1.0
        return [float(r[i]) * scale if r[i] is not None else 0.0 for r in rows]

    font = _font()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    try:
        xs = [r[0] for r in rows]
        ys = values(metric_i)
        if dim in time_dims:
            xs = [dt.date.fromisoformat(x) if isinstance(x, str) else x for x in xs]
            ax.plot(xs, ys, marker="o", linewidth=1.8, color="#c0392b")
            fig.autofmt_xdate()
        else:
            names = [str(x) for x in xs]
            ax.bar(names, ys, color="#2e86c1")
            if len(names) > 6:
                plt.setp(ax.get_xticklabels(), rotation=35, ha="right")
        kw = {"fontproperties": font} if font is not None else {}
        ax.set_title(title, **kw)
        ax.set_xlabel(labels.get(dim, dim), **kw)
        ax.set_ylabel(labels.get(columns[metric_i], columns[metric_i]), **kw)
        if second_i is not None:
            twin = ax.twinx()
            positions = xs if dim in time_dims else list(range(len(xs)))
            twin.plot(positions, values(second_i), marker="o", linewidth=1.8, color="#c0392b")
            twin.set_ylabel(labels.get(columns[second_i], columns[second_i]), **kw)
            if font is not None:
                for t in twin.get_yticklabels():
                    t.set_fontproperties(font)
        if font is not None:
            for t in ax.get_xticklabels() + ax.get_yticklabels():
                t.set_fontproperties(font)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        out_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(repr((title, columns, rows)).encode("utf-8")).hexdigest()[:12]
        path = out_dir / f"chart-{digest}.png"
        fig.savefig(path)
        return path
    finally:
        plt.close(fig)
