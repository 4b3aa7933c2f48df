"""Benchmark of the simulation engine against BoARIO 0.7 (ARIOPsiModel).

Per-step wall time and peak traced memory (tracemalloc: model construction from the
tables plus the first steps) on pymrio's test system and on generated region × sector
tables, the largest relative difference of the production paths (our compat mode vs
BoARIO, same shock, every timed step), plus Monte Carlo throughput on a share network.
Every ratio in one table comes from one run of this script.

Engines: ``numpy`` (the reference), ``fused`` (the numba kernel) and ``torch`` (the
accelerator backend, on CUDA when a GPU is available, else on the CPU), each when
installed (``--engines`` picks some).  The yardstick is one
sparse matrix–vector product over the same flow matrix (scipy CSR, one run): a step
cannot be cheaper than reading the flows once, and each engine's step is printed as a
multiple of it.

    python benchmarks/bench_sim.py                 # test system + 20 × 100 table + Monte Carlo
    python benchmarks/bench_sim.py --big           # also 49 × 200 = 9,800 (BoARIO needs ~6 GiB)
    python benchmarks/bench_sim.py --mc-data PATH  # Monte Carlo network (default: builtin+eto)
    python benchmarks/bench_sim.py --departures    # effect of each BoARIO choice we depart from
    python benchmarks/bench_sim.py --engines numpy,torch --mc-batch-torch 4096   # e.g. on a GPU machine
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


def time_boario(mrio, steps: int, shock_node: int = 0) -> tuple[float, float, np.ndarray]:
    """(seconds per step, peak MiB, production of steps 0 … steps) for BoARIO's
    ARIOPsiModel with a 50 % loss at one node from step 0."""
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
    x = sim.production_realised.to_numpy()[: steps + 1].copy()
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
    return per, peak, x


def time_spmv(Z, Y, repeat: int = 20) -> float:
    """Seconds of one product ``P v`` over the flow matrix the engine reads (best of
    ``repeat``): the memory-bandwidth yardstick."""
    from allychain.simulate import Params, from_iotables
    from allychain.simulate.engine import prepare

    system = from_iotables(Z, Y)
    P = prepare(system, Params()).P.tocsr()
    v = np.random.default_rng(0).random(P.shape[1])
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        P @ v
        best = min(best, time.perf_counter() - t0)
    return float(best)


def time_ours(Z, Y, steps: int, compat: str | None, shock_node: int = 0,
              engine: str = "numpy", device: str | None = None) -> tuple[float, float, np.ndarray]:
    """(seconds per step, peak MiB, production of steps 0 … steps) for our engine with a
    recorder.  As for BoARIO, building the model (tables → system → engine arrays) is not
    in the per-step time, but it is in the peak memory."""
    from allychain.simulate import Forcing, Params, from_iotables
    from allychain.simulate.engine import prepare, run
    from allychain.simulate.recorder import Recorder

    params = Params().with_compat(compat)

    def build():
        system = from_iotables(Z, Y, sort=params.sort_labels)
        return system, prepare(system, params)

    def forcing(system, k):
        path = np.zeros((k, system.n))
        path[:, shock_node] = 0.5
        return Forcing(batch=1, n=system.n, path=path)

    system, static = build()
    rec = Recorder(system, steps + 1, 1, relevant=static.relevant)
    f = forcing(system, steps + 1)
    state = run(system, f, 1, params, observers=[rec], static=static, engine=engine, device=device)  # warm-up, JIT
    t0 = time.perf_counter()
    run(system, f, steps, params, observers=[rec], static=static, state=state, engine=engine, device=device)
    per = (time.perf_counter() - t0) / steps
    x = rec.arrays["production"][:, 0, :].copy()
    del system, static, rec, state
    gc.collect()
    tracemalloc.start()
    system, static = build()
    k = min(steps, 3)
    run(system, forcing(system, k), k, params, observers=[Recorder(system, k, 1, relevant=static.relevant)],
        static=static, engine=engine, device=device)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return per, peak, x


MC_SPEC = {
    "name": "fab fires and regional earthquakes",
    "horizon": 365,
    "hazards": [
        {"name": "fab fire", "candidates": {}, "pick": 1, "probability": 0.5,
         "loss": {"dist": "uniform", "low": 0.2, "high": 0.9}, "onset": {"dist": "integer", "low": 0, "high": 200},
         "duration": {"dist": "lognormal", "median": 20, "sigma": 0.5}, "recovery": {"profile": "linear", "steps": 30}},
        {"name": "regional earthquake", "regional": True, "correlation": 0.8, "candidates": {},
         "probability": 0.2, "loss": {"dist": "beta", "a": 2, "b": 5}, "onset": {"dist": "integer", "low": 0, "high": 200},
         "duration": 10, "recovery": {"profile": "exponential", "steps": 30}},
    ],
}


def montecarlo_throughput(data: str, runs: int, workers: int, batch: int = 256, engine: str = "numpy",
                          device: str | None = None) -> dict:
    """Wall time of ``runs`` one-year runs of :data:`MC_SPEC` on ``data`` (a share network
    as country × item nodes): a fire at one non-ROW node in half the runs, an earthquake
    in one of the five largest producer countries in a fifth of them."""
    import copy

    from allychain.data.load import load
    from allychain.simulate import build_system
    from allychain.simulate.montecarlo import parse_spec, run_montecarlo

    system = build_system(load(data))
    out = pd.Series(system.x0).groupby(np.asarray(system.node_region, dtype=str)).sum()
    top = [r for r in out.sort_values(ascending=False).index if r != "ROW"][:5]
    doc = copy.deepcopy(MC_SPEC)
    doc["hazards"][0]["candidates"] = {"region": [r for r in system.regions if r != "ROW"]}
    doc["hazards"][1]["candidates"] = {"region": top}
    doc["groups"] = {"top5": top}
    spec = parse_spec(doc, "bench_sim.MC_SPEC")
    t0 = time.perf_counter()
    res = run_montecarlo(spec, system, runs=runs, seed=0, batch_size=batch, workers=workers, engine=engine,
                         device=device)
    dt = time.perf_counter() - t0
    return {"system": repr(system), "engine": engine if device is None else f"{engine} on {device}", "runs": runs,
            "workers": workers if engine != "torch" else 1, "batch": batch, "seconds": dt,
            "runs_per_s": runs / dt, "mean_loss_share": float(res.runs["total|total_loss_share"].mean())}


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
    ap.add_argument("--big", action="store_true", help="also a 49 × 200 = 9,800 table (BoARIO needs ~6 GiB)")
    ap.add_argument("--departures", action="store_true", help="only the departures table")
    ap.add_argument("--steps", type=int, default=40, help="steps timed on the 2,000 table (4× on the test system)")
    ap.add_argument("--mc-data", default="builtin+eto", help="network for the Monte Carlo throughput")
    ap.add_argument("--mc-runs", type=int, default=10_000)
    ap.add_argument("--mc-workers", type=int, default=2)
    ap.add_argument("--no-mc", action="store_true", help="skip the Monte Carlo throughput")
    ap.add_argument("--engines", default=None, help="comma-separated engines (default: every one installed)")
    ap.add_argument("--mc-engines", default=None,
                    help="engines of the Monte Carlo throughput (default: all of --engines, torch only on a GPU)")
    ap.add_argument("--mc-batch-torch", type=int, default=None,
                    help="Monte Carlo batch of the torch engine (default: 4096 on a GPU, 256 on the CPU)")
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    if args.departures:
        print(departures().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        return
    import os

    import pymrio

    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}", flush=True)
    from allychain.simulate import accel
    from allychain.simulate.fused import resolve_engine

    engines = ["numpy", *(["fused"] if resolve_engine("auto") == "fused" else []),
               *(["torch"] if accel.available() else [])]
    if args.engines:
        engines = [e for e in engines if e in args.engines.split(",")]
    device = accel.resolve_device("auto") if "torch" in engines else None
    if device == "cpu":  # torch's CPU thread pool only adds waiting on small systems and a shared machine
        __import__("torch").set_num_threads(1)
    print(f"engines: {', '.join(engines)}" + (f"; torch {__import__('torch').__version__} on {device}"
                                              if device else ""), flush=True)

    def dev(e: str) -> str | None:
        return device if e == "torch" else None

    mc_batch = {e: 256 for e in engines}
    if "torch" in engines:
        mc_batch["torch"] = args.mc_batch_torch or (4096 if str(device).startswith("cuda") else 256)
    # Monte Carlo first: worker processes forked from a small, single-threaded process
    # (numpy engine); the fused engine runs its batches on threads
    mc_engines = [e for e in engines if e != "torch" or str(device).startswith("cuda")]
    if args.mc_engines:
        mc_engines = [e for e in engines if e in args.mc_engines.split(",")]
    for e in ("fused", "torch"):
        if e in mc_engines and not args.no_mc:  # compile (or load) the kernel, warm the device, before timing
            montecarlo_throughput(args.mc_data, 8, 1, 8, e, dev(e))
    mc = [] if args.no_mc else [montecarlo_throughput(args.mc_data, args.mc_runs, args.mc_workers, mc_batch[e],
                                                      engine=e, device=dev(e)) for e in mc_engines]
    cases = [("pymrio test 6 × 8 = 48", pymrio.load_test().calc_all(), None, args.steps * 4)]
    for R, S, dens, steps in [(20, 100, 0.1, args.steps)] + ([(49, 200, 0.1, 3)] if args.big else []):
        Z, Y = generated_tables(R, S, dens)
        cases.append((f"generated {R} × {S} = {R * S} (density {dens})", pymrio_system(Z, Y), (Z, Y), steps))
    rows = []
    for name, mrio, zy, steps in cases:
        Z, Y = zy if zy is not None else (mrio.Z, mrio.Y)
        b_t, b_m, b_x = time_boario(mrio, steps)
        gc.collect()
        spmv = time_spmv(Z, Y)
        row = {"system": name, "steps timed": steps, "SpMV ms": 1e3 * spmv, "BoARIO ms/step": 1e3 * b_t}
        for eng in engines:
            o_t, o_m, o_x = time_ours(Z, Y, steps, "boario", engine=eng, device=dev(eng))
            d_t, d_m, _ = time_ours(Z, Y, steps, None, engine=eng, device=dev(eng))
            diff = float(np.max(np.abs(o_x - b_x) / np.maximum(np.abs(b_x), 1e-300)))
            row.update({f"{eng} compat ms/step": 1e3 * o_t, f"{eng} default ms/step": 1e3 * d_t,
                        f"{eng} compat ×SpMV": o_t / spmv, f"{eng} default ×SpMV": d_t / spmv,
                        f"BoARIO/{eng} (compat)": b_t / o_t, f"{eng} peak MiB": o_m,
                        f"{eng} max rel diff x vs BoARIO": diff})
        row["BoARIO peak MiB"] = b_m
        rows.append(row)
        print(rows[-1], flush=True)
        del mrio
        gc.collect()
    print(pd.DataFrame(rows).set_index("system").T.to_string(float_format=lambda v: f"{v:.3g}"), flush=True)
    for r in mc:
        how = {"fused": "threads", "numpy": "processes"}.get(r["engine"], "(one device)")
        print(f"\nMonte Carlo ({r['engine']}), {r['system']}, {r['runs']} runs × 365 steps, {r['workers']} worker "
              f"{how}, batches of {r['batch']}: {r['seconds']:.1f} s, {r['runs_per_s']:.0f} runs/s "
              f"({r['runs_per_s'] * 365:.0f} run-steps/s); mean total loss share {r['mean_loss_share']:.6g}")
    for r in mc[1:]:
        print(f"Monte Carlo speed-up {r['engine']}/numpy: {r['runs_per_s'] / mc[0]['runs_per_s']:.2f}×; "
              f"same mean loss: {mc[0]['mean_loss_share'] == r['mean_loss_share']}")


if __name__ == "__main__":
    main()
