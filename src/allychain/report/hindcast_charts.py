"""Chart of a hindcast: for each measure the model compares, its distance from the record in
units of the measure's tolerance (within the shaded band: within tolerance).  Matplotlib,
Agg canvas; written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allychain.report.charts import _figure, _save

__all__ = ["hindcast_chart"]


def hindcast_chart(rows: pd.DataFrame, path: str | Path,
                   title: str = "Hindcasts: model against the record") -> Path:
    """Draw ``(model − record) / tolerance`` per compared measure (rows of
    :attr:`allychain.services.hindcast.HindcastResult.rows`); measures the model cannot
    compute are listed as such under the chart.

    ``path``: a .png or .svg file (checked and written through :mod:`allychain.durable`).
    """
    compared = rows[~rows["verdict"].astype(str).str.startswith("not ")].reset_index(drop=True)
    skipped = rows[rows["verdict"].astype(str).str.startswith("not ")]
    fig = _figure(9, 1.2 + 0.45 * max(len(compared), 1) + 0.2 * len(skipped))
    ax = fig.add_subplot()
    tol = compared["tolerance"].astype(float).to_numpy()
    z = (compared["model"].astype(float) - compared["record"].astype(float)).to_numpy() / np.where(tol > 0, tol, 1)
    y = np.arange(len(compared))[::-1]
    colors = ["#2a7" if v == "within" else "#c33" for v in compared["verdict"]]
    ax.axvspan(-1, 1, color="#ddd", zorder=0, label="within tolerance")
    ax.barh(y, z, color=colors)
    ax.plot(z, y, "o", color="#222", ms=3)  # a value of 0 still shows
    ax.axvline(0, color="#555", lw=0.8)
    ax.set_yticks(y, [f"{c}: {m}" for c, m in zip(compared["case"], compared["measure"], strict=True)], fontsize=8)
    xlabel = "(model − record) / tolerance"
    if len(skipped):
        xlabel += "\nnot compared (not representable): " + "; ".join(
            f"{c}: {m}" for c, m in zip(skipped["case"], skipped["measure"], strict=True))
    ax.set_xlabel(xlabel, fontsize=8, wrap=True)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)
