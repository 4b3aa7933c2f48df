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
from typing import Any

import numpy as np
import scipy.sparse as sparse

from allychain.simulate.engine import initial_state, join, step
from allychain.simulate.params import Params
from allychain.simulate.state import Static
from allychain.simulate.system import SimSystem

__all__ = ["step_loop", "run_loop"]

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


def run_loop(system: SimSystem, static: Static, params: Params, loss: Loss, start: np.ndarray,
             R: sparse.csr_matrix, out: np.ndarray, engine: str, device: str | None = None) -> None:
    """The batch's loop on ``engine`` (``"numpy"``, ``"fused"`` or ``"torch"`` on ``device``)."""
    if engine == "torch":
        from allychain.simulate import accel

        if accel.covers(static, params):
            assert device is not None
            accel.run_batch(system, static, params, loss, start, R, out, device)
            return
        engine = "numpy"
    step_loop(system, static, params, loss, start, R, out, engine)
