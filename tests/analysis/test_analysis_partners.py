"""Partner recommendation: a hand-solved case and greedy against brute force."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from allychain.analysis import best_partners, partners
from allychain.errors import AllychainError

# items a–e all go into KOR's fabrication process 'p'; KOR holds 20 % of stage fab
HAND = [
    ("fab", "KOR", 20, 2022), ("fab", "TWN", 80, 2022),
    ("a", "CHN", 80, 2022), ("a", "USA", 20, 2022),   # critical (CHN)
    ("b", "JPN", 70, 2022), ("b", "CHN", 30, 2022),   # critical (JPN)
    ("c", "JPN", 90, 2022), ("c", "USA", 10, 2022),   # critical (JPN)
    ("d", "USA", 66, 2022), ("d", "JPN", 34, 2022),   # critical (USA)
    ("e", "TWN", 50, 2022), ("e", "USA", 50, 2022),   # not critical
]
MARKET = {"a": 10e9, "b": 1e9, "c": 1e9, "d": 50e9, "e": 5e9}


@pytest.fixture
def hand(net):
    rel = [(i, "p", "goes_into") for i in "abcde"] + [("p", "chip", "goes_into")]
    return net(shares=HAND, relations=rel, stages={"fab": "Fabrication"}, items={"p": "process", "chip": "output"},
               item_stage={"p": "fab"}, market=MARKET)


def test_ranking_by_count_and_by_market(hand):
    r = partners(hand, ["KOR", "NLD"], candidates="all")
    top = r.head(4)
    assert list(top["country"]) == ["JPN", "CHN", "USA", "TWN"]
    # JPN resolves b and c; CHN and USA one each — CHN first on share points internalised (80 + 30 vs 20 + 10 + 66)
    assert list(top["score"]) == [2, 1, 1, 0]
    assert top.iloc[1]["internalised_share"] == pytest.approx(110)
    assert top.iloc[2]["internalised_share"] == pytest.approx(96)
    assert list(r["rank"]) == list(range(1, len(r) + 1))
    m = partners(hand, ["KOR", "NLD"], weight="market", candidates="all")
    assert list(m.head(3)["country"]) == ["USA", "CHN", "JPN"]
    assert list(m.head(3)["score"]) == [50e9, 10e9, 2e9]


def test_best_set_greedy(hand):
    b = best_partners(hand, ["KOR", "NLD"], k=2, candidates="all")
    assert list(b["country"]) == ["JPN", "CHN"]
    assert list(b["gain"]) == [2, 1] and list(b["score"]) == [2, 3]
    assert sorted(b.iloc[-1]["resolved_items"]) == ["a", "b", "c"]
    with pytest.raises(AllychainError):
        best_partners(hand, ["KOR", "NLD"], k=0)


def random_network(net, seed: int, n_items: int = 9):
    """Items with a dominant outside country (65–95 %) or a spread; shares sum to ≤ 100."""
    rng = np.random.default_rng(seed)
    countries = ["USA", "JPN", "CHN", "TWN", "DEU", "SGP", "FRA"]
    shares = [("fab", "KOR", 30, 2022), ("fab", "TWN", 70, 2022)]
    table = {}
    for k in range(n_items):
        item = f"i{k}"
        w = rng.dirichlet(np.ones(len(countries) + 1)) * 100  # last entry: KOR/NLD
        if rng.random() < 0.7:
            dom = rng.integers(len(countries))
            w = w * (100 - (top := rng.uniform(65, 95))) / w.sum()
            w[dom] += top
        w = np.round(w, 1)
        row = dict(zip(countries, w[:-1], strict=False))
        row["NLD"] = w[-1]
        table[item] = row
        shares += [(item, c, float(v), 2022) for c, v in row.items()]
    rel = [(f"i{k}", "p", "goes_into") for k in range(n_items)] + [("p", "chip", "goes_into")]
    market = {f"i{k}": float(rng.integers(1, 100)) * 1e8 for k in range(n_items)}
    n = net(shares=shares, relations=rel, stages={"fab": "Fabrication"}, items={"p": "process", "chip": "output"},
            item_stage={"p": "fab"}, market=market)
    return n, table, market, countries


def brute_force(table, market, countries, k, t, weight):
    """Independent objective: critical items (an outside country ≥ t) resolved by the best k-subset."""
    crit = {i: row for i, row in table.items() if max(v for c, v in row.items() if c != "NLD") >= t - 1e-9}

    def f(P):
        total = 0.0
        for i, row in crit.items():
            rest = [v for c, v in row.items() if c != "NLD" and c not in P]
            if not rest or max(rest) < t - 1e-9:
                total += 1.0 if weight == "count" else market[i]
        return total

    return max(f(set(P)) for P in combinations(countries, k)), f


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("weight", ["count", "market"])
def test_greedy_matches_brute_force_at_65(net, seed, weight):
    n, table, market, countries = random_network(net, seed)
    assert brute_force(table, market, countries, 1, 65.0, weight)[0] > 0  # the case is not trivial
    for k in (1, 2, 3):
        best, f = brute_force(table, market, countries, k, 65.0, weight)
        g = best_partners(n, ["KOR", "NLD"], k=k, weight=weight, candidates="all")
        assert f(set(g["country"])) == pytest.approx(best)
        assert (g.iloc[-1]["score"] if len(g) else 0.0) == pytest.approx(best)


@pytest.mark.parametrize("seed", [4, 5])
def test_exhaustive_is_optimal_and_greedy_no_better_at_low_threshold(net, seed):
    n, table, market, countries = random_network(net, seed)
    best, f = brute_force(table, market, countries, 2, 30.0, "count")
    assert best > 0
    ex = best_partners(n, ["KOR", "NLD"], k=2, critical_share=30.0, method="exhaustive", candidates="all")
    assert ex.iloc[-1]["score"] == pytest.approx(best)
    gr = best_partners(n, ["KOR", "NLD"], k=2, critical_share=30.0, candidates="all")
    assert (gr.iloc[-1]["score"] if len(gr) else 0.0) <= best + 1e-9
