"""Tables with totals, secondary suppression and the auditor on hand-solved and brute-forced cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from independent_audit import violations

from allychain.disclosure import TOTAL, attacker_intervals, audit, margin_table, release
from allychain.disclosure.table import Table

pytest.importorskip("highspy")

#       X   Y   Z | total
# A    20  50  40 | 110      A×X has one contributor (sensitive: UPL = LPL = 2);
# B    30  60  35 | 125      every other cell has four equal ones.
# C    45  25  55 | 125
#      95 135 130 | 360
GRID = {("A", "X"): 20, ("A", "Y"): 50, ("A", "Z"): 40, ("B", "X"): 30, ("B", "Y"): 60, ("B", "Z"): 35,
        ("C", "X"): 45, ("C", "Y"): 25, ("C", "Z"): 55}


def _contributions(grid=GRID, single=(("A", "X"),)):
    rows = []
    for (i, c), v in grid.items():
        k = 1 if (i, c) in single else 4
        rows += [(i, c, f"{i}{c}-{n}", v / k) for n in range(k)]
    return pd.DataFrame(rows, columns=["item", "country", "organisation", "value"])


def _cell(t: Table, i: str, c: str) -> int:
    m = (t.cells["item"] == i) & (t.cells["country"] == c)
    return int(np.flatnonzero(m.to_numpy())[0])


def test_margin_table_cells_totals_and_sensitivity():
    t = margin_table(_contributions(), name="capacity")
    assert len(t.cells) == 16 and t.equations.shape == (8, 16)
    assert t.cells.loc[_cell(t, "A", TOTAL), "value"] == 110
    assert t.cells.loc[_cell(t, TOTAL, "Y"), "value"] == 135
    assert t.cells.loc[_cell(t, TOTAL, TOTAL), "value"] == 360
    assert t.residual() == 0
    sens = t.cells[t.cells["sensitive"]]
    assert list(zip(sens["item"], sens["country"], sens["upl"], sens["lpl"], strict=True)) == [("A", "X", 2.0, 2.0)]


def test_single_suppression_is_recovered_from_its_row_total():
    t = margin_table(_contributions(), name="capacity")
    only_primary = t.cells["sensitive"].to_numpy()
    rep = audit(t, only_primary)
    row = rep.cells.iloc[0]
    # 110 − 50 − 40 = 20: the attacker knows the cell exactly
    assert row["lower"] == pytest.approx(20) and row["upper"] == pytest.approx(20)
    assert not rep.safe


def test_secondary_suppression_closes_it_with_the_cheapest_rectangle():
    t = margin_table(_contributions(), name="capacity")
    rel, rep = release(t)
    withheld = set(zip(rel.cells.loc[rel.suppressed, "item"], rel.cells.loc[rel.suppressed, "country"],
                       strict=True))
    # By hand: the rectangles through A×X cost (by value) Y,B 50+30+60 = 140; Y,C 50+45+25 = 120;
    # Z,B 40+30+35 = 105; Z,C 40+45+55 = 140; anything through totals costs more. Cheapest: Z,B.
    assert withheld == {("A", "X"), ("A", "Z"), ("B", "X"), ("B", "Z")}
    assert rel.meta["suppressed_value"] == 20 + 40 + 30 + 35
    assert rep.safe
    ax = rep.cells[rep.cells["cell"] == "A × X"].iloc[0]
    # A×X can rise by min(A×Z, B×X) = 30 and fall by min(A×X, B×Z) = 20
    assert (ax["lower"], ax["upper"]) == pytest.approx((0.0, 50.0))
    pub = rel.published()
    assert pub["value"].isna().sum() == 4
    assert violations([(pub, t.cells)]) == []


def test_count_objective_also_protects():
    t = margin_table(_contributions(), name="capacity")
    rel, rep = release(t, objective="count")
    assert rep.safe and rel.suppressed.sum() == 4


def test_sensitive_total_is_protected_too():
    # Row C has only two organisations in all: its total is sensitive as well as its cells.
    grid = dict(GRID)
    c = _contributions(grid, single=())
    c = c[c["item"] != "C"]
    c = pd.concat([c, pd.DataFrame([("C", "X", "P", 45.0), ("C", "Y", "P", 25.0), ("C", "Z", "Q", 55.0)],
                                   columns=c.columns)])
    t = margin_table(c, name="capacity")
    assert t.cells.loc[_cell(t, "C", TOTAL), "sensitive"]
    rel, rep = release(t)
    assert rep.safe
    assert violations([(rel.published(), t.cells)]) == []


def test_empty_cells_are_published_as_zero_and_never_withheld():
    c = _contributions()
    c = c[~((c["item"] == "C") & (c["country"] == "Y"))]
    t = margin_table(c, name="capacity")
    assert t.cells.loc[_cell(t, "C", "Y"), "contributors"] == 0
    rel, _ = release(t)
    pub = rel.published()
    row = pub[(pub["item"] == "C") & (pub["country"] == "Y")].iloc[0]
    assert row["status"] == "published" and row["value"] == 0


def test_item_hierarchy_rows_add_up_and_are_protected():
    c = _contributions()
    t = margin_table(c, parents={"A": "AB", "B": "AB"}, name="capacity")
    ab = t.cells[t.cells["item"] == "AB"].set_index("country")["value"]
    assert ab["X"] == 50 and ab[TOTAL] == 235
    assert t.cells.loc[_cell(t, TOTAL, TOTAL), "value"] == 360  # not double counted
    rel, rep = release(t)
    assert rep.safe
    # with only the leaf-level cells suppressed the parent row would give A×X away: check by LP on the table
    lo, hi = attacker_intervals(t.values, t.equations, rel.suppressed)
    i = _cell(t, "A", "X")
    assert hi[i] >= 22 - 1e-9 and lo[i] <= 18 + 1e-9


def _brute(grid: np.ndarray, suppressed: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of every cell (interior + totals, flattened like margin_table) over all integer
    tables with suppressed interior cells in 0..K that reproduce every published cell."""
    r, c = grid.shape

    def full(g: np.ndarray) -> np.ndarray:  # (N, r, c) → (N, (r+1)(c+1)) with totals
        f = np.zeros((len(g), r + 1, c + 1), dtype=np.int64)
        f[:, :r, :c] = g
        f[:, :r, c] = g.sum(2)
        f[:, r, :c] = g.sum(1)
        f[:, r, c] = g.sum((1, 2))
        return f.reshape(len(g), -1)

    truth = full(grid[None])[0]
    sup = suppressed.reshape(r + 1, c + 1)
    free = [(i, j) for i in range(r) for j in range(c) if sup[i, j]]
    combos = np.stack(np.meshgrid(*[np.arange(K + 1)] * len(free), indexing="ij"), -1).reshape(-1, len(free))
    g = np.repeat(grid[None], len(combos), axis=0)
    for k, (i, j) in enumerate(free):
        g[:, i, j] = combos[:, k]
    f = full(g)
    ok = np.all((f == truth) | suppressed, axis=1)
    assert ok.any()  # the truth itself fits
    return f[ok].min(0).astype(float), f[ok].max(0).astype(float)


