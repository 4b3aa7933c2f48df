"""The fused kernel's BoARIO mode guesses the outcome of the two per-run ``allclose`` tests
(stocks kept, no gap) from the last step and redoes the runs it guessed wrong.  Every guess,
right or wrong, must give the numpy engine's step bit for bit, and the outcome it hands on
must be the numpy engine's own tests.  The shocks here make the outcomes flip: a shock
starting, a small one ending (deliveries close to use again while the stocks stay short),
runs of one batch disagreeing, runs joining a batch."""

from __future__ import annotations

import itertools
from dataclasses import fields, replace

import numpy as np
import pytest

pytest.importorskip("numba", reason="the fused engine needs numba (pip install 'allychain[fast]')")

from sim_helpers import assert_batch_kernel_widening_matches, random_io  # noqa: E402

from allychain.simulate import Params  # noqa: E402
from allychain.simulate import kernels as K  # noqa: E402
from allychain.simulate.engine import initial_state, prepare, run, step  # noqa: E402
from allychain.simulate.forcing import Forcing  # noqa: E402
from allychain.simulate.recorder import Recorder  # noqa: E402
from allychain.simulate.state import State  # noqa: E402

T = 30


def _params(order: str, inv: float, lags: bool) -> Params:
    p = Params(order_type=order, inventory_days=inv).with_compat("boario")
    return replace(p, transport_lags=True, lead_time=2.0) if lags else p


def _losses(n: int, B: int) -> np.ndarray:
    """``(B, T, n)`` capacity losses: run 0 never shocked; run 1 a tiny loss at node 0 for
    steps 3–9 (its deliveries are close to use again from step 11, its stocks stay short);
    run 2 a large loss at nodes 1 and 3 for steps 5–11; run 3 a small one at node 2 from 8."""
    path = np.zeros((B, T, n))
    if B > 1:
        path[1, 3:10, 0] = 3e-5
    if B > 2:
        path[2, 5:12, [1, 3]] = 0.4
    if B > 3:
        path[3, 8:, 2] = 3e-4
    if B == 1:
        path[0, 3:10, 0] = 3e-5
    return path


def _copy(state: State) -> State:
    return State(**{f.name: (v.copy() if isinstance(v := getattr(state, f.name), np.ndarray) else v)
                    for f in fields(State)})


def _transitions(flags: np.ndarray) -> set[tuple[int, bool, bool]]:
    """``(row, before, after)`` for every change of a run's outcome over ``flags`` ``(T, 2, B)``."""
    out = set()
    for t, r, b in zip(*np.nonzero(flags[1:] != flags[:-1]), strict=True):
        out.add((int(r), bool(flags[t, r, b]), bool(flags[t + 1, r, b])))
    return out


@pytest.mark.parametrize(("order", "inv", "lags"),
                         [("alt", 2.0, False), ("noalt", 15.0, False), ("alt", 15.0, True),
                          ("alt", float("inf"), False)])
def test_every_guess_gives_the_numpy_step_and_its_tests(order, inv, lags, monkeypatch):
    """At every step of a numpy-engine trajectory, the fused step from the same state under
    each guess (all four uniform ones and random per-run ones) against the numpy step."""
    system = random_io(2, 2, 3, 0.8)
    params = _params(order, inv, lags)
    static = prepare(system, params)
    B = 4
    path = _losses(system.n, B)
    tests: list[np.ndarray] = []  # the numpy engine's allclose outcomes, in call order
    real = K.allclose_cols

    def spy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        tests.append(real(a, b))
        return tests[-1]

    monkeypatch.setattr(K, "allclose_cols", spy)
    rng = np.random.default_rng(0)
    state = initial_state(system, static, params, B)
    seen = []
    for t in range(T):
        delta = np.ascontiguousarray(path[:, t].T)
        tests.clear()
        ref, _ = step(system, static, params, _copy(state), delta, engine="numpy")
        assert len(tests) == 2  # keep stocks (deliveries vs use), no gap (stocks vs goals)
        truth = np.vstack(tests)
        seen.append(truth)
        guesses = [np.repeat(np.array(g)[:, None], B, axis=1) for g in itertools.product([True, False], repeat=2)]
        guesses += [rng.random((2, B)) < 0.5 for _ in range(3)]
        for guess in guesses:
            s = _copy(state)
            s.boario_flags = guess.copy()
            got, _ = step(system, static, params, s, delta, engine="fused")
            for f in ("alpha", "stock", "x", "og", "oc", "pipeline"):
                a, b = getattr(ref, f), getattr(got, f)
                assert (a is None) == (b is None), f
                assert a is None or np.array_equal(a, b), (t, f, guess)
            assert np.array_equal(got.boario_flags, truth), (t, guess)
            assert np.array_equal(s.boario_flags, guess)  # the guess in the old state is left alone
        state = ref
    assert "fused" in static.cache  # the kernel ran, not the fallback
    flags = np.array(seen)
    moves = _transitions(flags)
    assert {(0, True, False), (0, False, True)} <= moves  # stocks kept → updated → kept again
    if np.isfinite(inv):
        assert (1, True, False) in moves
    else:  # no finite stock: the no-gap test has nothing to fail on
        assert flags[:, 1].all()
    assert (flags != flags[:, :, :1]).any()  # runs of the batch disagree
    assert flags[:, :, 0].all()  # the run never shocked stays at its baseline


