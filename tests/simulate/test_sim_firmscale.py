"""Firm-scale paths on a 10⁴-link synthetic network, against the small reference paths:
the sparse baseline against a dense solve, the fused kernel against the numpy engine over
one simulated year, memory that grows with the links (no n × n allocation), the estimate
of the sparse storage against the arrays really held, and the ``engine="auto"`` rule."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from allychain.data.synthetic import firm_network, sites_for_links
from allychain.errors import ScenarioError
from allychain.model.network import Network
from allychain.simulate import Forcing, Params, estimate_memory, simulate
from allychain.simulate import fused as F
from allychain.simulate.engine import prepare, run
from allychain.simulate.memory import flow_bytes
from allychain.simulate.networks import baseline_output, from_site_network


@pytest.fixture(scope="module")
def net() -> Network:
    return firm_network(sites_for_links(10_000), seed=11)


@pytest.fixture(scope="module")
def system(net):
    return from_site_network(net)


def _dense_baseline(net: Network) -> np.ndarray:
    """x = (I − M)⁻¹ d with a dense M, the way the site networks were solved before (reference)."""
    ids = {k: i for i, k in enumerate(net.nodes["node_id"])}
    prod = dict(zip(net.nodes["node_id"], net.nodes["product"], strict=True))
    q = {(r.node_id, r.input_product): r.quantity for r in net.bom.itertuples()}
    n = len(ids)
    e = net.edges.assign(p=net.edges["supplier"].map(prod))
    tot = e.groupby(["customer", "p"])["share"].transform("sum")
    M = np.zeros((n, n))
    for s, c, p, sh, t in zip(e["supplier"], e["customer"], e["p"], e["share"], tot, strict=True):
        M[ids[s], ids[c]] += sh / t * q.get((c, p), 0.0)
    return np.linalg.solve(np.eye(n) - M, net.nodes["demand"].fillna(0.0).to_numpy())


def test_the_sparse_baseline_equals_a_dense_solve(net, system) -> None:
    ref = _dense_baseline(net)
    assert np.allclose(system.x0, ref, rtol=1e-12, atol=1e-12 * ref.max())


def test_a_network_with_a_cycle_is_solved_by_sparse_lu_and_a_singular_one_refused() -> None:
    M = sp.csr_matrix(np.array([[0.0, 0.5, 0.0], [0.5, 0.0, 1.0], [0.0, 0.0, 0.0]]))  # a ↔ b, b → c
    d = np.array([0.0, 0.0, 1.0])
    x = baseline_output(M, d)
    assert np.allclose(x, np.linalg.solve(np.eye(3) - M.toarray(), d))
    assert np.allclose(x, [2 / 3, 4 / 3, 1.0])
    with pytest.raises(ScenarioError, match="singular"):
        baseline_output(sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]])), np.array([1.0, 0.0]))


def _shock(system, steps: int, batch: int = 1) -> Forcing:
    path = np.zeros((batch, steps, system.n))
    big = np.argsort(-system.x0)[:5]
    for b in range(batch):
        path[b, 10:40, big[b % 5:]] = 0.6 + 0.1 * b
    return Forcing(batch=batch, n=system.n, path=path)


@pytest.mark.parametrize("compat", [None, "boario"])
def test_one_year_fused_equals_numpy(system, compat) -> None:
    pytest.importorskip("numba")
    f = _shock(system, 365)
    ref = simulate(system, 365, forcing=f, compat=compat, engine="numpy")
    got = simulate(system, 365, forcing=f, compat=compat, engine="fused")
    for v in ref.arrays:
        assert np.allclose(ref.arrays[v], got.arrays[v], rtol=1e-12, atol=0, equal_nan=True), v
    x = ref.arrays["production"][:, 0, :].sum(axis=1)
    assert x[40] < 0.99 * x[0]  # the shock propagates: the comparison is not of two flat baselines


def test_memory_grows_with_links_not_nodes_squared(net) -> None:
    """Building the system and the engine's arrays of 1,667 sites holds far less than one
    dense n × n float matrix (22 MB), and the estimate of the sparse storage covers the
    arrays really held."""
    n = len(net.nodes)
    tracemalloc.start()
    system = from_site_network(net)
    static = prepare(system, Params())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.25 * 8 * n * n, peak
    held = sum(a.nbytes for a in (static.PT.data, static.PT.indices, static.PT.indptr, static.noalt_w,
                                  static.edge_lag, static.slot_need, static.slot_goal, static.inv_den0,
                                  static.slot_s, static.relevant, static.x0, static.y0, static.cap_den, static.has))
    est = flow_bytes(system.n, system.m, system.e)
    assert held <= est <= 2.5 * held, (held, est)
    parts = estimate_memory(system, 365, 1, Params(), record=False).parts
    assert parts["flows"] == est
    # linear in the links: ten times the links, about ten times the estimate
    assert flow_bytes(10 * system.n, 10 * system.m, 10 * system.e) == pytest.approx(10 * est, rel=0.01)


def test_auto_takes_numpy_for_one_run_of_a_large_system_and_fused_for_batches(monkeypatch, system) -> None:
    assert F.choose_engine(1, F.AUTO_SINGLE_RUN_MAX_SLOTS) == "fused"
    assert F.choose_engine(1, F.AUTO_SINGLE_RUN_MAX_SLOTS + 1) == "numpy"
    assert all(F.choose_engine(b, m) == "fused" for b in (2, 64) for m in (10, 10**7))
    # the measured cases of docs/benchmarks.md ("Which engine for which run"), each with the
    # engine that was clearly faster there (slots, batch): pymrio's test system single runs,
    # single runs at 2,000 region-sectors, 10⁵ and 10⁶ links, and batches at 2,000
    clear = {(384, 1): "fused", (175_949, 1): "numpy", (39_297, 1): "numpy", (418_568, 1): "numpy",
             (175_949, 16): "fused", (39_297, 64): "fused"}
    assert {k: F.choose_engine(b, m) for k in clear for m, b in [k]} == clear
    monkeypatch.setattr(F, "available", lambda: False)
    assert F.resolve_engine("auto", batch=64, slots=10) == "numpy"  # no numba: always the reference
    monkeypatch.undo()
    pytest.importorskip("numba")
    monkeypatch.setattr(F, "AUTO_SINGLE_RUN_MAX_SLOTS", system.m - 1)  # this system counts as large
    for batch, kernel in [(1, False), (2, True)]:
        static = prepare(system, Params())
        run(system, _shock(system, 3, batch), 3, Params(), static=static, engine="auto")
        assert ("fused" in static.cache) is kernel, batch


def test_the_site_network_refuses_an_edge_to_an_unknown_node(net) -> None:
    bad = net.replace(edges=pd.concat([net.edges, pd.DataFrame({"supplier": ["S0000000"], "customer": ["nope"]})]))
    with pytest.raises(ScenarioError, match="'nope' is not in the nodes table"):
        from_site_network(bad)
