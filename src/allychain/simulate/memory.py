"""How much memory a simulation or a Monte Carlo will allocate, computed from its inputs.

:func:`estimate_memory` adds up the arrays the engine, the recorder and the forcing will
hold (8 bytes per float): the recorder keeps 6 variables per step, run and node (plus
every inventory slot with ``stocks``); the state holds a few node, slot and edge arrays
per run, and with transport lags a pipeline of ``(max lag + 1)`` slot arrays; a capacity
path is a ``(steps, nodes)`` array; the flows are stored sparse, about 30 bytes per edge
(:func:`flow_bytes`).  :func:`check_simulation` and
:func:`check_montecarlo` refuse, with the figure, what exceeds
:func:`allychain.limits.memory_limit` — before anything is allocated.  A long horizon
whose record alone does not fit is recorded into a temporary file instead of memory.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allychain.errors import ResourceLimitError
from allychain.limits import check_memory, fmt_bytes, memory_limit
from allychain.simulate.params import Params
from allychain.simulate.recorder import VARIABLES

__all__ = ["MemoryEstimate", "estimate_memory", "flow_bytes", "estimate_montecarlo_memory", "check_simulation",
           "check_montecarlo", "check_device", "max_lag"]

F8 = 8  # bytes per float64
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per part (floats: estimates are never allocated, so they may exceed any machine)."""

    parts: dict[str, float]
    #: bytes per part held on an accelerator (``engine="torch"`` on a GPU), not in host memory
    device: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(sum(self.parts.values()))

    def __str__(self) -> str:
        text = f"{fmt_bytes(self.total)} (" + ", ".join(f"{k} {fmt_bytes(v)}" for k, v in self.parts.items()) + ")"
        if self.device:
            dev = float(sum(self.device.values()))
            text += f"; on the device {fmt_bytes(dev)} (" + ", ".join(f"{k} {fmt_bytes(v)}"
                                                                      for k, v in self.device.items()) + ")"
        return text


