"""The time loop of one Monte Carlo batch: each engine's way of advancing a batch of runs
that join at their first shock, keeping only the per-region output.

Runs are sorted by their first shock (``start``, ascending); at step ``t`` the first
``active`` of them are simulated, the others are still at their baseline equilibrium.
Every engine writes ``out[t, :, j] = R x_j(t)`` (the per-region output of sorted run
``j``, ``R`` the regions × nodes indicator matrix) for the steps a run is active, and
leaves ``out`` as it is before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sparse

from allychain.simulate import fused
from allychain.simulate.engine import initial_state, join, step
from allychain.simulate.params import Params
from allychain.simulate.state import Static
from allychain.simulate.system import SimSystem

__all__ = ["step_loop", "fused_loop", "run_loop", "ShockPairs"]

#: ``loss(t, k)``: the capacity loss of the first ``k`` sorted runs at step ``t``, ``(n, k)``
Loss = Callable[[int, int], np.ndarray]


def step_loop(system: SimSystem, static: Static, params: Params, loss: Loss, start: np.ndarray,
              R: sparse.csr_matrix, out: np.ndarray, engine: str) -> None:
    """The loop on the host, one :func:`allychain.simulate.engine.step` per step (numpy or
    fused); a sparse product adds each region's nodes in a fixed order, so the numbers do
    not depend on the batch size."""
    state: Any = None
    for t in range(out.shape[0]):
        active = int(np.searchsorted(start, t, side="right"))  # runs started by step t
        if active == 0:
            continue
        if state is None:
            state = initial_state(system, static, params, active, t)
        elif active > state.x.shape[1]:
            state = join(state, initial_state(system, static, params, active - state.x.shape[1], t))
        state, _ = step(system, static, params, state, loss(t, active), engine=engine)
        out[t, :, :active] = R @ state.x


@dataclass(frozen=True)
class ShockPairs:
    """The (run, node) pairs a batch's shocks hit: run ``run[p]`` (in start order) loses
    ``value[t, p]`` of node ``node[p]``'s capacity at step ``t`` from step ``onset[p]`` on
    (the loss of a node is the largest of its pairs' values, 0 without any)."""

    node: np.ndarray
    run: np.ndarray
    onset: np.ndarray
    value: np.ndarray  # (T, pairs)


#: runs per block of the batch kernel: a block's state stays in the cache from step to step
#: (on the ETO network 64 was the fastest of 32 to 256 while α, x and c had two buffers each;
#: updated in place, 128 was 5 % faster than 64, docs/benchmarks.md)
BLOCK = 128


def fused_loop(system: SimSystem, static: Static, params: Params, pairs: ShockPairs, start: np.ndarray,
               R: sparse.csr_matrix, out: np.ndarray, block: int = BLOCK) -> None:
    """:func:`step_loop` on the fused engine as one compiled call (no transport lags)."""
    from allychain.simulate import _fused_nb

    a = fused.arrays(system, static)
    Rc = sparse.csr_matrix(R)
    Rc.sort_indices()
    stock0 = np.where(np.isfinite(static.slot_s), static.slot_s * system.slot_a * system.x0[system.slot_buyer], np.inf)
    ix = a["p_idx"].dtype
    consts = (a["p_ptr"], a["p_idx"], a["p_val"], a["t_ptr"], a["t_idx"], a["t_val"], a["slot_ptr"], a["bind"],
              a["need"], a["buyer"], a["a"], a["goal"], a["finite"], a["inv_den0"], a["x0"], a["cap_den"],
              np.ascontiguousarray(static.y0[:, 0]), stock0, params.alpha_base, params.alpha_max, params.alpha_tau,
              params.alpha_relax == "exact_zero", params.order_type == "alt", params.stock_update == "boario",
              static.rate)
    regions = (Rc.indptr.astype(ix), Rc.indices.astype(ix), np.asarray(Rc.data, dtype=float))
    B = len(start)
    # the runs in blocks (in start order) whose state stays in the cache from step to step; a
    # run's numbers do not depend on the runs beside it
    for lo in range(0, B, block):
        hi = min(B, lo + block)
        # the block's pairs grouped by node (stable: their order within a node is kept)
        sel = np.flatnonzero((pairs.run >= lo) & (pairs.run < hi))
        sel = sel[np.argsort(pairs.node[sel], kind="stable")]
        ptr = np.zeros(system.n + 1, dtype=ix)
        np.cumsum(np.bincount(pairs.node[sel], minlength=system.n), out=ptr[1:])
        part = np.ascontiguousarray(out[:, :, lo:hi])
        _fused_nb.mc_batch(*consts, np.ascontiguousarray(start[lo:hi], dtype=np.int64), ptr,
                           (pairs.run[sel] - lo).astype(ix), np.ascontiguousarray(pairs.onset[sel], dtype=float),
                           np.ascontiguousarray(pairs.value[:, sel], dtype=float), *regions, part)
        out[:, :, lo:hi] = part


def run_loop(system: SimSystem, static: Static, params: Params, loss: Loss, start: np.ndarray,
             R: sparse.csr_matrix, out: np.ndarray, engine: str, device: str | None = None,
             pairs: Callable[[], ShockPairs] | None = None) -> None:
    """The batch's loop on ``engine`` (``"numpy"``, ``"fused"`` or ``"torch"`` on ``device``);
    ``pairs`` gives the shocks as :class:`ShockPairs` for the fused batch kernel."""
    if engine == "fused" and pairs is not None and fused.covers(static, params) and static.max_lag == 0:
        fused.warm(system, static)
        fused_loop(system, static, params, pairs(), start, R, out)
        return
    if engine == "torch":
        from allychain.simulate import accel

        if accel.covers(static, params):
            assert device is not None
            accel.run_batch(system, static, params, loss, start, R, out, device)
            return
        engine = "numpy"
    step_loop(system, static, params, loss, start, R, out, engine)
