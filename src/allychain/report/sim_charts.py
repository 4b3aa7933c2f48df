"""Charts of simulation results (matplotlib, Agg backend: files only, no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_production", "plot_loss_distribution"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    """Save whole or not at all (:func:`allychain.durable.output_file`)."""
    from allychain.durable import output_file

    with output_file(path, what="chart", overwrite_flag=None) as tmp:
        fig.savefig(tmp, format=path.suffix.lower().lstrip(".") or "png")
    return path


def plot_production(result: Any, path: str | Path, title: str | None = None, run: int = 0,
                    max_regions: int = 10) -> Path:
    """Production relative to baseline by region (and in total) per step; returns the file.

    ``result`` is a :class:`~allychain.simulate.recorder.SimResult`.
    """
    plt = _plt()
    path = Path(path)
    rel = result.by_region("production", run=run, relative=True)
    x = result.arrays["production"][:, run, :].sum(axis=1) / result.system.x0.sum()
    # show the regions that lose most
    worst = (1 - rel).clip(lower=0).sum().sort_values(ascending=False).index[:max_regions]
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    for r in worst:
        ax.plot(rel.index, rel[r].to_numpy() * 100, lw=1.2, label=str(r))
    ax.plot(rel.index, x * 100, color="black", lw=2.2, label="total")
    ax.axhline(100, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("step (day)")
    ax.set_ylabel("production, % of baseline")
    ax.set_title(title or str(result.meta.get("scenario", "disruption")))
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_loss_distribution(losses: dict[str, np.ndarray], path: str | Path, title: str = "Monte Carlo losses",
                           var_level: float = 0.95) -> Path:
    """Histogram of loss shares (one panel per region/member) with VaR marked."""
    plt = _plt()
    path = Path(path)
    names = list(losses)[:6]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), dpi=110, squeeze=False)
    for ax, nm in zip(axes[0], names, strict=False):
        v = np.asarray(losses[nm]) * 100
        ax.hist(v, bins=min(40, max(5, len(v) // 5)), color="#4477aa")
        q = np.quantile(v, var_level)
        ax.axvline(q, color="#cc3311", lw=1.5, label=f"VaR{int(var_level * 100)} {q:.3g}%")
        ax.set_title(str(nm), fontsize=9)
        ax.set_xlabel("output lost, % of horizon")
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)
