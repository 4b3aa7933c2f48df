"""Benchmark of the simulation engine against BoARIO 0.7 (ARIOPsiModel).

Per-step wall time and peak traced memory (tracemalloc: model construction plus the
timed steps) on pymrio's test system and on generated region × sector tables, plus
Monte Carlo throughput.  Every ratio in one table comes from one run of this script.

    python benchmarks/bench_sim.py                 # test system + 20 × 100 table
    python benchmarks/bench_sim.py --big           # also 49 × 100 (EXIOBASE-like regions)
    python benchmarks/bench_sim.py --departures    # effect of each BoARIO choice we depart from
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")


def generated_tables(regions: int, sectors: int, density: float, seed: int = 0):
    """Annual tables with ``density`` non-zero inter-industry flows (a diagonal block
    always present), output 20 % above intermediate use plus final demand."""
    rng = np.random.default_rng(seed)
    n = regions * sectors
    idx = pd.MultiIndex.from_product([[f"r{i:02d}" for i in range(regions)], [f"s{j:03d}" for j in range(sectors)]],
                                     names=["region", "sector"])
    Z = rng.uniform(0.1, 10.0, (n, n)) * (rng.random((n, n)) < density)
    Z[np.arange(n), np.arange(n)] += 1.0
    Y = rng.uniform(10.0, 100.0, (n, regions))
    cols = pd.MultiIndex.from_product([[f"r{i:02d}" for i in range(regions)], ["hh"]], names=["region", "category"])
    return pd.DataFrame(Z, idx, idx), pd.DataFrame(Y, idx, cols)


def pymrio_system(Z, Y):
    import pymrio

    x = (Z.sum(axis=1) + Y.sum(axis=1)).to_frame("indout")
    A = pymrio.calc_A(Z, x)
    return pymrio.IOSystem(Z=Z, Y=Y, x=x, A=A)


def time_boario(mrio, steps: int, shock_node: int = 0) -> tuple[float, float]:
    """(seconds per step, peak MiB) for BoARIO's ARIOPsiModel with a 50 % loss at one node."""
    from boario.extended_models import ARIOPsiModel
    from boario.simulation import Simulation

    class PathSim(Simulation):
        def update_prod_cap_delta_arb(self):
            d = np.zeros_like(self.model.X_0)
            d[shock_node] = 0.5
            self.model.prod_cap_delta_arbitrary = d

    def build():
        return PathSim(ARIOPsiModel(mrio), n_temporal_units_to_sim=steps + 5)

    sim = build()
    sim.next_step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        sim.next_step()
    per = (time.perf_counter() - t0) / steps
    del sim
    gc.collect()
    tracemalloc.start()
    sim = build()
    for _ in range(min(steps, 3)):
        sim.next_step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del sim
    gc.collect()
    return per, peak


def time_ours(Z, Y, steps: int, compat: str | None, batch: int = 1, shock_node: int = 0) -> tuple[float, float]:
    """(seconds per step for the whole batch, peak MiB) for our engine with a recorder."""
    from allychain.simulate import Forcing, Params, from_iotables, simulate

    params = Params().with_compat(compat)

    def go(k, system=None):
        system = system or from_iotables(Z, Y, sort=params.sort_labels)
        path = np.zeros((k, system.n))
        path[:, shock_node] = 0.5
        return simulate(system, k, forcing=Forcing(batch=batch, n=system.n, path=path), params=params)

    system = from_iotables(Z, Y, sort=params.sort_labels)  # built once, like BoARIO's model
    go(2, system)
    t0 = time.perf_counter()
    go(steps, system)
    per = (time.perf_counter() - t0) / steps
    del system
    gc.collect()
    tracemalloc.start()
    go(min(steps, 3))  # construction from the tables included, as for BoARIO
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return per, peak


def montecarlo_throughput(runs: int = 256, batch: int = 128, horizon: int = 365) -> float:
    from importlib import resources
    from pathlib import Path

    from allychain.data.mrio import load_pymrio_test
    from allychain.simulate import build_system
    from allychain.simulate.montecarlo import load_spec, run_montecarlo

    spec = load_spec(Path(str(resources.files("allychain").joinpath("scenarios"))) / "pymrio-test-montecarlo.yaml")
    spec = type(spec)(**{**spec.__dict__, "horizon": horizon})
    system = build_system(load_pymrio_test(), spec.params)
    t0 = time.perf_counter()
    run_montecarlo(spec, system, runs=runs, seed=0, batch_size=batch)
    return runs / (time.perf_counter() - t0)


