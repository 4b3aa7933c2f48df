"""Benchmark: protecting an items × countries table the size of the ETO data (130 × 40).

Generates organisations' contributions with a realistic skew (a few large groups with
plants in many countries, many small firms; each item produced in a handful of
countries; figures log-normal), builds the table with row, column and grand totals,
and protects it two ways, side by side in one run:

* **allychain** — ``disclosure.release`` (LP-pattern secondary suppression, then the
  attacker-LP audit of every withheld cell);
* **baseline** — the textbook rule of thumb "withhold the smallest other cell in the row
  and in the column of every sensitive cell", repeated (audit → add the smallest cells
  next to each still-unsafe sensitive cell) until the same auditor passes.

Prints time, audits run, and the number and value of withheld cells for both.  A second,
smaller table (``--exact-items`` × ``--exact-countries``) is also protected by the exact
MIP (``method="optimal"``), to show how far the LP patterns are from the optimum.  Nothing
is read from or sent to the network.

    python benchmarks/bench_disclosure.py --items 130 --countries 40 --seed 1
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from allychain.disclosure import PrimaryRules, audit, margin_table, release
from allychain.disclosure.table import TOTAL, Table


def contributions(items: int, countries: int, seed: int) -> pd.DataFrame:
    """Random contributions: items made in 2–12 countries by 1–12 organisations each (1 + Poisson(3)); 400
    organisations with Zipf-like sizes, the large ones present in many countries."""
    rng = np.random.default_rng(seed)
    n_org = 400
    size = 1.0 / np.arange(1, n_org + 1) ** 1.1  # holding size: Zipf-like
    p_org = size / size.sum()
    rows = []
    for i in range(items):
        made_in = rng.choice(countries, size=int(rng.integers(2, 13)), replace=False)
        for c in made_in:
            k = int(min(12, 1 + rng.poisson(3.0)))
            orgs = rng.choice(n_org, size=k, replace=False, p=p_org)
            for o in orgs:
                v = float(np.round(rng.lognormal(mean=3.0 + 2.0 * size[o] / size[0], sigma=1.2), 1)) + 0.1
                rows.append((f"item{i:03d}", f"C{c:02d}", f"org{o:03d}", v))
    return pd.DataFrame(rows, columns=["item", "country", "organisation", "value"])


def baseline(t: Table, max_rounds: int = 50) -> tuple[np.ndarray, int, bool, int]:
    """The textbook rule, then iteration: withhold the smallest other cell in the row and in the
    column of every sensitive cell; audit; repeat around each still-unsafe sensitive cell.

    Returns the mask, the audits run, whether the last audit passed, and how many sensitive
    cells the one-shot rule (first round) left unsafe."""
    c = t.cells
    s = c["sensitive"].to_numpy().copy()
    empty = t.empty
    val = t.values
    item, country = c["item"].to_numpy(), c["country"].to_numpy()
    todo = c[c["sensitive"]][["item", "country"]]
    audits, first_unsafe = 0, -1
    for _ in range(max_rounds):
        for it, co in todo.itertuples(index=False):
            for same in (item == it, country == co):
                cand = np.flatnonzero(same & ~s & ~empty)
                if len(cand):
                    inner = [k for k in cand if item[k] != TOTAL and country[k] != TOTAL]
                    s[min(inner or list(cand), key=lambda k: val[k])] = True
        rep = audit(t, s)
        audits += 1
        unsafe = rep.unsafe
        if first_unsafe < 0:
            first_unsafe = int(len(unsafe))
        if rep.safe:
            return s, audits, True, first_unsafe
        todo = unsafe[["item", "country"]]
    return s, audits, False, first_unsafe


def compare(t: Table, methods: list[str]) -> None:
    cells = t.cells
    sens_mask = cells["sensitive"].to_numpy()
    interior = ~t.empty & (cells["item"] != TOTAL).to_numpy() & (cells["country"] != TOTAL).to_numpy()
    total_value = float(cells.loc[interior, "value"].sum())
    print("\n| method | time (s) | audits | withheld cells | of which secondary | secondary interior value | "
          "share of interior value | totals withheld | audit passes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    out = {}
    for m in methods:
        t0 = time.perf_counter()
        if m == "baseline":
            s, audits, safe, first = baseline(t)
            label = f"baseline (smallest in row and column; one-shot leaves {first} unsafe; iterated)"
        else:
            rel, rep = release(t, method=m, time_limit=300)
            s, audits, safe = rel.suppressed, 1, rep.safe
            label = {"pattern": "allychain LP patterns", "optimal": "allychain exact MIP"}[m]
            label += f" ({rel.meta['method']})" if rel.meta["method"] != m else ""
        secs = time.perf_counter() - t0
        sec = s & ~sens_mask
        vsec = float(cells.loc[sec & interior, "value"].sum())
        totals = int((s & ~interior).sum())
        out[m] = (secs, int(sec.sum()), vsec)
        print(f"| {label} | {secs:.1f} | {audits} | {int(s.sum())} | {int(sec.sum())} | {vsec:,.0f} | "
              f"{vsec / total_value:.1%} | {totals} | {'yes' if safe else 'NO'} |")
    ref = out["pattern"]
    print("\nratios against the LP patterns: " + "; ".join(
        f"{m}: time {o[0] / ref[0]:.2f}x, secondary cells {o[1] / max(ref[1], 1):.2f}x, "
        f"secondary interior value {o[2] / max(ref[2], 1e-9):.2f}x" for m, o in out.items() if m != "pattern"))


def describe(t: Table, contrib: pd.DataFrame, secs: float) -> None:
    cells = t.cells
    filled = int((~t.empty).sum())
    sens = int(cells["sensitive"].sum())
    rows = int((cells["item"] != TOTAL).sum() // max(1, cells["country"].nunique()))
    print(f"\ntable {rows} items × {cells['country'].nunique() - 1} countries: {len(cells)} cells with totals, "
          f"{filled} non-empty, {sens} sensitive ({sens / max(filled, 1):.0%} of non-empty), "
          f"{len(contrib)} contributions; built and assessed in {secs:.2f} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=130)
    ap.add_argument("--countries", type=int, default=40)
    ap.add_argument("--exact-items", type=int, default=60)
    ap.add_argument("--exact-countries", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start", file=sys.stderr)
    for items, countries, methods in ((a.items, a.countries, ["pattern", "baseline"]),
                                      (a.exact_items, a.exact_countries, ["pattern", "optimal", "baseline"])):
        contrib = contributions(items, countries, a.seed)
        t0 = time.perf_counter()
        t = margin_table(contrib, PrimaryRules(), name="capacity")
        describe(t, contrib, time.perf_counter() - t0)
        compare(t, methods)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", file=sys.stderr)


if __name__ == "__main__":
    main()
