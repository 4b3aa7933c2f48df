"""Chart of the talent gap: the gap per year for each country and skill level, with and
without programmes (matplotlib, Agg canvas; written whole or not at all)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from allychain.report.charts import _figure, _save

__all__ = ["gap_chart"]


def gap_chart(frame: pd.DataFrame, path: str | Path, title: str = "Semiconductor workforce gap") -> Path:
    """Draw the gap (persons) per year; dashed: with programmes (a ``gap_with`` column).

    Parameters
    ----------
    frame
        Rows of :attr:`allychain.talent.Projection.series` or of
        :func:`allychain.talent.programme_effect` (country, level, year, gap[, gap_with]).
    path
        A .png or .svg file (checked and written through :mod:`allychain.durable`).
    """
    fig = _figure(8, 4.5)
    ax = fig.add_subplot()
    for (country, level), g in frame.groupby(["country", "level"], sort=True):
        label = country if level == "all" else f"{country} {level}"
        (line,) = ax.plot(g["year"], g["gap"] / 1000, marker="o", ms=3, label=label)
        if "gap_with" in g:
            ax.plot(g["year"], g["gap_with"] / 1000, ls="--", color=line.get_color(),
                    label=f"{label} with programmes")
    ax.axhline(0, color="#555", lw=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel("gap: workers needed − workers available (thousands)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)