def max_lag(system: Any, params: Params) -> int:
    """The longest transport lag in steps the engine will hold in its pipeline (0 without lags)."""
    if not params.transport_lags:
        return 0
    lags = [float(params.lead_time), *map(float, params.lead_time_by_product.values())]
    data = getattr(system, "edge_lag", None)
    if data is not None and len(data):
        finite = np.asarray(data, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size:
            lags.append(float(finite.max()))
    top = max(lags)
    return int(round(top)) if np.isfinite(top) else 2**62


def flow_bytes(n: int, m: int, e: int, params: Params | None = None, *, lags: int = 1) -> float:
    """Bytes of the engine's sparse flow storage (:func:`allychain.simulate.engine.prepare`).

    One CSR matrix of the baseline flows (8-byte value and 4-byte column index per edge,
    4-byte row pointers; the transpose is a view), the per-edge order split and lag
    (16 bytes per edge), per-slot constants (about six floats per slot) and per-node ones
    (four per node); with several transport-lag lengths one more CSR per lag; with explicit
    per-edge orders (re-sourcing limits, licences) the two indicator matrices.  Linear in
    the edges: nothing ``n × n``.

    Examples
    --------
    >>> round(flow_bytes(1_000_000, 1_000_000, 10_000_000) / 2**30, 2)  # GiB for 10⁷ links (dense: 8 TB)
    0.34
    """
    params = params or Params()
    csr = 12.0 * e + 4.0 * (max(n, m) + 1)
    per_lag = csr * lags if lags > 1 else 0.0
    explicit = 2 * csr if params.resourcing_limit is not None else 0.0
    return csr + per_lag + explicit + 16.0 * e + 6.0 * m * F8 + 4.0 * n * F8


def _lag_count(system: Any, params: Params) -> int:
    """Distinct transport lags the engine splits the flows by (1 without lags)."""
    data = getattr(system, "edge_lag", None)
    if not params.transport_lags or data is None or not len(data):
        return 1
    known = np.asarray(data, dtype=float)
    return int(len(np.unique(np.rint(known[np.isfinite(known)])))) + 1


def estimate_memory(system: Any, steps: int, batch: int = 1, params: Params | None = None, *,
                    stocks: bool = False, record: bool = True, path_steps: int = 0, engine: str | None = None,
                    device: str | None = None) -> MemoryEstimate:
    """Memory a simulation will allocate.

    Parameters
    ----------
    system
        A :class:`~allychain.simulate.system.SimSystem`, or any object with ``n``
        (nodes), ``m`` (input slots) and ``e`` (edges) attributes.
    steps
        Steps to simulate.
    batch
        Runs simulated together.
    params
        Model parameters (transport lags and re-sourcing change the state's size).
    stocks
        Whether every inventory slot is recorded too.
    record
        Whether every step is recorded (:class:`~allychain.simulate.recorder.Recorder`).
    path_steps
        Length of a capacity path (``(path_steps, n)`` array), 0 without one.
    engine, device
        The engine (``None``/``"auto"``: counted as fused when numba is installed) and, for
        ``"torch"``, its device (``"cpu"``, or ``"cuda"``: the state, the per-step
        temporaries and the flows are then counted in ``device``, not in host memory).

    Returns
    -------
    MemoryEstimate
        Parts ``recorder``, ``state``, ``pipeline``, ``work`` (per-step temporaries,
        about ten arrays of the largest dimension), ``flows`` (the sparse flow storage,
        :func:`flow_bytes`), ``capacity path``, and with numba ``fused kernel``.  Every
        part grows with the nodes, slots and edges (times runs and steps), never with
        nodes squared.
    """
    params = params or Params()
    n, m, e = int(system.n), int(system.m), int(system.e)
    b, T = float(max(batch, 1)), float(max(steps, 0))
    explicit = params.resourcing_limit is not None
    parts = {
        "recorder": (len(VARIABLES) * n + (m if stocks else 0)) * T * b * F8 if record else 0.0,
        "state": (3 * n + 2 * m + (2 * e if explicit else 0)) * b * F8,
        "pipeline": (max_lag(system, params) + 1.0) * m * b * F8 if params.transport_lags else 0.0,
        "work": 10.0 * max(n, m, e, 1) * b * F8,
        "flows": flow_bytes(n, m, e, params, lags=_lag_count(system, params)),
        "capacity path": float(path_steps) * n * F8,
    }
    from allychain.simulate.fused import available

    if engine == "fused" or (engine in (None, "auto") and available()):
        # the fused kernel's own copy of the flows (row-major both ways) and slot constants
        parts["fused kernel"] = 2.0 * (e * 12 + n * 8) + 7.0 * m * F8
    if engine != "torch":
        return MemoryEstimate(parts)
    # the flows as two CSR tensors (8-byte values and indices), per-node and per-slot
    # constants, and torch's per-step temporaries (a new tensor per operation: about twenty
    # of the largest dimension alive at once)
    flows = 2.0 * (e * 16 + (n + m + 2) * 8) + (6.0 * m + 4.0 * n) * F8
    dev = {"state": parts["state"], "pipeline": parts["pipeline"], "work": 20.0 * max(n, m, 1) * b * F8,
           "torch flows": flows}
    if device is None or not str(device).startswith("cuda"):
        parts.update(dev)
        return MemoryEstimate(parts)
    # on a GPU the host keeps the record and one step's outputs copied back for it
    parts.update(state=0.0, pipeline=0.0, work=8.0 * n * b * F8 if record else 0.0)
    return MemoryEstimate(parts, device=dev)


def estimate_montecarlo_memory(system: Any, horizon: int, runs: int, batch_size: int, params: Params | None = None,
                               *, regions: int = 1, groups: int = 0, candidates: int = 0,
                               workers: int = 1, engine: str | None = None, device: str | None = None
                               ) -> MemoryEstimate:
    """Memory a Monte Carlo will allocate: per batch, the engine state and the per-region output
    ``(horizon, regions, batch)`` (times the worker processes running batches at once), plus the
    per-run results (runs × (1 + regions + groups) series × metrics) and sampled shocks."""
    params = params or Params()
    b = max(1, min(batch_size, runs))
    one = estimate_memory(system, horizon, b, params, record=False, engine=engine, device=device)
    per_batch = one.total + float(horizon) * regions * b * F8 * 2 + 4.0 * candidates * b * F8
    series = 1 + regions + groups
    device_parts = {}
    if one.device:  # one batch at a time on the device, with its per-region output
        device_parts = {"batch on the device": float(sum(one.device.values())) + float(horizon) * regions * b * F8}
    return MemoryEstimate({
        "batches in flight": per_batch * max(1, workers if not one.device else 1),
        "per-run results": float(runs) * (series * 8 + 2) * F8,
    }, device=device_parts)


def check_simulation(system: Any, steps: int, batch: int = 1, params: Params | None = None, *,
                     stocks: bool = False, record: bool = True, path_steps: int = 0, engine: str | None = None,
                     device: str | None = None) -> bool:
    """Decide where a simulation's record goes; refuse what fits nowhere.

    Returns
    -------
    bool
        False: everything fits in memory.  True: the record of every step does not,
        but the rest does and the record fits in 80 % of the free space of the temporary
        folder — it is then kept in a temporary file (:class:`Recorder` ``spill``), so a
        long horizon runs with bounded memory.

    Raises
    ------
    ResourceLimitError
        When the run fits neither way (with the estimate and the limit).
    """
    est = estimate_memory(system, steps, batch, params, stocks=stocks, record=record, path_steps=path_steps,
                          engine=engine, device=device)
    what = f"a simulation of {steps:,} steps × {batch:,} run(s) × {int(system.n):,} nodes"
    hint = "fewer steps, fewer runs at once, shorter lead times, or a coarser network"
    check_device(what, est, device, hint)
    limit, _ = memory_limit()
    rec = est.parts["recorder"]
    if limit is None or est.total <= limit or not rec:
        check_memory(what, est.parts, hint=hint)
        return False
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if est.total - rec <= limit and rec <= 0.8 * free:
        log.warning("%s: the record of every step (%s) does not fit in memory; it is kept in a temporary file "
                    "in %s", what, fmt_bytes(rec), tempfile.gettempdir())
        return True
    check_memory(what, {**est.parts, "recorder": rec}, hint=hint + f" (the record did not fit on disk either: "
                 f"{fmt_bytes(free)} free in {tempfile.gettempdir()})")
    return False  # pragma: no cover - check_memory raised


def check_device(what: str, est: MemoryEstimate, device: str | None, hint: str) -> None:
    """Refuse what does not fit in the free memory of the accelerator ``device``.

    Raises
    ------
    ResourceLimitError
        With the estimate on the device and its free memory.
    """
    if not est.device or device is None:
        return
    from allychain.simulate.accel import free_bytes

    free = free_bytes(device)
    need = float(sum(est.device.values()))
    if free is not None and need > free:
        raise ResourceLimitError(f"{what} would need about {fmt_bytes(need)} on {device} ({est}), more than its "
                                 f"{fmt_bytes(free)} free; nothing was started. Use {hint}, or --device cpu",
                                 needed=int(min(need, 2**63 - 1)), limit=free)


def check_montecarlo(system: Any, horizon: int, runs: int, batch_size: int, params: Params | None = None,
                     engine: str | None = None, device: str | None = None, **sizes: int) -> MemoryEstimate:
    """:func:`estimate_montecarlo_memory`, refused above the limit."""
    est = estimate_montecarlo_memory(system, horizon, runs, batch_size, params, engine=engine, device=device,
                                     **sizes)
    check_device(f"a Monte Carlo batch of {batch_size:,} runs × {horizon:,} steps", est, device,
                 "a smaller --batch-size or a shorter horizon")
    check_memory(f"a Monte Carlo of {runs:,} runs × {horizon:,} steps in batches of {batch_size:,}", est.parts,
                 hint="a smaller --batch-size, fewer workers, a shorter horizon or fewer runs")
    return est
