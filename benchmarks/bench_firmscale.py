"""Firm-scale networks: time and peak memory at 10⁴, 10⁵ and 10⁶ supply links.

For each size a synthetic site network (:func:`allychain.data.synthetic.firm_network`,
seed 0, about six links per site) is generated, then each stage runs in **its own
subprocess** (which generates the same network first), so that its peak memory is its own:

* ``generate`` — drawing the network (nodes, edges, bom tables);
* ``year`` — one simulated year: site system (sparse), engine arrays, 365 daily steps of one
  run with a capacity loss of 80 % at the five largest sites for 30 days, on the engine
  ``auto`` picks (and, with ``--both-engines``, on the other one too); per-step totals are
  recorded, not the per-node record (6 floats × nodes × steps: 3 GB a year at 10⁶ links —
  the engine spills it to disk when it does not fit);
* ``dependencies`` — :func:`allychain.analysis.dependencies.dependencies` for KOR;
* ``tts-build`` — compiling the TTS/TTR linear programme of the whole network (sparse);
* ``tts`` — :func:`allychain.optimize.ttr_tts.tts_ttr` for the largest suppliers (by number of
  customers, or ``--tts-pick random`` sites; ``--tts-disruptions`` per size, default 10, 5, 5)
  with ``method="auto"``: the LP
  built once, then each disruption solved on growing regions proved exact
  (:mod:`allychain.optimize.tts_local`; the detail says how many region solves and the
  largest region); stopped at ``--limit`` seconds;
* ``tts-full`` — the same disruptions with ``method="full"`` (the whole programme re-solved
  warm per disruption, plus a baseline solve), for the side-by-side ratio and a check that
  the answers agree (its detail prints the largest relative TTS difference to ``tts`` when
  both ran in this invocation).

Memory is the process's peak resident set (``ru_maxrss``) before and after the stage: "peak"
includes the network the stage starts from, "stage" is what the stage added on top.  The
engine's own estimate (``estimate_memory``) is printed beside the simulated year.

    python benchmarks/bench_firmscale.py [--sizes 10000,100000,1000000] [--both-engines]
        [--limit 600] [--tts-disruptions 10,5,5] [--stages generate,year,dependencies,tts-build,tts,tts-full]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

SIZES = (10_000, 100_000, 1_000_000)
PICK = os.environ.get("BENCH_TTS_PICK", "largest")  # set by --tts-pick for the child processes
STAGES = ("generate", "year", "dependencies", "tts-build", "tts", "tts-full")


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)


def stage(links: int, name: str, engine: str, disruptions: int = 10) -> dict:
    """Run one stage in this process and return its measurements."""
    import numpy as np

    from allychain.analysis.dependencies import dependencies
    from allychain.data.synthetic import firm_network, sites_for_links
    from allychain.optimize.ttr_tts import tts_ttr
    from allychain.optimize.tts_model import build_model, site_view
    from allychain.simulate import Forcing, Params, estimate_memory, fused
    from allychain.simulate.engine import initial_state, prepare, run
    from allychain.simulate.networks import from_site_network

    rss0 = _rss()  # the interpreter and the libraries
    t0 = time.perf_counter()
    net = firm_network(sites_for_links(links), seed=0)
    gen_s = time.perf_counter() - t0
    out: dict = {"links": int(len(net.edges)), "sites": int(len(net.nodes)), "bom_rows": int(len(net.bom)),
                 "stage": name}
    if name == "generate":
        out.update(seconds=gen_s, rss_before_mib=rss0, detail=f"{len(net.bom):,} BOM rows")
        out["rss_peak_mib"] = _rss()
        return out
    before = _rss()
    t0 = time.perf_counter()
    if name == "year":
        system = from_site_network(net)
        del net
        static = prepare(system, Params())
        setup_s = time.perf_counter() - t0
        chosen = fused.resolve_engine(engine, batch=1, slots=system.m)
        path = np.zeros((365, system.n))
        path[10:40, np.argsort(-system.x0)[:5]] = 0.8
        forcing = Forcing(batch=1, n=system.n, path=path)
        totals = []

        def observe(o, _s) -> None:  # noqa: ANN001
            totals.append(float(o.x.sum()))

        # two steps first, outside the timed year: the kernel is compiled (or loaded) on first use
        run(system, forcing, 2, Params(), static=static, engine=chosen, state=initial_state(system, static, Params(), 1))
        t1 = time.perf_counter()
        run(system, forcing, 365, Params(), observers=[observe], static=static, engine=chosen)
        year_s = time.perf_counter() - t1
        est = estimate_memory(system, 365, 1, Params(), record=False)
        loss = 1 - sum(totals) / (365 * totals[0])
        out.update(seconds=setup_s + year_s, detail=(
            f"engine {chosen}; n {system.n:,}, slots {system.m:,}, edges {system.e:,}; set-up {setup_s:.2f} s, "
            f"365 steps {year_s:.2f} s ({year_s / 365 * 1e3:.1f} ms/step); output lost {loss:.3%}; "
            f"estimate {est.total / 2**20:.0f} MiB (flows {est.parts['flows'] / 2**20:.0f} MiB)"))
    elif name == "dependencies":
        dep = dependencies(net, "KOR")
        out.update(seconds=time.perf_counter() - t0,
                   detail=f"{len(dep)} required products, {int(dep['critical'].fillna(False).sum())} critical")
    elif name == "tts-build":
        model = build_model(site_view(net), None)
        out.update(seconds=time.perf_counter() - t0,
                   detail=f"sparse LP {model.lp.A.shape[0]:,} rows × {model.lp.A.shape[1]:,} columns, "
                          f"{model.lp.A.nnz:,} non-zeros")
    elif name in ("tts", "tts-full"):
        from allychain.optimize import tts_local

        if PICK == "random":
            ids = net.nodes["node_id"].sample(disruptions, random_state=0).tolist()
        else:
            deg = net.edges.groupby("supplier").size().sort_values(ascending=False)
            ids = deg.index[:disruptions].tolist()
        counts = {"solves": 0, "largest": 0}
        original = tts_local.LocalSolver._solve

        def counted(self, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
            before = self.stats["solves"]
            r = original(self, *a, **k)
            counts["solves"] += self.stats["solves"] - before
            counts["largest"] = max(counts["largest"], self.stats["largest_region"])
            return r

        tts_local.LocalSolver._solve = counted
        res = tts_ttr(net, ids, method="auto" if name == "tts" else "full")
        t = res["tts"]
        out["tts"] = [float(v) for v in t["tts"]]
        out["impact"] = [float(v) for v in t["impact"]]
        out.update(seconds=time.perf_counter() - t0,
                   detail=f"{disruptions} disruption(s) ({'random sites' if PICK == 'random' else 'the largest suppliers'}), "
                          f"{int(t['unprotected'].fillna(False).sum())} unprotected, "
                          f"{int((t['tts'] < t['ttr']).sum())} impact LP(s); "
                          + (f"{counts['solves']} region solves, largest region {counts['largest']:,} of "
                             f"{len(net.nodes):,} sites; " if counts["solves"] else "")
                          + "TTS " + ", ".join(f"{v:.6g}" for v in t["tts"]))
    out["rss_before_mib"] = before
    out["rss_peak_mib"] = _rss()
    return out


def child(links: int, name: str, engine: str, limit: float, disruptions: int) -> dict:
    """One stage in a fresh subprocess (its own peak memory), ``None`` fields when it did not end."""
    cmd = [sys.executable, __file__, "--child", f"{links}:{name}:{engine}:{disruptions}"]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, env=os.environ)
    except subprocess.TimeoutExpired:
        return {"links": links, "stage": name, "seconds": None,
                "detail": f"not finished within {limit:.0f} s (stopped)"}
    if p.returncode != 0:
        return {"links": links, "stage": name, "seconds": None,
                "detail": f"failed (exit {p.returncode}): {p.stderr.strip().splitlines()[-1] if p.stderr else ''}"}
    row = json.loads(p.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - t0
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="link counts, comma-separated")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--both-engines", action="store_true", help="the simulated year on numpy and on fused")
    ap.add_argument("--limit", type=float, default=600.0, help="seconds before a stage is stopped")
    ap.add_argument("--tts-disruptions", default="10,5,5",
                    help="disruptions solved in the tts stage, per size (0: skip the solves at that size)")
    ap.add_argument("--tts-pick", choices=("largest", "random"), default="largest",
                    help="disrupt the largest suppliers (by customers) or sites drawn at random (seed 0)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ["BENCH_TTS_PICK"] = args.tts_pick
    if args.child:
        links, name, engine, k = args.child.split(":")
        print(json.dumps(stage(int(links), name, engine, int(k))))
        return
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# {platform.machine()}, {os.cpu_count()} cores; uptime at start: {up}", flush=True)
    rows = []
    ks = [int(k) for k in args.tts_disruptions.split(",")]
    for i, links in enumerate(int(s) for s in args.sizes.split(",")):
        k = ks[min(i, len(ks) - 1)]
        for name in args.stages.split(","):
            if name == "tts" and k == 0:
                continue
            engines = ["numpy", "fused"] if name == "year" and args.both_engines else ["auto"]
            for eng in engines:
                row = child(links, name, eng, args.limit, k)
                other = [r for r in rows if r["links"] == row["links"] and r.get("tts") and row.get("tts")
                         and {r["stage"], row["stage"]} == {"tts", "tts-full"}]
                if other:
                    a, b = np.array(other[0]["tts"]), np.array(row["tts"])
                    fin = np.isfinite(a) & np.isfinite(b)
                    same_inf = bool(np.all(np.isfinite(a) == np.isfinite(b)))
                    rel = float(np.max(np.abs(a[fin] - b[fin]) / np.maximum(1, np.abs(b[fin])), initial=0.0))
                    ratio = row["seconds"] / other[0]["seconds"]
                    row["detail"] += (f"; vs {other[0]['stage']}: {ratio:.2f}× its time, TTS rel. diff. {rel:.1e}"
                                      + ("" if same_inf else ", infinite TTS differ"))
                rows.append(row)
                print(json.dumps(row), flush=True)
    print("\n| links | sites | stage | time s | peak RSS MiB | stage added MiB | detail |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        sec = "—" if r.get("seconds") is None else f"{r['seconds']:.2f}"
        peak = r.get("rss_peak_mib")
        added = None if peak is None else peak - r.get("rss_before_mib", 0.0)
        print(f"| {r['links']:,} | {r.get('sites', '—')} | {r['stage']} | {sec} | "
              f"{'—' if peak is None else f'{peak:,.0f}'} | {'—' if added is None else f'{added:,.0f}'} | "
              f"{r.get('detail', '')} |")
    print("# uptime at end:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
