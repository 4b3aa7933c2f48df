"""Recording as an observer: per-step arrays collected while the engine runs, turned
into pandas tables, an xarray Dataset and summary metrics afterwards."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from allychain.simulate.params import Params
from allychain.simulate.system import SimSystem

__all__ = ["Recorder", "SimResult", "loss_metrics"]

VARIABLES = ("production", "capacity", "overproduction", "final_demand_unmet", "inventory_cover", "demand")


class Recorder:
    """Collects ``production``, ``capacity``, ``overproduction`` (α), ``demand`` (orders
    and final demand received), ``final_demand_unmet`` and ``inventory_cover`` (days of
    baseline use left in the scarcest relevant input, at the start of the step) per step,
    batch member and node.  ``stocks=True`` also keeps every inventory slot.
    """

    def __init__(self, system: SimSystem, steps: int, batch: int, stocks: bool = False,
                 relevant: np.ndarray | None = None, spill: bool = False) -> None:
        self.system = system
        self.spill = spill
        self.arrays = {v: self._array((steps, batch, system.n)) for v in VARIABLES}
        self.stocks = self._array((steps, batch, system.m)) if stocks else None
        use0 = system.slot_flow0()
        rel = relevant if relevant is not None else np.ones(system.m, dtype=bool)
        valid = rel & (use0 > 0)  # slots whose cover is defined; the others count as infinite
        self._valid = None if valid.all() else np.flatnonzero(valid)
        self._inv_use0 = (1.0 / use0[valid])[:, None]
        order = system.slot_buyer[valid]
        self._starts = np.flatnonzero(np.r_[True, np.diff(order) != 0]) if len(order) else np.zeros(0, dtype=int)
        self._has = np.zeros(system.n, dtype=bool)
        self._has[order] = True
        self._has_all = bool(self._has.all())
        self.steps = 0

    def _array(self, shape: tuple[int, int, int]) -> np.ndarray:
        """An in-memory array, or with ``spill`` one backed by an anonymous temporary file (the
        operating system keeps in memory only the pages in use; the file goes with the array)."""
        if not self.spill:
            return np.full(shape, np.nan)
        return np.memmap(tempfile.TemporaryFile(prefix="allychain-record-"), dtype=float, mode="w+", shape=shape)

    def __call__(self, out: Any, state: Any) -> None:
        t = out.t
        if t >= self.arrays["production"].shape[0]:
            return
        a = self.arrays
        a["production"][t] = out.x
        a["capacity"][t] = out.xcap
        a["overproduction"][t] = out.alpha
        a["final_demand_unmet"][t] = out.fd_unmet
        a["demand"][t] = out.demand
        if len(self._starts):
            st = out.stock_start.T  # (m, B), contiguous in the engine's layout
            cover = st * self._inv_use0 if self._valid is None else st[self._valid] * self._inv_use0
            mins = np.minimum.reduceat(cover, self._starts, axis=0)
            if self._has_all:
                a["inventory_cover"][t] = mins.T
            else:
                full = np.full((out.x.shape[1], out.x.shape[0]), np.inf)
                full[self._has] = mins
                a["inventory_cover"][t] = full.T
        else:
            a["inventory_cover"][t] = np.inf
        if self.stocks is not None:
            self.stocks[t] = out.stock_start
        self.steps = max(self.steps, t + 1)

    def result(self, params: Params, meta: dict[str, Any] | None = None) -> SimResult:
        arrays = {k: v[: self.steps] for k, v in self.arrays.items()}
        return SimResult(self.system, params, arrays, None if self.stocks is None else self.stocks[: self.steps],
                         meta or {})


def loss_metrics(x: np.ndarray, x0: np.ndarray, tol: float = 1e-3) -> dict[str, np.ndarray]:
    """Summary of a production path ``x`` (T, B) against its baseline ``x0`` (scalar or (B,)).

    * ``total_loss``: ``Σ_t max(0, x0 − x_t)`` (units × steps, e.g. money);
    * ``total_loss_share``: that over ``x0 · T`` (share of the output of the horizon);
    * ``peak_loss_share``: ``max_t (x0 − x_t)/x0``;
    * ``peak_step``: step of that peak;
    * ``time_to_recover``: steps from the first step with a loss above ``tol`` to the
      first later step from which the loss stays below ``tol`` for the rest of the run;
      NaN if it never recovers, 0 if never hit.

    ``x`` may have more axes after the first (e.g. ``(T, series, B)`` with ``x0`` of shape
    ``(series, 1)``): every metric is per position.  The steps are taken one at a time in
    time order (only step-sized arrays are made), so ``total_loss`` adds them in time order
    whatever the array's shape (numpy would sum a lone contiguous column pairwise).
    """
    x0 = np.asarray(x0, dtype=float)
    T = x.shape[0]
    if T == 0:
        raise ValueError("loss_metrics needs at least one step")
    nz = x0 != 0
    den = np.where(nz, x0, 1.0)

    def at(t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # loss (≥ 0), relative loss, hit
        gap = x0 - x[t]
        rel = np.where(nz, gap / den, 0.0)
        return np.clip(gap, 0, None), rel, rel > tol

    total, peak, any_hit = at(0)
    total, peak = np.array(total, dtype=float), np.array(peak, dtype=float)
    peak_step = np.zeros(peak.shape, dtype=np.intp)
    first = np.zeros(peak.shape, dtype=np.intp)
    last = np.zeros(peak.shape, dtype=np.intp)
    for t in range(1, T):
        lost, rel, hit = at(t)
        total += lost
        higher = rel > peak  # the first step of the peak, as argmax finds it
        peak[higher] = rel[higher]
        peak_step[higher] = t
        first[hit & ~any_hit] = t
        last[hit] = t
        any_hit = any_hit | hit
    ttr = np.where(any_hit, (last + 1 - first).astype(float), 0.0)
    ttr = np.where(any_hit & (last == T - 1), np.nan, ttr)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(x0 != 0, total / (x0 * T), 0.0)
    return {"total_loss": total, "total_loss_share": share, "peak_loss_share": np.clip(peak, 0, None),
            "peak_step": peak_step, "time_to_recover": ttr}


@dataclass
class SimResult:
    """Recorded output of a (batch of) run(s): arrays ``(steps, batch, nodes)``."""

    system: SimSystem
    params: Params
    arrays: dict[str, np.ndarray]
    stocks: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.arrays["production"].shape[0]

    @property
    def batch(self) -> int:
        return self.arrays["production"].shape[1]

    def frame(self, variable: str = "production", run: int = 0) -> pd.DataFrame:
        """One variable of one run: rows are steps, columns node ids."""
        if variable not in self.arrays:
            raise KeyError(f"unknown variable {variable!r}; expected one of {', '.join(self.arrays)}")
        return pd.DataFrame(self.arrays[variable][:, run, :], columns=self.system.node_ids,
                            index=pd.RangeIndex(self.steps, name="step"))

    def by_region(self, variable: str = "production", run: int = 0, relative: bool = False) -> pd.DataFrame:
        """A variable summed by region (or country/member); ``relative`` divides by baseline."""
        df = self.frame(variable, run).T.groupby(self.system.node_region).sum().T
        regions = [r for r in self.system.regions if r in df.columns]
        df = df[regions]
        if relative:
            base = pd.Series(self.system.x0, index=self.system.node_ids).groupby(self.system.node_region).sum()
            df = df / base[regions]
        return df

    def unmet_by_consumer(self, run: int = 0) -> pd.DataFrame:
        """Unmet final demand by consumer region (IO tables): each supplier's unmet share
        applied to its final-demand columns, summed by the consumer region."""
        fd = self.system.fd
        if fd is None:
            raise ValueError("the system has no final-demand matrix by consumer")
        unmet = self.arrays["final_demand_unmet"][:, run, :]
        y0 = self.system.y0
        share = np.divide(unmet, y0, out=np.zeros_like(unmet), where=y0 != 0)
        cols = fd.columns
        regions = [c[0] if isinstance(c, tuple) else c for c in cols]
        mat = share @ fd.to_numpy()
        df = pd.DataFrame(mat, columns=cols, index=pd.RangeIndex(self.steps, name="step"))
        return df.T.groupby(regions).sum().T

    def to_xarray(self) -> Any:
        """All variables as an ``xarray.Dataset`` with dims ``(step, run, node)``."""
        import xarray as xr

        coords = {"step": np.arange(self.steps), "run": np.arange(self.batch), "node": self.system.node_ids,
                  "region": ("node", np.asarray(self.system.node_region, dtype=str))}
        return xr.Dataset({k: (("step", "run", "node"), v) for k, v in self.arrays.items()}, coords=coords,
                          attrs={"unit": self.system.unit, **{f"param_{k}": str(v) for k, v in
                                                              self.params.to_dict().items()}})

    def summary(self, run: int = 0, alliances: dict[str, list[str]] | None = None) -> dict[str, Any]:
        """Loss metrics for the whole system, each region, and each named alliance
        (a group of countries reported together)."""
        x = self.arrays["production"][:, run, :]
        sysx0 = self.system.x0
        out: dict[str, Any] = {"steps": self.steps, "unit": f"{self.system.unit} per step" if self.system.unit
                               else "per step", "params": self.params.to_dict()}

        def one(mask: np.ndarray) -> dict[str, Any]:
            m = loss_metrics(x[:, mask].sum(axis=1)[:, None], np.array([sysx0[mask].sum()]))
            d: dict[str, Any] = {k: _scalar(v[0]) for k, v in m.items()}
            unmet = self.arrays["final_demand_unmet"][:, run, mask].sum()
            d["final_demand_unmet"] = float(unmet)
            d["baseline_output_per_step"] = float(sysx0[mask].sum())
            return d

        out["total"] = one(np.ones(self.system.n, dtype=bool))
        reg = np.asarray(self.system.node_region)
        out["regions"] = {r: one(reg == r) for r in self.system.regions}
        if alliances:
            out["alliances"] = {g: one(np.isin(reg, members)) for g, members in alliances.items()
                                if np.isin(reg, members).any()}
        return out


def _scalar(v: Any) -> Any:
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and np.isnan(v):
        return None
    return v