def departures() -> pd.DataFrame:
    """Effect of each BoARIO choice on the two compat-test shocks: total production loss
    (share of the 365-day output) with BoARIO's choices, with one switched to ours, and
    with all of ours; and the largest relative production difference per node and step."""
    from dataclasses import replace

    from allychain.data.mrio import load_pymrio_test
    from allychain.simulate import Params, build_system, simulate

    net = load_pymrio_test()
    boario = Params().with_compat("boario")
    system = build_system(net, boario)
    T = 365
    shocks = {
        "small: reg3/food 30 % × 30 d": (["reg3/food"], 0.3, 10, 30, 30),
        "large: manufacturing 50 % × 120 d": ([f"reg{r}/manufactoring" for r in range(1, 7)], 0.5, 5, 120, 60),
    }
    variants = {
        "BoARIO 0.7 (compat)": boario,
        "relevance: coefficient > 1e-5": replace(boario, relevance_rule="consistent"),
        "α relaxes when demand met": replace(boario, alpha_relax="nonpositive"),
        "exact stock update and gap": replace(boario, stock_update="exact"),
        "allychain default (all three)": replace(Params(), sort_labels=True),
    }
    rows = []
    for sname, (nodes, m, on, dur, rec) in shocks.items():
        path = np.zeros((T, system.n))
        idx = [system.node_ids.index(k) for k in nodes]
        path[on:on + dur, idx] = m
        path[on + dur:on + dur + rec, idx] = m * np.linspace(1, 0, rec)[:, None]
        ref = None
        for vname, p in variants.items():
            res = simulate(system if p.sort_labels else net, T, capacity_path=path, params=p)
            x = res.arrays["production"][:, 0]
            loss = float((system.x0.sum() - x.sum(axis=1)).clip(min=0).sum() / (system.x0.sum() * T))
            if ref is None:
                ref = x
            rows.append({"shock": sname, "variant": vname, "loss_%": 100 * loss,
                         "max_rel_diff_vs_compat": float(np.max(np.abs(x - ref) / ref)),
                         "end_output_vs_baseline_%": 100 * (x[-1].sum() / system.x0.sum() - 1),
                         "max_alpha_at_end": float(res.arrays["overproduction"][-1, 0].max())})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", action="store_true", help="also a 49 × 100 table (BoARIO needs a few GB)")
    ap.add_argument("--departures", action="store_true", help="only the departures table")
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    if args.departures:
        print(departures().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        return
    import pymrio

    cases = [("pymrio test 6 × 8 = 48", pymrio.load_test().calc_all(), None, args.steps * 4)]
    for R, S, dens, steps in [(20, 100, 0.1, args.steps)] + ([(49, 100, 0.1, 3)] if args.big else []):
        Z, Y = generated_tables(R, S, dens)
        cases.append((f"generated {R} × {S} = {R * S} (density {dens})", pymrio_system(Z, Y), (Z, Y), steps))
    rows = []
    for name, mrio, zy, steps in cases:
        Z, Y = zy if zy is not None else (mrio.Z, mrio.Y)
        b_t, b_m = time_boario(mrio, steps)
        o_t, o_m = time_ours(Z, Y, steps, "boario")
        d_t, d_m = time_ours(Z, Y, steps, None)
        rows.append({"system": name, "steps timed": steps, "BoARIO ms/step": 1e3 * b_t,
                     "ours compat ms/step": 1e3 * o_t, "ours default ms/step": 1e3 * d_t,
                     "speed-up (compat)": b_t / o_t, "BoARIO peak MiB": b_m, "ours peak MiB": o_m,
                     "memory ratio": b_m / o_m})
        print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    rps = montecarlo_throughput()
    print(f"\nMonte Carlo, pymrio test system, 365 steps, batch 128: {rps:.1f} runs/s "
          f"({rps * 365:.0f} run-steps/s)")


if __name__ == "__main__":
    main()
