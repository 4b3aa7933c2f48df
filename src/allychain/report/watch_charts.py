"""Chart of the technology lead: the alliance's world share per item across data years and releases
(matplotlib, Agg canvas; written whole or not at all through :mod:`allychain.durable`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from allychain.report.charts import _figure, _save

__all__ = ["lead_chart"]


def lead_chart(items: pd.DataFrame, vintages: pd.DataFrame, path: str | Path, top: int = 8,
               title: str = "Technology lead: the alliance's share of world supply") -> Path:
    """Draw the alliance's share (percent) per vintage for up to ``top`` items.

    Items with an alert come first, then those with the most vintages.  A vertical bar
    spans the range the unknown shares leave (low – high); a hollow marker is a vintage
    whose share is not assessable (drawn at the bottom, not read as 0); the dashed line
    is the largest outside country's known share.

    Parameters
    ----------
    items, vintages
        :attr:`allychain.watch.lead.LeadResult.items` and ``.vintages``.
    path
        A .png or .svg file.
    """
    fig = _figure(11, 5)
    ax = fig.add_subplot()
    if len(items):
        order = items.assign(_a=items["alerts"].ne(""), _n=items["vintages"]).sort_values(
            ["_a", "_n", "alliance_share"], ascending=[False, False, False], kind="stable")
        chosen = list(order["item_id"].head(top))
    else:
        chosen = []
    for item in chosen:
        g = vintages[vintages["item_id"] == item].sort_values("year", kind="stable")
        ok = g[g["status"] != "not_assessable"]
        name = str(g["item_name"].iloc[0])
        label = name if len(name) <= 32 else name[:31] + "…"
        (line,) = ax.plot(ok["year"], ok["alliance_share"], marker="o", ms=4, label=label)
        ax.vlines(ok["year"], ok["alliance_share"], ok["alliance_share_high"], color=line.get_color(), alpha=0.5)
        ax.plot(ok["year"], ok["top_outside_share"], ls="--", lw=0.8, color=line.get_color())
        na = g[g["status"] == "not_assessable"]
        if len(na):
            ax.scatter(na["year"], [0] * len(na), facecolors="none", edgecolors=line.get_color(), s=30)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("data year")
    ax.set_ylabel("share of world supply (%)")
    ax.set_title(title)
    if chosen:
        ax.scatter([], [], facecolors="none", edgecolors="#555", s=30, label="share not assessable (not 0)")
        ax.plot([], [], ls="--", lw=0.8, color="#555", label="largest outside country")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "no item with a member's share in the data", ha="center", transform=ax.transAxes)
    ax.grid(alpha=0.3)
    return _save(fig, path)
