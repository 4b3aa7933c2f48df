"""Charts of the analysis results (matplotlib, Agg canvas; no display needed).

Each function takes a result DataFrame and a file path ending in ``.png`` or
``.svg`` and writes one figure.  Figures are built on :class:`matplotlib.figure.Figure`
directly — no pyplot state, safe in servers and tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from allychain.errors import AllychainError
from allychain.model.rules import CHOKEPOINT_RULES

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["share_bars", "dependency_heatmap", "complementarity_heatmap", "partner_bars", "check_plot_path"]

FORMATS = (".png", ".svg")
RULE_COLOURS = {3: "#8b0000", 2: "#d7301f", 1: "#fc8d59", 0: "#9e9e9e"}


def check_plot_path(path: str | Path) -> Path:
    """The path as a :class:`Path`; raises :class:`AllychainError` unless it ends in .png or
    .svg, lies in an existing folder that can be written, and is not a folder or a file of
    another kind (see :func:`allychain.durable.check_output`)."""
    from allychain.durable import check_output

    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise AllychainError(f"plot file {str(path)!r} must end in .png or .svg")
    if p.parent and not p.parent.exists():
        raise AllychainError(f"folder {str(p.parent)!r} of the plot file does not exist")
    check_output(p, "file", what="plot file", overwrite_flag=None)
    return p


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | Path) -> Path:
    from allychain.durable import output_file

    p = check_plot_path(path)
    with output_file(p, what="plot file", overwrite_flag=None) as tmp:
        fig.savefig(tmp, format=p.suffix.lower().lstrip("."), dpi=120)
    return p


def _label(row: pd.Series) -> str:
    name = str(row.get("item_name") or row["item_id"])
    return name if len(name) <= 40 else name[:39] + "…"


def share_bars(
    df: pd.DataFrame,
    path: str | Path,
    share: str = "top_country_share",
    who: str = "top_country",
    title: str = "Largest country's share per item",
    limit: int = 30,
    threshold: float | None = CHOKEPOINT_RULES.country_share,
) -> Path:
    """Horizontal bars of one share column per item (chokepoints or concentration table).

    Bars are coloured by the number of chokepoint rules fired when a ``rules``
    column is present; the provider holding the share is written at the bar end;
    ``threshold`` draws a dashed line (percent).
    """
    d = df.dropna(subset=[share]).head(limit)
    fig = _figure(9, max(2.5, 0.32 * len(d) + 1.2))
    ax = fig.add_subplot()
    if d.empty:
        ax.text(0.5, 0.5, "no assessable items", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _save(fig, path)
    y = np.arange(len(d))[::-1]
    colours = [RULE_COLOURS[min(len(r), 3)] for r in d["rules"]] if "rules" in d else "#3b6ea5"
    ax.barh(y, d[share].to_numpy(dtype=float), color=colours)
    for yi, v, w in zip(y, d[share], d[who] if who in d else [""] * len(d), strict=False):
        ax.text(min(float(v), 100.0) + 0.8, yi, str(w) if isinstance(w, str) else "", va="center", fontsize=7)
    ax.set_yticks(y, [_label(r) for _, r in d.iterrows()], fontsize=7)
    if "rules" in d:
        from matplotlib.patches import Patch

        fired = sorted({min(len(r), 3) for r in d["rules"]}, reverse=True)
        ax.legend(handles=[Patch(color=RULE_COLOURS[k], label=f"{k} rule{'s' if k != 1 else ''} fired")
                           for k in fired], loc="lower right", fontsize=7)
    ax.set_xlim(0, 110)
    ax.set_xlabel("share of global market (%)")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=0.8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def dependency_heatmap(matrix: pd.DataFrame, path: str | Path, title: str = "Who supplies the dependencies (%)",
                       members: list[str] | None = None) -> Path:
    """Heatmap of items (rows) × supplier countries (columns), shares in percent.

    Unknown shares are drawn blank (never as zero); member columns are marked with
    a star.
    """
    m = matrix.astype(float)
    fig = _figure(max(5.0, 0.45 * m.shape[1] + 4), max(2.5, 0.3 * m.shape[0] + 1.5))
    ax = fig.add_subplot()
    if m.empty:
        ax.text(0.5, 0.5, "no assessable dependencies", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _save(fig, path)
    data = np.ma.masked_invalid(m.to_numpy())
    im = ax.imshow(data, aspect="auto", cmap="Reds", vmin=0, vmax=100)
    cols = [f"{c}*" if members and c in members else str(c) for c in m.columns]
    ax.set_xticks(range(m.shape[1]), cols, rotation=90, fontsize=7)
    ax.set_yticks(range(m.shape[0]), [str(i) if len(str(i)) <= 48 else str(i)[:47] + "…" for i in m.index],
                  fontsize=7)
    fig.colorbar(im, ax=ax, label="share (%)")
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def complementarity_heatmap(matrix: pd.DataFrame, path: str | Path,
                            title: str = "What each member supplies towards the others' dependencies",
                            label: str = "items") -> Path:
    """Supplier (rows) × customer (columns) matrix with the values written in the cells."""
    m = matrix.astype(float)
    fig = _figure(max(4.0, 1.0 * m.shape[1] + 3), max(3.0, 0.8 * m.shape[0] + 2))
    ax = fig.add_subplot()
    if m.empty:
        ax.text(0.5, 0.5, "fewer than two members", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _save(fig, path)
    data = np.ma.masked_invalid(m.to_numpy())
    im = ax.imshow(data, cmap="Blues", vmin=0)
    top = float(np.nanmax(m.to_numpy())) if np.isfinite(m.to_numpy()).any() else 0.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m.iat[i, j]
            dark = not np.isnan(v) and top > 0 and v > 0.6 * top
            ax.text(j, i, "—" if np.isnan(v) else f"{v:g}", ha="center", va="center", fontsize=9,
                    color="white" if dark else "black")
    ax.set_xticks(range(m.shape[1]), [str(c) for c in m.columns])
    ax.set_yticks(range(m.shape[0]), [str(c) for c in m.index])
    ax.set_xlabel("customer (its dependencies)")
    ax.set_ylabel("supplier")
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def partner_bars(df: pd.DataFrame, path: str | Path, title: str = "Critical alliance dependencies a partner resolves",
                 limit: int = 15) -> Path:
    """Bars of the partner score per candidate country (best first)."""
    d = df.head(limit)
    fig = _figure(8, max(2.5, 0.35 * len(d) + 1.2))
    ax = fig.add_subplot()
    if d.empty:
        ax.text(0.5, 0.5, "no candidates", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _save(fig, path)
    y = np.arange(len(d))[::-1]
    ax.barh(y, d["score"].to_numpy(dtype=float), color="#3b6ea5")
    ax.set_yticks(y, [str(c) for c in d["country"]], fontsize=8)
    ax.set_xlabel("score")
    ax.set_title(title, fontsize=10)
    return _save(fig, path)
