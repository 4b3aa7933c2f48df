"""Public entry points: network → arrays → run → recorded result."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from allychain.errors import ScenarioError
from allychain.limits import check_memory
from allychain.model.network import Network
from allychain.simulate import fused
from allychain.simulate.engine import prepare, run
from allychain.simulate.forcing import Forcing
from allychain.simulate.memory import check_simulation
from allychain.simulate.params import Params
from allychain.simulate.recorder import Recorder, SimResult
from allychain.simulate.system import SimSystem, from_iotables

if TYPE_CHECKING:
    from allychain.simulate.scenario import Scenario

__all__ = ["build_system", "simulate", "run_scenario", "capacity_path_array", "merge_paths"]


def build_system(network: Network | SimSystem, params: Params | None = None, **options: Any) -> SimSystem:
    """The arrays the engine runs on, from any network granularity.

    IO tables (``network.io``) take precedence; then site-level tables (``nodes``,
    ``edges``, ``bom``); then share networks (``items``, ``shares``, ``relations``), see
    :mod:`allychain.simulate.networks`.
    """
    if isinstance(network, SimSystem):
        return network
    params = params or Params()
    if network.io is not None:
        io = network.io
        return from_iotables(io.Z, io.Y, io.x, sort=params.sort_labels, unit=io.unit, name=network.name)
    from allychain.simulate import networks

    if len(network.nodes):
        return networks.from_site_network(network, **options)
    if len(network.shares):
        return networks.from_share_network(network, **options)
    raise ScenarioError(f"network {network.name!r} has nothing to simulate; expected IO tables, site-level "
                        "nodes/edges/bom, or items with shares")


def _path_array(system: SimSystem, capacity_path: np.ndarray | pd.DataFrame, steps: int) -> np.ndarray:
    if isinstance(capacity_path, pd.DataFrame):
        return capacity_path_array(system, capacity_path, steps=steps)
    arr = np.asarray(capacity_path, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != system.n:
        raise ScenarioError(f"capacity path of shape {arr.shape}; expected (steps, {system.n}): one column per node")
    return arr


def merge_paths(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """Two capacity-loss paths (``(T, n)`` or ``(B, T, n)``) combined by the maximum; the
    shorter one loses nothing after its end.  Neither input is changed."""
    if a is None or b is None:
        return b if a is None else a
    T = max(a.shape[-2], b.shape[-2])

    def pad(x: np.ndarray) -> np.ndarray:
        width = [(0, 0)] * x.ndim
        width[-2] = (0, T - x.shape[-2])
        return np.pad(x, width)

    return np.maximum(pad(a), pad(b))


def simulate(network: Network | SimSystem, steps: int = 365, *, forcing: Forcing | None = None,
             capacity_path: np.ndarray | pd.DataFrame | None = None, params: Params | None = None,
             compat: str | None = None, stocks: bool = False,
             progress: Callable[[int], None] | None = None, engine: str | None = None,
             device: str | None = None) -> SimResult:
    """Run the ARIO engine and return the recorded result.

    Parameters
    ----------
    network
        A :class:`~allychain.model.network.Network` or an already built :class:`SimSystem`.
    steps
        Steps to simulate (days for annual tables).
    forcing
        Exogenous drivers for a batch of runs; default: no shock, one run.  Not changed.
    capacity_path
        Share of capacity lost per step and node (``(T, n)`` array, or a
        DataFrame with node-id columns and a step index, see
        :func:`allychain.data.spec.read_capacity_path`); combined with ``forcing`` by the
        maximum.
    params
        Model parameters (:class:`Params`).
    compat
        ``"boario"`` reproduces BoARIO 0.7's ``ARIOPsiModel`` (its quirks switched on).
    stocks
        Also record every inventory slot.
    engine
        ``"numpy"`` (the reference), ``"fused"`` (compiled kernel, needs numba) or
        ``None``/``"auto"``: chosen from the batch size and the system's size
        (:func:`allychain.simulate.fused.choose_engine`); ``"torch"``: the accelerator
        backend (needs PyTorch, ``pip install 'allychain[gpu]'``).  The numbers are the same.
    device
        With ``engine="torch"``: ``"cpu"``, ``"cuda"`` or ``None``/``"auto"`` (cuda when available).
    """
    params = (params or Params()).with_compat(compat)
    system = build_system(network, params)
    forcing = forcing or Forcing(batch=1, n=system.n, e=system.e)
    if capacity_path is not None:
        forcing = dataclasses.replace(forcing, path=merge_paths(forcing.path, _path_array(system, capacity_path,
                                                                                          steps)))
    _, device = fused.resolve(engine, device)  # a clear error before anything runs
    spill = check_simulation(system, steps, forcing.batch, params, stocks=stocks, engine=engine, device=device)
    static = prepare(system, params)
    rec = Recorder(system, steps, forcing.batch, stocks=stocks, relevant=static.relevant, spill=spill)
    run(system, forcing, steps, params, observers=[rec], progress=progress, static=static, engine=engine,
        device=device)
    return rec.result(params, meta={"compat": compat})


def capacity_path_array(system: SimSystem, frame: pd.DataFrame, steps: int | None = None,
                        source: str = "capacity path") -> np.ndarray:
    """A ``(T, n)`` loss array from a capacity-path table (columns node ids, index steps).
    Nodes not listed and steps not listed lose nothing; a step at or beyond ``steps`` (the
    length of the run) is an error, not silently ignored."""
    idx = system._index()
    unknown = [c for c in frame.columns if c not in idx]
    if unknown:
        close = [k for k in system.node_ids if k.split("/")[-1] == str(unknown[0]).split("/")[-1]][:3]
        hint = f" (similar: {', '.join(close)})" if close else f" (e.g. {', '.join(system.node_ids[:3])})"
        raise ScenarioError(f"{source}: column {unknown[0]!r} is not a node of the data; expected node ids as "
                            f"in the data{hint}")
    last = int(frame.index.max()) if len(frame) else -1
    if steps is not None and last >= steps:
        raise ScenarioError(f"{source}: step {last} is beyond the run; expected steps from 0 to {steps - 1} "
                            f"(the run has {steps} steps: raise --steps or the horizon, or drop the row)")
    T = steps if steps is not None else last + 1
    check_memory(f"{source}: a loss array of {T:,} steps × {system.n:,} nodes", {"capacity path": 8.0 * T * system.n},
                 hint="fewer steps (the run's length, or the largest step, sets the array's length)")
    out = np.zeros((T, system.n))
    if len(frame):
        rows = frame.index.to_numpy(dtype=int)
        for col in frame.columns:
            out[rows, idx[col]] = frame[col].to_numpy(dtype=float)
    return out


def run_scenario(scenario: Scenario, network: Network | SimSystem, *, steps: int | None = None,
                 compat: str | None = None, capacity_path: pd.DataFrame | np.ndarray | None = None,
                 stocks: bool = False, progress: Callable[[int], None] | None = None,
                 engine: str | None = None, device: str | None = None) -> SimResult:
    """Run a :class:`~allychain.simulate.scenario.Scenario` on ``network``.

    The scenario is read by :func:`allychain.data.spec.read_scenario` (or built in Python);
    the network by :func:`allychain.load` — this function reads no files.  ``capacity_path``
    adds a capacity path (combined with the scenario's by the maximum).
    """
    from allychain.simulate.scenario import to_forcing

    params = scenario.params.with_compat(compat or scenario.compat)
    system = build_system(network, params)
    T = steps or scenario.horizon
    forcing = to_forcing(scenario, system, steps=T)
    res = simulate(system, T, forcing=forcing, capacity_path=capacity_path, params=params, stocks=stocks,
                   progress=progress, engine=engine, device=device)
    res.meta.update({"scenario": scenario.name, "description": scenario.description,
                     "alliances": scenario.alliances, "compat": compat or scenario.compat})
    return res
