"""Running many disruptions: in process, in local processes, or on Dask.

The disruptions are split into contiguous chunks, each solved by its own
:class:`~allychain.optimize.tts_solve.Solver`; results come back in order, so the numbers
do not depend on the number of workers.
"""

from __future__ import annotations

import math

import numpy as np

from allychain.errors import AllychainError
from allychain.optimize.tts_model import TTSModel
from allychain.optimize.tts_solve import Solver

__all__ = ["solve_chunk", "run_all"]


def solve_chunk(model: TTSModel, names: list[str], groups: list[np.ndarray], ts: list[np.ndarray],
                 lose_inventory: bool, horizon: float = 1e6,
                 ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    s = Solver(model, lose_inventory, horizon)
    tts = np.full(len(groups), math.nan)
    for k, (nm, g) in enumerate(zip(names, groups, strict=False)):
        tts[k] = s.tts(g, f"disruption {nm!r}")
    imp, lost = [], []
    for nm, g, t in zip(names, groups, ts, strict=False):
        a, b = s.impact(g, t, f"disruption {nm!r}")
        imp.append(a)
        lost.append(b)
    return tts, imp, lost


def run_all(model: TTSModel, names: list[str], groups: list[np.ndarray], ts: list[np.ndarray],
             lose_inventory: bool, workers: int, backend: str, horizon: float = 1e6,
             ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    if workers <= 1 or len(groups) < 2 * workers:
        return solve_chunk(model, names, groups, ts, lose_inventory, horizon)
    bounds = np.linspace(0, len(groups), workers + 1).astype(int)
    chunks = [(names[a:b], groups[a:b], ts[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=False) if b > a]
    if backend == "dask":
        try:
            import dask
        except ImportError:
            raise AllychainError("backend='dask' needs dask: pip install 'allychain[dask]'") from None
        tasks = [dask.delayed(solve_chunk)(model, *ch, lose_inventory, horizon) for ch in chunks]
        parts = dask.compute(*tasks, scheduler="processes", num_workers=workers)
    elif backend == "processes":
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futs = [pool.submit(solve_chunk, model, *ch, lose_inventory, horizon) for ch in chunks]
            parts = [f.result() for f in futs]
    else:
        raise ValueError(f"backend must be 'processes' or 'dask', got {backend!r}")
    tts = np.concatenate([p[0] for p in parts])
    imp = [a for p in parts for a in p[1]]
    lost = [a for p in parts for a in p[2]]
    return tts, imp, lost


