"""Where a fused step's time goes, pass by pass, for one run of a generated IO system.

The node pass and each slot pass of the fused kernel (``allychain.simulate._fused_nb``)
timed on their own from one shocked state, best of ``--repeat``, beside one sparse
matrix–vector product over the same flow matrix (the yardstick of ``bench_sim.py``).  The
BoARIO slot pass is timed with its guess of the per-run test outcomes right (the usual
step), with the keep-stocks guess wrong, with the no-gap guess wrong, and with both wrong
(the steps where a shock starts or ends).

    python benchmarks/bench_fused_passes.py           # 20 × 100 = 2,000 region-sectors
    python benchmarks/bench_fused_passes.py --big     # 49 × 200 = 9,800
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", action="store_true", help="49 × 200 = 9,800 region-sectors instead of 20 × 100")
    ap.add_argument("--repeat", type=int, default=7, help="best of this many calls of each")
    args = ap.parse_args()
    import scipy.sparse as sp
    from bench_sim import generated_tables

    from allychain.simulate import Forcing, Params, from_iotables
    from allychain.simulate import _fused_nb as NB
    from allychain.simulate import fused as F
    from allychain.simulate.engine import prepare, run

    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}", flush=True)
    R, S = (49, 200) if args.big else (20, 100)
    Z, Y = generated_tables(R, S, 0.1)
    params = Params().with_compat("boario")
    system = from_iotables(Z, Y, sort=True)
    static = prepare(system, params)
    del Z, Y
    path = np.zeros((3, system.n))
    path[:, 0] = 0.5  # bench_sim's shock: half of node 0's capacity from step 0
    state = run(system, Forcing(batch=1, n=system.n, path=path), 2, params, static=static, engine="fused")
    assert state.boario_flags is not None
    a = F.arrays(system, static)
    n, m = system.n, system.m
    print(f"{R} × {S} = {n:,} nodes, {m:,} slots, {len(a['p_val']):,} flows; tests' outcome in the state: "
          f"keep stocks {bool(state.boario_flags[0, 0])}, no gap {bool(state.boario_flags[1, 0])}", flush=True)
    delta = np.zeros((n, 1))
    delta[0] = 0.5
    y = np.ascontiguousarray(static.y0)
    D, alpha, xcap, xopt, x, f, c, cf = (np.empty((n, 1)) for _ in range(8))
    oc = state.oc if state.oc is not None else np.ones((0, 1))

    def node_pass() -> None:
        NB.node_pass(a["p_ptr"], a["p_idx"], a["p_val"], state.og, oc, state.oc is not None, y, delta, state.alpha,
                     state.x, True, params.alpha_base, params.alpha_max, params.alpha_tau,
                     params.alpha_relax == "exact_zero", a["x0"], a["cap_den"], a["slot_ptr"], a["bind"], a["need"],
                     state.stock, params.order_type == "alt", D, alpha, xcap, xopt, x, f, c, cf)

    node_pass()
    none = np.zeros((0, 1))
    stock, og_new = np.empty((m, 1)), np.empty((m, 1))
    slot_args = (a["t_ptr"], a["t_idx"], a["t_val"], cf, c, state.og, params.order_type == "alt", False, none, none,
                 a["buyer"], a["a"], a["goal"], a["finite"], a["inv_den0"], static.rate, x, xopt, state.stock, stock,
                 og_new)
    right = state.boario_flags.copy()
    flip_keep, flip_gap = right.copy(), right.copy()
    flip_keep[0] = ~flip_keep[0]
    flip_gap[1] = ~flip_gap[1]
    P = sp.csr_matrix(static.P)
    v = np.random.default_rng(0).random(P.shape[1])
    cases = {
        "SpMV P v (scipy)": lambda: P @ v,
        "node pass": node_pass,
        "slot pass, default mode": lambda: NB.slot_pass(*slot_args),
        "slot pass, BoARIO, guess right": lambda: NB.slot_pass_boario(*slot_args, right.copy(), none),
        "slot pass, BoARIO, keep guess wrong": lambda: NB.slot_pass_boario(*slot_args, flip_keep.copy(), none),
        "slot pass, BoARIO, gap guess wrong": lambda: NB.slot_pass_boario(*slot_args, flip_gap.copy(), none),
        "slot pass, BoARIO, both wrong": lambda: NB.slot_pass_boario(*slot_args, ~right, none),
    }
    for fn in cases.values():
        fn()
    best = dict.fromkeys(cases, np.inf)
    for _ in range(args.repeat):  # interleaved: the load of a shared machine falls on all alike
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    spmv = best["SpMV P v (scipy)"]
    for name, t in best.items():
        print(f"{name:38s} {1e3 * t:9.2f} ms {t / spmv:7.2f} ×SpMV")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
