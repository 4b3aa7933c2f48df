"""The exact suppression MIP against brute force, and the heuristic against the exact method."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from independent_audit import violations

from allychain.disclosure import margin_table, release
from allychain.disclosure.audit import attacker_intervals, protection_met
from allychain.disclosure.optimal import optimal_suppression
from allychain.disclosure.suppress import cell_costs

pytest.importorskip("highspy")


def _table(seed: int, items: int, countries: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(items):
        for c in range(countries):
            k = 1 if (i, c) == (0, 0) else int(rng.integers(1, 5))  # at least one sensitive cell
            for n in range(k):
                rows.append((f"i{i}", f"c{c}", f"o{i}{c}{n}", float(rng.integers(1, 30))))
    return pd.DataFrame(rows, columns=["item", "country", "organisation", "value"])


def _brute_min(t) -> float:
    """Cheapest safe pattern over every subset of the withholdable cells (by the auditor's LPs)."""
    v, E = t.values, t.equations
    c = t.cells
    sens = c["sensitive"].to_numpy()
    lpl, upl = c["lpl"].to_numpy(), c["upl"].to_numpy()
    cand = np.flatnonzero(~sens & ~t.empty)
    cost = cell_costs(v)
    best = np.inf
    for k in range(len(cand) + 1):
        for extra in itertools.combinations(cand, k):
            s = sens.copy()
            s[list(extra)] = True
            total = float(cost[s].sum())
            if total >= best:
                continue
            lo, hi = attacker_intervals(v, E, s)
            if protection_met(v, lo, hi, lpl, upl)[sens].all():
                best = total
    return best


@pytest.mark.parametrize("seed", range(6))
def test_exact_mip_finds_the_brute_force_minimum(seed):
    t = margin_table(_table(seed, 2, 2))
    c = t.cells
    assert c["sensitive"].any()
    r = optimal_suppression(t.values, t.equations, c["sensitive"].to_numpy(), c["lpl"].to_numpy(),
                            c["upl"].to_numpy(), allowed=~t.empty, cost=cell_costs(t.values))
    assert r.proven
    assert r.cost == pytest.approx(_brute_min(t))
    lo, hi = attacker_intervals(t.values, t.equations, r.mask)
    assert protection_met(t.values, lo, hi, c["lpl"].to_numpy(), c["upl"].to_numpy())[c["sensitive"]].all()


@pytest.mark.parametrize("seed", range(8))
def test_pattern_heuristic_is_never_cheaper_than_the_exact_optimum(seed):
    t = margin_table(_table(100 + seed, 4, 4), name="capacity")
    exact, _ = release(t, method="optimal")
    heur, _ = release(t, method="pattern")
    assert exact.meta["method"] == "optimal" and heur.meta["method"] == "pattern"
    assert exact.meta["suppressed_value"] <= heur.meta["suppressed_value"] + 1e-9
    for r in (exact, heur):
        assert violations([(r.published(), t.cells)]) == []
