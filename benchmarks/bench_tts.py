"""Benchmark: TTS/TTR for every node of a generated 1,000-node multi-tier network.

Compares
  * allychain's solver — the LP built once (vectorised) and passed to HiGHS once; each
    disruption changes a few column bounds and re-solves warm (one process, then
    ``--workers`` processes);
  * a plain per-node loop — for every node, rebuild the LP from the network tables and
    solve it from scratch with ``scipy.optimize.linprog(method="highs")`` (TTS and impact).

The loop is timed on a random sample of nodes (``--loop-nodes``; all nodes with
``--loop-nodes 0``) and its values are checked equal to allychain's on that sample.
Run:  python benchmarks/bench_tts.py [--nodes 1000] [--loop-nodes 200] [--workers 2] [--samples 10]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np
import pandas as pd


def generate(n_nodes: int = 1000, tiers: int = 5, products_per_tier: int = 10, seed: int = 0):
    """A random multi-tier network: tier k makes products P{k}_{j}; every node of tier k>0
    needs one or two products of tier k-1, each from 1-3 of its makers; the last tier
    has final demand.  Capacities leave 20-60 % headroom over normal use."""
    from allychain.model.network import Network

    rng = np.random.default_rng(seed)
    per_tier = n_nodes // tiers
    rows, edges, bom = [], [], []
    makers: dict[str, list[str]] = {}
    for k in range(tiers):
        for j in range(per_tier):
            p = f"P{k}_{j % products_per_tier}"
            nid = f"t{k}n{j}"
            makers.setdefault(p, []).append(nid)
            last = k == tiers - 1
            rows.append({"node_id": nid, "product": p, "capacity": float(rng.uniform(12, 16)),
                         "inventory": float(rng.uniform(0, 40)),
                         "demand": float(rng.uniform(6, 10)) if last else math.nan,
                         "margin": float(rng.uniform(1, 10)) if last else math.nan,
                         "ttr": float(rng.uniform(2, 12)), "country": ["KOR", "NLD", "JPN", "USA", "TWN"][j % 5]})
    for k in range(1, tiers):
        for j in range(per_tier):
            nid = f"t{k}n{j}"
            for q in rng.choice(products_per_tier, size=int(rng.integers(1, 3)), replace=False):
                p = f"P{k - 1}_{q}"
                bom.append({"node_id": nid, "input_product": p, "quantity": float(rng.uniform(0.3, 0.6))})
                for s in rng.choice(makers[p], size=min(len(makers[p]), int(rng.integers(1, 4))), replace=False):
                    edges.append({"supplier": str(s), "customer": nid})
    return Network(name=f"bench-{n_nodes}", nodes=pd.DataFrame(rows), edges=pd.DataFrame(edges),
                   bom=pd.DataFrame(bom))


def per_node_loop(network, node_ids, ttrs, horizon=1e6):
    """Rebuild the LP from the tables and solve from scratch for every node (scipy)."""
    from scipy.optimize import linprog

    from allychain.optimize.ttr_tts import build_model

    tts, impact = [], []
    for node, ttr in zip(node_ids, ttrs, strict=False):
        m = build_model(network)  # rebuild from the network tables
        k = int(m.index([node])[0])
        for mode in ("tts", "impact"):
            lp = m.lp_for(mode, [k], t=ttr if mode == "impact" else None)
            hi = lp.col_hi.copy()
            if mode == "tts":
                hi[m.t_col] = horizon
            bounds = np.column_stack([lp.col_lo, np.where(np.isinf(hi), np.nan, hi)])
            bounds = [(lo, None if np.isnan(h) else h) for lo, h in bounds]
            r = linprog(lp.c, A_ub=lp.A.tocsr(), b_ub=lp.row_hi, bounds=bounds, method="highs")
            if r.status != 0:
                raise RuntimeError(f"linprog failed for {node} ({mode}): {r.message}")
            if mode == "tts":
                v = -r.fun
                tts.append(math.inf if v >= horizon * (1 - 1e-9) else v)
            else:
                impact.append(r.fun)
    return np.array(tts), np.array(impact)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--loop-nodes", type=int, default=200, help="nodes timed in the per-node loop (0: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--samples", type=int, default=10, help="Monte Carlo TTR samples per node (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    from allychain.optimize.montecarlo import tts_ttr_montecarlo
    from allychain.optimize.ttr_tts import build_model, tts_ttr

    net = generate(a.nodes, seed=a.seed)
    t0 = time.perf_counter()
    model = build_model(net)
    t_build = time.perf_counter() - t0
    rows, cols = model.lp.shape
    print(f"network: {len(net.nodes)} nodes, {len(net.edges)} edges, {len(net.bom)} bom rows; "
          f"LP {rows} rows x {cols} columns, {model.lp.A.nnz} non-zeros; build {t_build:.3f} s")

    t0 = time.perf_counter()
    res = tts_ttr(model)
    t_warm = time.perf_counter() - t0 + t_build
    print(f"allychain (1 process): {t_warm:.2f} s", flush=True)
    table = res.table.set_index("disruption")
    results = [("allychain: build once, warm re-solves (1 process)", len(table), t_warm)]

    if a.workers > 1:
        t0 = time.perf_counter()
        par = tts_ttr(model, workers=a.workers).table.set_index("disruption")
        t_par = time.perf_counter() - t0 + t_build
        same = np.allclose(par["tts"].replace(np.inf, -1), table["tts"].replace(np.inf, -1), rtol=1e-6, atol=1e-6) \
            and np.allclose(par["impact"], table["impact"], rtol=1e-6, atol=1e-6)
        results.append((f"allychain: {a.workers} processes", len(par), t_par))
        print(f"parallel values equal to serial: {same}")

    rng = np.random.default_rng(a.seed)
    ids = np.array(table.index)
    sample = ids if a.loop_nodes <= 0 or a.loop_nodes >= len(ids) else rng.choice(ids, a.loop_nodes, replace=False)
    t0 = time.perf_counter()
    l_tts, l_imp = per_node_loop(net, list(sample), list(table.loc[sample, "ttr"]))
    t_loop = time.perf_counter() - t0
    print(f"per-node loop: {t_loop:.2f} s for {len(sample)} nodes", flush=True)
    results.append(("per-node loop: rebuild + scipy linprog(highs)", len(sample), t_loop))
    got_tts = table.loc[sample, "tts"].to_numpy()
    got_imp = table.loc[sample, "impact"].to_numpy()
    both_inf = np.isinf(got_tts) & np.isinf(l_tts)
    tts_ok = both_inf | np.isclose(got_tts, l_tts, rtol=1e-6, atol=1e-6)
    imp_ok = np.isclose(got_imp, l_imp, rtol=1e-6, atol=1e-6)
    fin = np.isfinite(got_tts) & np.isfinite(l_tts)
    d_tts = float(np.max(np.abs(got_tts[fin] - l_tts[fin]), initial=0.0))
    print(f"values checked on {len(sample)} nodes: TTS equal {int(tts_ok.sum())}/{len(sample)}, "
          f"impact equal {int(imp_ok.sum())}/{len(sample)}; max |ΔTTS| {d_tts:.2e}, "
          f"max |Δimpact| {np.max(np.abs(got_imp - l_imp)):.2e}")

    if a.samples > 0:
        t0 = time.perf_counter()
        mc = tts_ttr_montecarlo(model, a.samples, seed=a.seed)
        t_mc = time.perf_counter() - t0
        print(f"Monte Carlo: {len(mc['summary'])} nodes x {a.samples} TTR samples = "
              f"{len(mc['summary']) * (a.samples + 1)} LP solves in {t_mc:.1f} s "
              f"({len(mc['summary']) * (a.samples + 1) / t_mc:.0f} solves/s)")

    loop_rate = len(sample) / t_loop
    print()
    print(f"{'method':52s} {'nodes':>6s} {'time [s]':>9s} {'nodes/s':>9s} {'speed-up':>9s}")
    for name, n, t in results:
        rate = n / t
        print(f"{name:52s} {n:6d} {t:9.2f} {rate:9.1f} {rate / loop_rate:8.1f}x")
    print(f"\nunprotected: {int(res.table['unprotected'].fillna(False).sum())} of {len(res.table)} nodes; "
          f"python {platform.python_version()}, {os.cpu_count()} CPUs visible")
    if not (tts_ok.all() and imp_ok.all()):
        raise SystemExit("values differ between allychain and the per-node loop")


if __name__ == "__main__":
    main()
