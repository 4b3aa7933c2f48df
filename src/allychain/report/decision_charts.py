"""Charts of the decision models (matplotlib, Agg canvas; no display needed).

* :func:`tts_ttr_chart` — per disruption, time to survive (bar) against time to
  recover (marker), unprotected ones (TTS < TTR) in red, sorted by risk exposure;
* :func:`allocation_chart` — served share of each member's shortfall per item;
* :func:`stockpile_chart` — least-cost stock per member and item in days of cover.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from allychain.report.charts import _figure, _save

__all__ = ["tts_ttr_chart", "allocation_chart", "stockpile_chart"]

RED, GREY, BLUE, DARK = "#d7301f", "#9e9e9e", "#4575b4", "#222222"


def tts_ttr_chart(table: pd.DataFrame, path: str | Path, title: str = "Time to survive vs time to recover",
                  limit: int = 30, unit: str = "periods") -> Path:
    """Horizontal bars of TTS with a TTR marker per disruption (the ``tts`` table of
    :func:`allychain.optimize.tts_ttr`).  Rows are sorted by risk exposure index
    (then by TTR − TTS); an infinite TTS is drawn to the right edge with an arrow."""
    t = table.copy()
    t["_gap"] = t["ttr"] - t["tts"].replace(math.inf, np.nan).fillna(-1e300)
    t = t.sort_values(["rei", "_gap"], ascending=[False, False], na_position="last").head(limit)
    t = t.iloc[::-1]
    finite = np.concatenate([t["ttr"].to_numpy(float), t["tts"].to_numpy(float)])
    finite = finite[np.isfinite(finite)]
    right = 1.15 * (finite.max() if len(finite) else 1.0) or 1.0
    fig = _figure(8.0, 1.5 + 0.32 * len(t))
    ax = fig.add_subplot()
    y = np.arange(len(t))
    tts = t["tts"].to_numpy(float)
    shown = np.where(np.isfinite(tts), np.minimum(tts, right), right)
    unprot = t["unprotected"].fillna(False).to_numpy(bool)
    ax.barh(y, shown, color=np.where(unprot, RED, BLUE), alpha=0.85, height=0.6)
    for yi, v in zip(y, tts, strict=False):
        if not np.isfinite(v) or v > right:
            ax.annotate("", xy=(right, yi), xytext=(right * 0.93, yi),
                        arrowprops={"arrowstyle": "->", "color": DARK})
    ax.scatter(t["ttr"], y, marker="D", color=DARK, zorder=3, label="time to recover (TTR)")
    labels = [f"{d}  (REI {r:.2f})" if r == r else str(d) for d, r in zip(t["disruption"], t["rei"], strict=False)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, right)
    ax.set_xlabel(f"{unit}")
    ax.set_title(title, fontsize=10)
    from matplotlib.patches import Patch

    handles, names = ax.get_legend_handles_labels()
    handles += [Patch(color=RED), Patch(color=BLUE)]
    names += ["TTS, unprotected (TTS < TTR)", "TTS, protected"]
    fig.legend(handles, names, fontsize=7, loc="outside lower center", ncol=3, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def allocation_chart(members: pd.DataFrame, path: str | Path, title: str = "Emergency allocation") -> Path:
    """Bars of each member's shortfall per item, split into received and unmet (the
    ``members`` table of :func:`allychain.optimize.allocate`)."""
    m = members.copy()
    labels = [f"{a} · {b}" for a, b in zip(m["member"], m["item"], strict=False)]
    fig = _figure(7.0, 1.2 + 0.4 * len(m))
    ax = fig.add_subplot()
    y = np.arange(len(m))
    ax.barh(y, m["received"], color=BLUE, label="received")
    ax.barh(y, m["unmet"], left=m["received"], color=RED, alpha=0.6, label="unmet")
    for yi, s in zip(y.tolist(), m["served"], strict=True):
        if s == s:
            ax.text(0, yi, f" {s:.0%}", va="center", ha="left", fontsize=8, color="white")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("units")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def stockpile_chart(stocks: pd.DataFrame, path: str | Path, title: str = "Least-cost stockpiles") -> Path:
    """Bars of days of cover per member and item (the ``stockpiles`` table of
    :func:`allychain.optimize.size_stockpile`); units where usage is unknown."""
    s = stocks.copy()
    days = s["cover_days"].to_numpy(float)
    use_days = np.isfinite(days).all()
    vals = days if use_days else s["stock"].to_numpy(float)
    fig = _figure(7.0, 1.2 + 0.4 * len(s))
    ax = fig.add_subplot()
    y = np.arange(len(s))
    ax.barh(y, vals, color=BLUE)
    for yi, v, u in zip(y.tolist(), vals.tolist(), s["stock"], strict=True):
        ax.text(v, yi, f" {u:,.4g} units", va="center", fontsize=8)
    ax.set_yticks(y, [f"{a} · {b}" for a, b in zip(s["member"], s["item"], strict=False)], fontsize=8)
    top = float(np.nanmax(vals)) if len(vals) and np.isfinite(vals).any() else 0.0
    ax.set_xlim(0, top * 1.3 if top > 0 else 1.0)
    ax.set_xlabel("days of cover" if use_days else "units")
    ax.set_title(title, fontsize=10)
    return _save(fig, path)
