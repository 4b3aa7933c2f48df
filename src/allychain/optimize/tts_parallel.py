"""Running many disruptions: in process, in local processes, or on Dask.

The disruptions are split into contiguous chunks, each solved by its own solver; results come
back in order, so the numbers do not depend on the number of workers.

Which solver (``method``): ``"full"`` — :class:`~allychain.optimize.tts_solve.Solver`, the
whole programme re-solved warm per disruption; ``"local"`` —
:class:`~allychain.optimize.tts_local.LocalSolver`, each disruption on a region proved
exact, which needs a reference plan of the intact network (and loss weights ``>= 0``);
``"auto"`` (default) — local where such a plan exists and the network has at least
:data:`LOCAL_MIN_NODES` nodes, else full.

Implied answers are not solved: with positive loss weights the impact at a window no
longer than the TTS is zero (the survivable windows are the interval ``[0, TTS]``), and so
are the lost units.
"""

from __future__ import annotations

import math

import numpy as np

from allychain.errors import AllychainError
from allychain.optimize.tts_local import LocalSolver, reference_plan
from allychain.optimize.tts_model import TTSModel
from allychain.optimize.tts_solve import Solver

__all__ = ["LOCAL_MIN_NODES", "METHODS", "make_solver", "solve_chunk", "run_all"]

#: ``method="auto"`` solves disruptions on regions from this many nodes on
LOCAL_MIN_NODES = 1000
METHODS = ("auto", "local", "full")


def make_solver(model: TTSModel, lose_inventory: bool, horizon: float, method: str = "auto") -> Solver | LocalSolver:
    """The solver ``method`` asks for (see the module docstring)."""
    if method not in METHODS:
        raise AllychainError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "full" or (method == "auto" and model.n_nodes < LOCAL_MIN_NODES):
        return Solver(model, lose_inventory, horizon)
    ref = reference_plan(model) if bool(np.all(model.weight >= 0)) else None
    if ref is not None:
        return LocalSolver(model, ref, lose_inventory, horizon)
    if method == "local":
        raise AllychainError("method='local' needs a plan of the intact network that meets all demand from "
                             "capacity alone (and loss weights >= 0); this network has none — use 'full' or 'auto'")
    return Solver(model, lose_inventory, horizon)


def solve_chunk(model: TTSModel, names: list[str], groups: list[np.ndarray], ts: list[np.ndarray],
                 lose_inventory: bool, horizon: float = 1e6, method: str = "auto",
                 ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    s = make_solver(model, lose_inventory, horizon, method)
    tts = np.full(len(groups), math.nan)
    for k, (nm, g) in enumerate(zip(names, groups, strict=False)):
        tts[k] = s.tts(g, f"disruption {nm!r}")
    positive = bool(np.all(model.weight > 0))
    imp, lost = [], []
    for k, (nm, g, t) in enumerate(zip(names, groups, ts, strict=False)):
        t = np.asarray(t, dtype=float)
        a, b = np.full(len(t), math.nan), np.full(len(t), math.nan)
        implied = (t <= tts[k]) if positive else np.zeros(len(t), dtype=bool)
        a[implied], b[implied] = 0.0, 0.0
        solve = ~implied & np.isfinite(t)
        if solve.any():
            a[solve], b[solve] = s.impact(g, t[solve], f"disruption {nm!r}")
        imp.append(a)
        lost.append(b)
    return tts, imp, lost


def run_all(model: TTSModel, names: list[str], groups: list[np.ndarray], ts: list[np.ndarray],
             lose_inventory: bool, workers: int, backend: str, horizon: float = 1e6, method: str = "auto",
             ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    if workers <= 1 or len(groups) < 2 * workers:
        return solve_chunk(model, names, groups, ts, lose_inventory, horizon, method)
    bounds = np.linspace(0, len(groups), workers + 1).astype(int)
    chunks = [(names[a:b], groups[a:b], ts[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=False) if b > a]
    if backend == "dask":
        try:
            import dask
        except ImportError:
            raise AllychainError("backend='dask' needs dask: pip install 'allychain[dask]'") from None
        tasks = [dask.delayed(solve_chunk)(model, *ch, lose_inventory, horizon, method) for ch in chunks]
        parts = dask.compute(*tasks, scheduler="processes", num_workers=workers)
    elif backend == "processes":
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futs = [pool.submit(solve_chunk, model, *ch, lose_inventory, horizon, method) for ch in chunks]
            parts = [f.result() for f in futs]
    else:
        raise ValueError(f"backend must be 'processes' or 'dask', got {backend!r}")
    tts = np.concatenate([p[0] for p in parts])
    imp = [a for p in parts for a in p[1]]
    lost = [a for p in parts for a in p[2]]
    return tts, imp, lost


