"""Linear costs at the boundary and in the dependency walk, each as a ratio to a plain reference.

1. **Validation**: read and validate a native folder whose ``shares.csv`` has 1,000,000 rows
   (``allychain.data.native.read_native``: CSV → text cells → types, ranges, duplicate keys,
   references to items and providers, the Network container), side by side with a plain
   ``pandas.read_csv`` of the same ``shares.csv``.
3. **Allocation plan** (no reference: the issue's case did not finish): ``--plan-members`` ×
   ``--plan-items`` shortfall rows plus as many supply rows (10 × 1,000 = 20,000 entries,
   100,000 arcs), built and solved by ``optimize.allocation.allocate_plan``.
2. **Dependency walk**: the dependencies of a member on a ``goes_into`` chain of 100,000 items
   where the member holds a share of every item (so every item is a root: the worst case for
   a walk per root), side by side with ``networkx.topological_sort`` of the same graph.

Each measurement is the best of ``--repeat`` runs (the machine is shared).  Generated files go
to a temporary folder and are removed.  Run::

    python benchmarks/bench_boundary.py [--rows 1000000] [--chain 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def write_share_folder(folder: Path, rows: int) -> Path:
    """items (1,000), providers (1,000 firms) and ``rows`` share rows with distinct keys."""
    folder.mkdir(parents=True)
    n_items = n_prov = 1000
    ids = np.arange(rows)
    (folder / "items.csv").write_text("item_id,name,kind\n" + "".join(
        f"I{i},Item {i},material\n" for i in range(n_items)), encoding="utf-8")
    (folder / "providers.csv").write_text("provider_id,name,kind\n" + "".join(
        f"P{p},Provider {p},firm\n" for p in range(n_prov)), encoding="utf-8")
    share = np.random.default_rng(0).random(rows) * 100
    item = (ids // n_prov) % n_items
    year = 2000 + ids // (n_items * n_prov)
    lines = [f"I{i},P{p},{s:.3f},{y}\n" for i, p, s, y in zip(item, ids % n_prov, share, year, strict=True)]
    (folder / "shares.csv").write_text("item_id,provider_id,share,year\n" + "".join(lines), encoding="utf-8")
    return folder


def write_chain_folder(folder: Path, length: int) -> Path:
    """A ``goes_into`` chain I0 → I1 → … with KOR 30 % and USA 70 % of every item."""
    folder.mkdir(parents=True)
    (folder / "items.csv").write_text("item_id,name,kind\n" + "".join(
        f"I{i},Item {i},material\n" for i in range(length)), encoding="utf-8")
    (folder / "relations.csv").write_text("source,target,kind\n" + "".join(
        f"I{i},I{i + 1},goes_into\n" for i in range(length - 1)), encoding="utf-8")
    (folder / "providers.csv").write_text("provider_id,name,kind\nKOR,Korea,country\nUSA,United States,country\n",
                                          encoding="utf-8")
    (folder / "shares.csv").write_text("item_id,provider_id,share,year\n" + "".join(
        f"I{i},USA,70,2021\nI{i},KOR,30,2021\n" for i in range(length)), encoding="utf-8")
    return folder


def bench_validation(tmp: Path, rows: int, repeat: int) -> dict[str, float]:
    import pandas as pd

    from allychain.data.native import read_native

    folder = write_share_folder(tmp / "shares", rows)
    size_mb = (folder / "shares.csv").stat().st_size / 1e6
    plain = best(lambda: pd.read_csv(folder / "shares.csv"), repeat)
    ours = best(lambda: read_native(folder), repeat)
    n = read_native(folder)
    assert len(n.shares) == rows
    return {"rows": rows, "MB": size_mb, "pandas_s": plain, "allychain_s": ours, "ratio": ours / plain}


def bench_chain(tmp: Path, length: int, repeat: int) -> dict[str, float]:
    import networkx as nx

    import allychain
    from allychain.analysis import dependency_report

    folder = write_chain_folder(tmp / "chain", length)
    n = allychain.load(str(folder))
    g = nx.DiGraph()
    g.add_edges_from(zip(n.relations["source"], n.relations["target"], strict=True))
    topo = best(lambda: list(nx.topological_sort(g)), repeat)

    from allychain.analysis.snapshot import _CACHE

    def walk() -> None:
        _CACHE.pop(n, None)  # no cached views or answers from the previous repeat
        rep = dependency_report(n, "KOR")
        assert len(rep["dependencies"]) == length - 1
        assert int(rep["dependencies"]["tier"].max()) == 1  # every item is a root: each input is one step away

    ours = best(walk, repeat)
    from allychain.analysis.requirements import closure, requirement_graph

    rg = requirement_graph(n)
    roots = list(n.items["item_id"].astype(str))
    walk_only = best(lambda: closure(rg, roots, weights=dict.fromkeys(roots, 30.0)), repeat)
    return {"items": length, "networkx_topo_s": topo, "allychain_s": ours, "ratio": ours / topo,
            "closure_s": walk_only, "closure_ratio": walk_only / topo}


def bench_plan(members: int, items: int) -> dict[str, float]:
    from allychain.optimize.allocation import allocate_plan, plan_from_dict

    rng = np.random.default_rng(0)
    ms, its = [f"M{k}" for k in range(members)], [f"i{j}" for j in range(items)]
    doc = {"items": [{"id": i} for i in its], "members": {m: {"priority": 1} for m in ms},
           "shortfalls": [{"member": m, "item": i, "amount": float(rng.integers(1, 100))} for m in ms for i in its],
           "supply": [{"member": m, "item": i, "stockpile": float(rng.integers(0, 60))} for m in ms for i in its]}
    t = time.perf_counter()
    res = allocate_plan(plan_from_dict(doc))
    assert res.status.name == "optimal"
    return {"entries": 2 * members * items, "arcs": members * members * items, "s": time.perf_counter() - t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chain", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--plan-members", type=int, default=10)
    ap.add_argument("--plan-items", type=int, default=1000)
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as d:
        v = bench_validation(Path(d), args.rows, args.repeat)
        print(f"validation: {v['rows']:,} share rows ({v['MB']:.1f} MB): pandas.read_csv {v['pandas_s']:.2f} s, "
              f"read_native (validated) {v['allychain_s']:.2f} s -> {v['ratio']:.1f}x")
        c = bench_chain(Path(d), args.chain, args.repeat)
        print(f"dependency walk: chain of {c['items']:,} items: networkx.topological_sort {c['networkx_topo_s']:.3f} s, "
              f"requirement closure {c['closure_s']:.2f} s -> {c['closure_ratio']:.1f}x; "
              f"whole dependency_report {c['allychain_s']:.2f} s -> {c['ratio']:.1f}x")
    p = bench_plan(args.plan_members, args.plan_items)
    print(f"allocation plan: {p['entries']:,} entries ({p['arcs']:,} arcs) built and solved in {p['s']:.1f} s")
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
