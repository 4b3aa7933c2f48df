"""Public entry points: network → arrays → run → recorded result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allychain.errors import ScenarioError
from allychain.model.network import Network
from allychain.simulate.engine import prepare, run
from allychain.simulate.forcing import Forcing
from allychain.simulate.params import Params
from allychain.simulate.recorder import Recorder, SimResult
from allychain.simulate.system import SimSystem, from_iotables

__all__ = ["build_system", "simulate", "run_scenario", "read_capacity_path", "capacity_path_array"]


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


def simulate(network: Network | SimSystem, steps: int = 365, *, forcing: Forcing | None = None,
             capacity_path: np.ndarray | pd.DataFrame | None = None, params: Params | None = None,
             compat: str | None = None, stocks: bool = False,
             progress: Callable[[int], None] | None = None) -> SimResult:
    """Run the ARIO engine and return the recorded result.

    Parameters
    ----------
    network
        A :class:`~allychain.model.network.Network` or an already built :class:`SimSystem`.
    steps
        Steps to simulate (days for annual tables).
    forcing
        Exogenous drivers for a batch of runs; default: no shock, one run.
    capacity_path
        Share of capacity lost per step and node (``(T, n)`` array, or a DataFrame with
        node-id columns and a step index, see :func:`read_capacity_path`); combined with
        ``forcing`` by the maximum.
    params
        Model parameters (:class:`Params`).
    compat
        ``"boario"`` reproduces BoARIO 0.7's ``ARIOPsiModel`` (its quirks switched on).
    stocks
        Also record every inventory slot.
    """
    params = (params or Params()).with_compat(compat)
    system = build_system(network, params)
    forcing = forcing or Forcing(batch=1, n=system.n)
    if capacity_path is not None:
        path = capacity_path_array(system, capacity_path) if isinstance(capacity_path, pd.DataFrame) \
            else np.asarray(capacity_path, dtype=float)
        forcing.path = path if forcing.path is None else np.maximum(forcing.path, path)
    static = prepare(system, params)
    rec = Recorder(system, steps, forcing.batch, stocks=stocks, relevant=static.relevant)
    run(system, forcing, steps, params, observers=[rec], progress=progress, static=static)
    return rec.result(params, meta={"compat": compat})


def read_capacity_path(path: str | Path) -> pd.DataFrame:
    """Read ``capacity_path`` CSV: a ``step`` column, then one column per shocked node
    (named as in the data) holding the share of capacity lost at that step (0–1)."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: capacity path file not found; expected a CSV with a 'step' column")
    try:
        df = pd.read_csv(path)
    except Exception as exc:
        raise ScenarioError(f"{path}: cannot read CSV ({exc})") from None
    if "step" not in df.columns:
        raise ScenarioError(f"{path}: column 'step' missing (got {list(df.columns)[:5]}); expected a 'step' column "
                            "then one column per node")
    steps = pd.to_numeric(df["step"], errors="coerce")
    bad = steps.isna() | (steps < 0) | (steps != steps.round())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise ScenarioError(f"{path}: row {row}, column 'step': value {df['step'].iloc[row - 2]!r}; "
                            "expected a non-negative integer")
    if steps.duplicated().any():
        raise ScenarioError(f"{path}: column 'step': step {int(steps[steps.duplicated()].iloc[0])} repeated")
    vals = df.drop(columns="step").apply(pd.to_numeric, errors="coerce")
    for col in vals.columns:
        v = vals[col]
        badv = v.isna() | (v < 0) | (v > 1)
        if badv.any():
            row = int(np.flatnonzero(badv.to_numpy())[0]) + 2
            raise ScenarioError(f"{path}: row {row}, column {col!r}: value {df[col].iloc[row - 2]!r}; expected a "
                                "share of capacity lost between 0 and 1")
    vals.index = steps.astype(int).to_numpy()
    vals.index.name = "step"
    return vals


def capacity_path_array(system: SimSystem, frame: pd.DataFrame, steps: int | None = None,
                        source: str = "capacity path") -> np.ndarray:
    """A ``(T, n)`` loss array from a capacity-path table (columns node ids, index steps).
    Nodes not listed and steps not listed lose nothing."""
    idx = system._index()
    unknown = [c for c in frame.columns if c not in idx]
    if unknown:
        close = [k for k in system.node_ids if k.split("/")[-1] == str(unknown[0]).split("/")[-1]][:3]
        hint = f" (similar: {', '.join(close)})" if close else f" (e.g. {', '.join(system.node_ids[:3])})"
        raise ScenarioError(f"{source}: column {unknown[0]!r} is not a node of the data; expected node ids as "
                            f"in the data{hint}")
    T = int(frame.index.max()) + 1 if len(frame) else 0
    T = max(T, steps or 0)
    out = np.zeros((T, system.n))
    if len(frame):
        rows = frame.index.to_numpy(dtype=int)
        for col in frame.columns:
            out[rows, idx[col]] = frame[col].to_numpy(dtype=float)
    return out


def run_scenario(scenario: Any, network: Network | SimSystem | None = None, *, data: str | None = None,
                 steps: int | None = None, compat: str | None = None, stocks: bool = False,
                 progress: Callable[[int], None] | None = None) -> SimResult:
    """Run a :class:`~allychain.simulate.scenario.Scenario` (or a YAML path).

    The network is ``network``, else loaded from ``data``, else from the scenario's
    ``data`` key, else ``pymrio-test``.
    """
    from allychain.simulate.scenario import Scenario, load_scenario, to_forcing

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if network is None:
        from allychain.data.load import load

        network = load(data or scenario.data or "pymrio-test")
    params = scenario.params.with_compat(compat or scenario.compat)
    system = build_system(network, params)
    forcing = to_forcing(scenario, system)
    res = simulate(system, steps or scenario.horizon, forcing=forcing, params=params, stocks=stocks,
                   progress=progress)
    res.meta.update({"scenario": scenario.name, "description": scenario.description, "groups": scenario.groups,
                     "compat": compat or scenario.compat})
    return res
