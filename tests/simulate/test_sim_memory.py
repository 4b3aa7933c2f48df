"""Memory estimated before it is spent: the estimate matches what numpy allocates, and what
exceeds the limit is refused at once with the figure (never a numpy _ArrayMemoryError)."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

import allychain
from allychain.data.spec import read_montecarlo as load_spec
from allychain.errors import ResourceLimitError
from allychain.limits import MEMORY_LIMIT_ENV, memory_limit, parse_size
from allychain.simulate import Params, estimate_memory, simulate
from allychain.simulate.montecarlo import run_montecarlo

pytest.importorskip("pymrio")


@pytest.fixture(scope="module")
def net():
    return allychain.load("pymrio-test")


def test_the_estimate_matches_what_a_run_allocates(net) -> None:
    steps = 200
    est = estimate_memory(net.io_system() if hasattr(net, "io_system") else _system(net), steps, 1, Params())
    simulate(net, steps=2)  # loading the compiled kernel (once per process) is not part of a run
    tracemalloc.start()
    simulate(net, steps=steps)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # the recorder dominates: 6 variables × 200 steps × 48 nodes × 8 bytes
    assert est.parts["recorder"] == 6 * steps * 48 * 8
    assert 0.5 * est.total <= peak <= 4 * est.total + 2**20


def _system(net):
    from allychain.simulate import build_system

    return build_system(net)


def test_a_billion_steps_is_refused_at_once_with_the_figure(net) -> None:
    t = time.perf_counter()
    with pytest.raises(ResourceLimitError) as exc:
        simulate(net, steps=1_000_000_000)
    assert time.perf_counter() - t < 10  # a hang guard, not a speed goal
    msg = str(exc.value)
    assert "1,000,000,000 steps" in msg and "TiB" in msg and "recorder" in msg and MEMORY_LIMIT_ENV in msg
    assert exc.value.needed == pytest.approx(6 * 10**9 * 48 * 8, rel=0.01)


def test_a_huge_lead_time_is_refused_before_the_pipeline_exists(net) -> None:
    with pytest.raises(ResourceLimitError, match="pipeline"):
        simulate(net, steps=10, params=Params(transport_lags=True, lead_time=2_000_000_000))


def test_the_limit_is_configurable(net, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "100K")
    assert memory_limit()[0] == 100_000
    with pytest.raises(ResourceLimitError, match=r"limit of 97\.7 KiB \(ALLYCHAIN_MEMORY_LIMIT=100K\)"):
        simulate(net, steps=365)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "none")
    assert memory_limit()[0] is None
    simulate(net, steps=5)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "50%")
    assert memory_limit()[0] is not None
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ResourceLimitError, match="not a size"):
        memory_limit()


def test_sizes_parse() -> None:
    assert parse_size("8GiB") == 8 * 2**30 and parse_size("512M") == 512 * 10**6 and parse_size("2e9") == 2 * 10**9
    assert parse_size("0") is None


def test_montecarlo_refuses_batches_that_do_not_fit(net, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import resources

    spec = load_spec(resources.files("allychain").joinpath("scenarios/pymrio-test-montecarlo.yaml"))
    system = _system(net)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1M")
    with pytest.raises(ResourceLimitError, match="Monte Carlo") as exc:
        run_montecarlo(spec, system, runs=100_000, batch_size=10_000)
    assert "--batch-size" in str(exc.value)
    assert np.isfinite(exc.value.needed)


def test_an_allocation_lp_too_large_is_refused_before_it_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from allychain.optimize.allocation import BYTES_PER_ARC, allocate_plan, plan_from_dict

    members, items = [f"M{k}" for k in range(30)], [f"i{j}" for j in range(10)]
    doc = {"items": [{"id": i} for i in items], "members": {m: {"priority": 1} for m in members},
           "shortfalls": [{"member": m, "item": i, "amount": 5} for m in members for i in items],
           "supply": [{"member": m, "item": i, "stockpile": 3} for m in members for i in items]}
    arcs = 30 * 30 * 10
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(arcs * BYTES_PER_ARC - 1))
    with pytest.raises(ResourceLimitError, match="9,000 arcs"):
        allocate_plan(plan_from_dict(doc))
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(arcs * BYTES_PER_ARC))
    res = allocate_plan(plan_from_dict(doc))
    assert res.status.name == "optimal"


def test_a_record_too_large_for_memory_goes_to_a_temporary_file(net, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = 2000  # the record: 6 × 2,000 × 48 × 8 bytes = 4.6 MB; the rest about 0.3 MB
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "none")
    from allychain.simulate import Forcing

    shock = Forcing(batch=1, n=48, e=_system(net).e)
    ref = simulate(net, steps=steps, forcing=shock, capacity_path=_loss(net))
    assert not isinstance(ref.arrays["production"], np.memmap)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1M")
    got = simulate(net, steps=steps, forcing=shock, capacity_path=_loss(net))
    assert isinstance(got.arrays["production"], np.memmap)
    for v in ref.arrays:
        np.testing.assert_array_equal(np.asarray(got.arrays[v]), ref.arrays[v])
    assert ref.arrays["production"].min() < ref.arrays["production"][0].min()  # the shock bites: not a flat run


def _loss(net) -> np.ndarray:
    path = np.zeros((100, 48))
    path[10:40, 20] = 0.6
    return path
