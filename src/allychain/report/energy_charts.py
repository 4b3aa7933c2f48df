"""Chart of the energy profile: the carbon intensity and outage duration of the grids the members' fabs and
the chain's fab items run on (matplotlib, Agg canvas; written whole or not at all)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allychain.report.charts import _figure, _save

__all__ = ["energy_chart"]


def energy_chart(grids: pd.DataFrame, path: str | Path, members: list[str] | None = None,
                 title: str = "Grids the fabs run on") -> Path:
    """Two panels per grid (country): carbon intensity (gCO2e/kWh) and SAIDI (minutes per customer and year).

    Grids without a figure are named "not covered" on the axis, never drawn as 0; members' grids in bold.

    Parameters
    ----------
    grids
        :func:`allychain.energy.supply_profile` rows (index: country).
    path
        A .png or .svg file (checked and written through :mod:`allychain.durable`).
    """
    members = members or []
    fig = _figure(9, 0.45 * max(4, len(grids)) + 1.2)
    axes = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(grids))
    for ax, col, label in ((axes[0], "carbon_intensity", "carbon intensity (gCO2e/kWh)"),
                           (axes[1], "saidi", "outage duration SAIDI (minutes / customer / year)")):
        vals = grids[col].astype(float).to_numpy()
        known = np.isfinite(vals)
        ax.barh(y[known], vals[known], color=["#1f4e79" if c in members else "#7f9cbf"
                                             for c in grids.index[known]])
        for yi in y[~known]:
            ax.text(0, yi, " not covered", va="center", fontsize=8, color="#a33")
        for yi, v, b in zip(y[known], vals[known], grids[f"{col}_basis"].to_numpy()[known], strict=True):
            ax.text(v, yi, f" {v:.4g} ({b})", va="center", fontsize=7)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, [f"{c} (member)" if c in members else c for c in grids.index])
    axes[0].invert_yaxis()
    fig.suptitle(title)
    return _save(fig, path)