@pytest.mark.parametrize(("B", "order", "lags"), [(1, "alt", False), (4, "alt", False), (4, "noalt", True),
                                                  (1, "alt", True)])
def test_runs_carry_their_guess_and_agree_bit_for_bit(B, order, lags):
    """Whole runs (each step guessing from the last) on both engines: every recorded array
    and stock the same bits, and the outcomes flip along the way."""
    system = random_io(2, 2, 3, 0.8)
    params = _params(order, 2.0, lags)
    path = _losses(system.n, B)
    res, flags = [], []
    for eng in ("numpy", "fused"):
        static = prepare(system, params)
        rec = Recorder(system, T, B, stocks=True, relevant=static.relevant)
        seen: list[np.ndarray] = []

        def obs(out: object, state: State, seen: list[np.ndarray] = seen) -> None:
            if state.boario_flags is not None:
                seen.append(state.boario_flags.copy())

        run(system, Forcing(batch=B, n=system.n, e=system.e, path=path), T, params, observers=[rec, obs],
            static=static, engine=eng)
        res.append(rec.result(params))
        flags.append(seen)
    ref, got = res
    assert ref.arrays.keys() == got.arrays.keys()
    for k in ref.arrays:
        assert np.array_equal(ref.arrays[k], got.arrays[k]), k
    assert np.array_equal(ref.stocks, got.stocks)
    assert flags[0] == [] and len(flags[1]) == T  # only the fused kernel guesses
    assert {(0, True, False), (0, False, True), (1, True, False)} <= _transitions(np.array(flags[1]))