@pytest.mark.parametrize("seed", range(25))
def test_auditor_matches_brute_force_on_small_tables(seed):
    rng = np.random.default_rng(seed)
    r, c = (2, 3) if seed % 2 else (3, 2)
    grid = rng.integers(0, 4, size=(r, c))
    rows = [(f"i{i}", f"c{j}", "o", float(grid[i, j])) for i in range(r) for j in range(c)]
    t = margin_table(pd.DataFrame(rows, columns=["item", "country", "organisation", "value"]))
    n = len(t.cells)
    interior = np.array([(a != TOTAL and b != TOTAL) for a, b in zip(t.cells["item"], t.cells["country"],
                                                                         strict=True)])
    suppressed = np.zeros(n, dtype=bool)
    suppressed[rng.choice(np.flatnonzero(interior), size=int(rng.integers(1, 5)), replace=False)] = True
    suppressed[rng.choice(np.flatnonzero(~interior), size=int(rng.integers(0, 3)), replace=False)] = True
    K = int(grid.sum()) + 2
    lo, hi = attacker_intervals(t.values, t.equations, suppressed)
    blo, bhi = _brute(grid, suppressed, K)
    # the equations of a two-way table are totally unimodular: LP bounds are integer points
    np.testing.assert_allclose(lo, blo, atol=1e-7)
    finite = np.isfinite(hi)
    np.testing.assert_allclose(hi[finite], bhi[finite], atol=1e-7)
    assert np.all(bhi[~finite] >= K)  # no upper bound: the enumeration reaches its cap


def test_item_hierarchy_from_is_type_of_relations():
    from allychain.disclosure import item_hierarchy
    from allychain.errors import DataError

    rel = pd.DataFrame({"source": ["A", "B", "AB", "Z"], "target": ["AB", "AB", "ALL", "Y"],
                        "kind": ["is_type_of", "is_type_of", "is_type_of", "goes_into"]})
    assert item_hierarchy(rel, ["A", "B", "C"]) == {"A": "AB", "B": "AB", "AB": "ALL"}
    t = margin_table(_contributions(), parents=item_hierarchy(rel, ["A", "B", "C"]), name="capacity")
    rows = t.cells.set_index(["item", "country"])["value"]
    assert rows[("ALL", TOTAL)] == 235 and rows[(TOTAL, TOTAL)] == 360
    rel2 = pd.concat([rel, pd.DataFrame({"source": ["A"], "target": ["Q"], "kind": ["is_type_of"]})])
    with pytest.raises(DataError, match="'A' is a variant of several items"):
        item_hierarchy(rel2, ["A"])
