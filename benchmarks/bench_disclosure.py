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

Prints time, audits run, and the number and value of withheld cells for both.  Nothing
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


def baseline(t: Table, max_rounds: int = 50) -> tuple[np.ndarray, int, bool]:
    """Smallest cell in the row and in the column of each unsafe sensitive cell, until the audit passes."""
    c = t.cells
    n = len(c)
    s = c["sensitive"].to_numpy().copy()
    empty = t.empty
    val = t.values
    item, country = c["item"].to_numpy(), c["country"].to_numpy()
    audits = 0
    for _ in range(max_rounds):
        rep = audit(t, s)
        audits += 1
        if rep.safe:
            return s, audits, True
        for _, r in rep.unsafe.iterrows():
            for same in (item == r["item"], country == r["country"]):
                cand = np.flatnonzero(same & ~s & ~empty)
                if len(cand):
                    inner = [k for k in cand if item[k] != TOTAL and country[k] != TOTAL]
                    pick = inner or list(cand)
                    s[min(pick, key=lambda k: val[k])] = True
        if s.all():
            break
    return s, audits, bool(audit(t, s).safe) if not s.all() else True


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=130)
    ap.add_argument("--countries", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start", file=sys.stderr)
    contrib = contributions(a.items, a.countries, a.seed)
    t0 = time.perf_counter()
    t = margin_table(contrib, PrimaryRules(), name="capacity")
    t_build = time.perf_counter() - t0
    cells = t.cells
    filled = int((~t.empty).sum())
    sens = int(cells["sensitive"].sum())
    print(f"table {a.items} items × {a.countries} countries: {len(cells)} cells with totals, {filled} non-empty, "
          f"{sens} sensitive ({sens / max(filled, 1):.0%} of non-empty), {len(contrib)} contributions; "
          f"built and assessed in {t_build:.2f} s")
    total_value = float(cells.loc[~t.empty & (cells['item'] != TOTAL) & (cells['country'] != TOTAL), "value"].sum())

    t0 = time.perf_counter()
    rel, rep = release(t)
    t_ours = time.perf_counter() - t0
    s_ours = rel.suppressed
    t0 = time.perf_counter()
    s_base, audits, base_safe = baseline(t)
    t_base = time.perf_counter() - t0

    def row(name: str, s: np.ndarray, secs: float, audits: str, safe: bool) -> str:
        sec = s & ~cells["sensitive"].to_numpy()
        vsec = float(cells.loc[sec, "value"].sum())
        return (f"| {name} | {secs:.1f} | {audits} | {int(s.sum())} | {int(sec.sum())} | {vsec:,.0f} | "
                f"{vsec / total_value:.1%} | {'yes' if safe else 'NO'} |")

    print("\n| method | time (s) | audits | withheld cells | of which secondary | secondary value | "
          "share of interior value | audit passes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(row("allychain (LP patterns + audit)", s_ours, t_ours, "1", rep.safe))
    print(row("baseline (smallest in row and column, iterated)", s_base, t_base, str(audits), base_safe))
    base_sec = s_base & ~cells["sensitive"].to_numpy()
    ours_sec = s_ours & ~cells["sensitive"].to_numpy()
    print(f"\nratios (baseline / allychain): time {t_base / t_ours:.2f}x, secondary cells "
          f"{base_sec.sum() / max(ours_sec.sum(), 1):.2f}x, secondary value "
          f"{cells.loc[base_sec, 'value'].sum() / max(cells.loc[ours_sec, 'value'].sum(), 1e-9):.2f}x")


if __name__ == "__main__":
    main()