@pytest.mark.parametrize("alt", [True, False])
@pytest.mark.parametrize("pipe", [False, True])
@pytest.mark.parametrize("finite", [(True, True), (True, False)])
def test_slot_pass_at_the_edges_of_the_tests(alt, pipe, finite):
    """The slot pass alone on two slots and 64 runs whose deliveries and stocks sit just
    inside or just outside the ``allclose`` tolerance (rtol 1e-5) of use and goals, under
    every uniform guess and random per-run ones, batch and single run, against the numpy
    engine's kernels: ``update_stocks``, ``slot_need``, ``allclose_cols``."""
    import scipy.sparse as sp

    from allychain.simulate._fused_nb import slot_pass_boario

    rng = np.random.default_rng(7)
    m = n = 2
    B = 64
    near = np.array([1 - 2e-5, 1 - 0.95e-5, 1.0, 1 + 0.95e-5, 1 + 2e-5])
    buyer = np.array([0, 1], dtype=np.int32)  # slot s is node s's, supplied by node 1 − s
    t_ptr, t_idx, t_val = np.array([0, 1, 2], dtype=np.int32), np.array([1, 0], dtype=np.int32), np.array([1.0, 2.0])
    PT = sp.csr_matrix((t_val, t_idx, t_ptr), shape=(m, n))
    a, goal, rate = np.array([1.0, 0.5]), np.array([3.0, 4.0]), 0.25
    inv_den0 = 1.0 / t_val
    fin = np.array(finite)
    x = rng.uniform(0.5, 2.0, (n, B))
    xopt = x * rng.choice([1.0, 1.2], (n, B))
    use = x[buyer] * a[:, None]
    og = rng.choice([1.0, 0.75], (m, B))
    c = rng.uniform(0.5, 1.0, (n, B))
    # deliveries near use, stocks near goals: run by run, some in, some out of tolerance
    add_target = use * rng.choice(near, (m, B))
    cf = np.empty((n, B))
    cf[t_idx] = add_target / (t_val[:, None] * og)
    stock_old = xopt[buyer] * goal[:, None] * rng.choice(near, (m, B))
    pipe_now0 = add_target.copy() if pipe else np.zeros((0, B))
    # the reference: the numpy engine's kernels
    sent = og * (PT @ cf)
    add = pipe_now0.copy() if pipe else sent
    stock_ref = K.update_stocks(stock_old, add, use, True)
    need = K.slot_need(use, xopt[buyer], stock_ref, goal[:, None], rate, None if fin.all() else fin, True)
    if alt:
        with np.errstate(divide="ignore", invalid="ignore"):
            og_ref = need / (PT @ c)
        og_ref[~np.isfinite(og_ref)] = 0.0
    else:
        og_ref = need * inv_den0[:, None]
    flags_ref = np.vstack([K.allclose_cols(add, use), K.allclose_cols(stock_ref[fin], (xopt[buyer] * goal[:, None])[fin])])
    assert len({tuple(f) for f in flags_ref.T}) == 4  # runs with every outcome

    guesses = [np.repeat(np.array(g)[:, None], B, axis=1) for g in itertools.product([True, False], repeat=2)]
    guesses += [rng.random((2, B)) < 0.5 for _ in range(4)]
    for guess in guesses:
        for cols in (slice(None), *([b] for b in range(0, B, 5))):  # the batch, then single runs
            k = B if isinstance(cols, slice) else 1

            def sub(v: np.ndarray, cols: object = cols) -> np.ndarray:
                return np.array(v[:, cols])  # a copy: the kernel empties the pipeline it reads

            pipe_now, pipe_dest = sub(pipe_now0), np.zeros((m, k)) if pipe else np.zeros((0, k))
            stock, og_new, flags = np.empty((m, k)), np.empty((m, k)), sub(guess)
            slot_pass_boario(t_ptr, t_idx, t_val, sub(cf), sub(c), sub(og), alt, pipe, pipe_now, pipe_dest, buyer, a,
                             goal, fin, inv_den0, rate, sub(x), sub(xopt), sub(stock_old), stock, og_new, flags,
                             np.empty((m, k)) if pipe else np.empty((0, k)))
            where = (guess.tolist(), cols)
            assert np.array_equal(stock, sub(stock_ref)), where
            assert np.array_equal(og_new, sub(og_ref)), where
            assert np.array_equal(flags, sub(flags_ref)), where
            if pipe:
                assert np.array_equal(pipe_dest, sub(sent)) and not pipe_now.any(), where


def test_joined_batches_keep_their_outcomes_and_guess_true_for_runs_without():
    from allychain.simulate.state import join

    system = random_io(1, 1, 3)
    params = _params("alt", 15.0, False)
    static = prepare(system, params)
    a, b = initial_state(system, static, params, 2), initial_state(system, static, params, 3)
    assert join(a, b).boario_flags is None
    a.boario_flags = np.array([[False, True], [False, False]])
    both = join(a, b).boario_flags
    assert both is not None and both.shape == (2, 5)
    assert np.array_equal(both, [[False, True, True, True, True], [False, False, True, True, True]])
    assert np.array_equal(join(b, a).boario_flags, [[True, True, True, False, True], [True, True, True, False, False]])


@pytest.mark.parametrize("order", ["alt", "noalt"])
def test_whole_batch_kernel_carries_the_guess_per_lane(order):
    """The Monte Carlo batch kernel in BoARIO's mode (each lane carries its own guess; lanes
    widen eight at a time and a run joining a lane is guessed at its baseline) against the
    per-step numpy loop, on and off the equilibrium, tiny shocks and large ones."""
    assert_batch_kernel_widening_matches(_params(order, 2.0, False))
