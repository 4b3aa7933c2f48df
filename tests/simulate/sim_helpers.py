"""Small systems for the simulation tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allychain.simulate.system import SimSystem, from_iotables

#: The scenarios shipped with the package (agreement tests run each of them on every engine).
SCENARIOS = Path(str(resources.files("allychain").joinpath("scenarios")))
#: Relative tolerance of the engine agreement tests (in practice the engines agree bit for bit on the CPU).
RTOL = 1e-12
_DATA: dict[str, object] = {}


def cached_data(name: str) -> object:
    """A ``--data`` specification loaded once per test session."""
    from allychain.data.load import load

    if name not in _DATA:
        _DATA[name] = load(name)
    return _DATA[name]


def assert_same_result(a, b) -> None:  # noqa: ANN001 - two simulation results
    """Every recorded array and stock of two results agree to ``RTOL``."""
    assert a.arrays.keys() == b.arrays.keys()
    for k in a.arrays:
        np.testing.assert_allclose(b.arrays[k], a.arrays[k], rtol=RTOL, atol=1e-300, err_msg=k)
    if a.stocks is not None:
        np.testing.assert_allclose(b.stocks, a.stocks, rtol=RTOL, atol=1e-300, err_msg="stocks")


def chain_system(s_days: float = 10.0) -> SimSystem:
    """Supplier A (no inputs) → B (1 unit of A per unit of B) → final demand 1/step."""
    return SimSystem(
        node_ids=["r/A", "r/B"], node_region=np.array(["r", "r"], dtype=object), node_product=np.array([0, 1]),
        products=["A", "B"], x0=np.array([1.0, 1.0]), y0=np.array([0.0, 1.0]),
        slot_prod=np.array([0]), slot_buyer=np.array([1]), slot_a=np.array([1.0]), slot_s=np.array([s_days]),
        edge_sup=np.array([0]), edge_buyer=np.array([1]), edge_slot=np.array([0]), edge_z0=np.array([1.0]),
    )


def random_io(seed: int, regions: int = 2, sectors: int = 3, density: float = 0.8) -> SimSystem:
    """A random annual MRIO table with positive final demand, as a system."""
    rng = np.random.default_rng(seed)
    n = regions * sectors
    idx = pd.MultiIndex.from_product([[f"r{i}" for i in range(regions)], [f"s{j}" for j in range(sectors)]])
    Z = rng.uniform(1, 100, (n, n)) * (rng.random((n, n)) < density)
    Y = rng.uniform(50, 200, (n, regions))
    cols = pd.MultiIndex.from_product([[f"r{i}" for i in range(regions)], ["hh"]])
    return from_iotables(pd.DataFrame(Z, idx, idx), pd.DataFrame(Y, idx, cols))


def pairs_loss(n: int, pairs: Any) -> Any:
    """The per-step loss of shock pairs as the numpy loop takes it, written out by hand:
    ``loss(t, k)`` is ``(n, k)``, each (node, run) the largest value live at ``t``."""

    def loss(t: int, k: int) -> np.ndarray:
        out = np.zeros((n, k))
        for p in range(len(pairs.run)):
            b, node = pairs.run[p], pairs.node[p]
            if pairs.onset[p] <= t and b < k:
                out[node, b] = max(out[node, b], pairs.value[t, p])
        return out

    return loss


def assert_batch_kernel_widening_matches(params: Any) -> None:
    """The Monte Carlo batch kernel against the per-step numpy loop, bit for bit, on and off
    the equilibrium (final demand 1 % up: a lane holding a baseline run drifts then, and
    only the exact reset gives a joining run the numbers of one joining alone): twenty runs
    joining one to three at a time (the kernel widens eight lanes at a time), every third
    shock tiny (deliveries close to use again when it ends), the others large, of varied
    lengths."""
    import dataclasses

    import scipy.sparse as sp

    from allychain.simulate.engine import prepare
    from allychain.simulate.mcbatch import ShockPairs, fused_loop, step_loop

    system = random_io(11, 3, 5, 0.6)
    static = prepare(system, params)
    T, B = 50, 20
    rng = np.random.default_rng(4)
    start = np.sort(rng.integers(0, 40, B))
    run = np.repeat(np.arange(B), 2)
    node = rng.integers(0, system.n, len(run))
    onset = start[run].astype(float)
    size = np.where(np.arange(len(run)) % 3 == 0, 3e-5, rng.uniform(0.1, 0.9, len(run)))
    value = size * (np.arange(T)[:, None] < onset + rng.integers(3, 12, len(run)))
    pairs = ShockPairs(node=node, run=run, onset=onset, value=value)
    loss = pairs_loss(system.n, pairs)
    R = sp.csr_matrix(np.eye(system.n))
    assert len(np.unique(start)) > 8
    for stat in (static, dataclasses.replace(static, y0=static.y0 * 1.01)):
        ref, got = np.full((T, system.n, B), -1.0), np.full((T, system.n, B), -1.0)
        step_loop(system, stat, params, loss, start, R, ref, "numpy")
        fused_loop(system, stat, params, pairs, start, R, got)
        assert np.array_equal(got, ref)
        assert (got != -1).any(axis=(0, 1)).all()  # every run joined
