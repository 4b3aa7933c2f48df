"""Which engine is faster for which batch and system: the measurements behind ``engine="auto"``.

For each system and batch size B, the time of one step of B runs (a capacity shock on the
largest node, no recorder) on the numpy engine and on the fused kernel, both warm
(compiled, first steps discarded), best of three repeats of a few steps.  Prints the
table and, per system, the smallest batch from which the fused kernel is faster.  The rule
in :func:`allychain.simulate.fused.choose_engine` and the table in docs/benchmarks.md come
from this script.

    python benchmarks/bench_engine_choice.py [--big] [--data builtin+eto]

Systems: pymrio's test system (48 region-sectors, IO), the ETO share network (if
available), generated IO tables 20 × 100 = 2,000 (and 49 × 200 = 9,800 with ``--big``),
and synthetic site networks of 10⁴ and 10⁵ links.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
BATCHES = (1, 2, 4, 8, 16, 64)


def systems(big: bool, data: str | None) -> list[tuple[str, object]]:
    from bench_sim import generated_tables

    from allychain.data.load import load
    from allychain.data.synthetic import firm_network, sites_for_links
    from allychain.simulate import build_system, from_iotables

    out: list[tuple[str, object]] = [("pymrio test (IO)", build_system(load("pymrio-test")))]
    if data:
        try:
            out.append((f"{data} (shares)", build_system(load(data))))
        except Exception as exc:  # noqa: BLE001 - the ETO data is optional
            print(f"# {data} not available: {exc}")
    for R, S in [(20, 100)] + ([(49, 200)] if big else []):
        Z, Y = generated_tables(R, S, 0.1)
        out.append((f"generated IO {R} × {S}", from_iotables(Z, Y)))
    for links in (10_000, 100_000):
        out.append((f"synthetic sites {links:,} links", build_system(firm_network(sites_for_links(links), seed=0))))
    return out


def per_step(system: object, batch: int, engine: str, budget: float = 0.6) -> float:
    """Seconds per step of ``batch`` runs (warm, best of three)."""
    from allychain.simulate import Forcing, Params
    from allychain.simulate.engine import initial_state, prepare, run

    params = Params()
    static = prepare(system, params)
    shock = np.zeros((1, system.n))
    shock[0, int(np.argmax(system.x0))] = 0.5

    def forcing(k: int) -> Forcing:
        return Forcing(batch=batch, n=system.n, path=np.repeat(shock, k, axis=0))

    state = run(system, forcing(3), 3, params, static=static, engine=engine)  # warm-up (and JIT)
    t0 = time.perf_counter()
    run(system, forcing(1), 1, params, static=static, state=state, engine=engine)
    one = max(time.perf_counter() - t0, 1e-6)
    steps = int(np.clip(budget / 3 / one, 2, 200))
    best = np.inf
    for _ in range(3):
        st = initial_state(system, static, params, batch)
        st.t = 3
        t0 = time.perf_counter()
        run(system, forcing(3 + steps), steps, params, static=static, state=st, engine=engine)
        best = min(best, (time.perf_counter() - t0) / steps)
    return float(best)


def markdown(df: pd.DataFrame) -> str:
    """A Markdown table (3 significant digits for floats)."""
    def cell(v: object) -> str:
        return f"{v:,.3g}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="also generated IO tables 49 × 200 = 9,800")
    ap.add_argument("--data", default="builtin+eto", help="a share network to include ('' for none)")
    args = ap.parse_args()
    print("# machine:", platform.processor() or platform.machine(), "| uptime:",
          subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rows = []
    for name, system in systems(args.big, args.data or None):
        for b in BATCHES:
            tn = per_step(system, b, "numpy")
            tf = per_step(system, b, "fused")
            rows.append({"system": name, "n": system.n, "m": system.m, "e": system.e, "B": b,
                         "numpy_ms": tn * 1e3, "fused_ms": tf * 1e3, "fused/numpy": tf / tn})
            print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    print(markdown(df))
    wide = df.pivot_table(index=["system", "n", "m", "e"], columns="B", values="fused/numpy", sort=False)
    wide.columns = [f"B={b}" for b in wide.columns]
    print("\nfused time / numpy time per step:\n" + markdown(wide.reset_index()))
    print("\nsmallest batch from which the fused kernel is faster:")
    for name, g in df.groupby("system", sort=False):
        faster = g[g["fused/numpy"] < 1.0]["B"]
        print(f"  {name} (m = {g['m'].iloc[0]:,} slots): {faster.min() if len(faster) else 'none measured'}")
    print("# uptime at the end:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
