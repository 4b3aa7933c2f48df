"""The alliance view on the chain network (see test_analysis_dependencies.py)."""

from __future__ import annotations

import math

import pytest

from allychain.analysis import (
    alliance_report,
    alliance_shares,
    complementarity,
    complementarity_matrix,
    shared_dependencies,
)
from allychain.model.network import Network


def test_combined_shares_and_items_without_member_supplier(chain):
    s = alliance_shares(chain, "KOR,NLD").set_index("item_id")
    assert s.loc["litho-tools", "share_KOR"] == 0 and s.loc["litho-tools", "share_NLD"] == 80
    assert s.loc["litho-tools", "combined_share"] == 80
    assert s.loc["litho-tools", "top_outside"] == "JPN" and s.loc["litho-tools", "top_outside_share"] == 20
    assert s.loc["wafer", "combined_share"] == 20
    assert s.loc["fab", "combined_share"] == 17
    assert bool(s.loc["neon", "no_supplier"]) is True  # assessed; no member listed
    assert bool(s.loc["euv", "no_supplier"]) is False
    assert s.loc["resist", "status"] == "not_assessable" and s.loc["resist", "no_supplier"] is not True
    assert math.isnan(s.loc["resist", "combined_share"])


def test_member_listed_with_unknown_share_is_not_no_supplier(net):
    n = net(shares=[("gas", "KOR", None, 2022), ("gas", "JPN", 60, 2022)])
    s = alliance_shares(n, ["KOR", "NLD"]).set_index("item_id")
    assert s.loc["gas", "status"] == "assessed"
    assert math.isnan(s.loc["gas", "share_KOR"]) and s.loc["gas", "share_NLD"] == 0
    assert s.loc["gas", "no_supplier"] is not True and str(s.loc["gas", "no_supplier"]) == "<NA>"


def test_complementarity_by_hand(chain):
    c = complementarity(chain, ["KOR", "NLD"]).set_index(["supplier", "customer"])
    # KOR's assessed dependencies and foreign shares: litho-tools 100, euv 100, duv 100, neon 80, wafer 80 (460)
    # NLD holds litho-tools 80, euv 100, duv 60 → 3 items, 240 / 460 of KOR's foreign supply
    assert c.loc[("NLD", "KOR"), "items"] == 3
    assert sorted(c.loc[("NLD", "KOR"), "item_ids"]) == ["duv", "euv", "litho-tools"]
    assert c.loc[("NLD", "KOR"), "share_of_foreign"] == pytest.approx(100 * 240 / 460)
    # NLD needs only neon (foreign 80), which KOR does not make
    assert c.loc[("KOR", "NLD"), "items"] == 0
    assert c.loc[("KOR", "NLD"), "share_of_foreign"] == 0
    m = complementarity_matrix(complementarity(chain, ["KOR", "NLD"]))
    assert list(m.index) == ["KOR", "NLD"] and list(m.columns) == ["KOR", "NLD"]
    assert m.loc["NLD", "KOR"] == 3 and m.loc["KOR", "NLD"] == 0 and math.isnan(m.loc["KOR", "KOR"])


def test_shared_dependencies_on_the_same_outside_country(chain):
    # neon is the only item both KOR and NLD need; its largest outside supplier is UKR with 50 %
    assert shared_dependencies(chain, ["KOR", "NLD"]).empty
    s = shared_dependencies(chain, ["KOR", "NLD"], critical_share=50)
    assert list(s["item_id"]) == ["neon"]
    assert s.iloc[0]["outside_country"] == "UKR" and s.iloc[0]["outside_share"] == 50


def test_alliance_report_bundles_everything_with_coverage(chain):
    r = alliance_report(chain, "Korea, Netherlands")
    assert r["members"] == ["KOR", "NLD"]
    assert "neon" in r["no_supplier"]
    crit = r["dependencies"][r["dependencies"]["critical"].fillna(False).astype(bool)]
    assert list(crit["item_id"]) == ["wafer"]
    assert r["coverage"]["not_assessable"] == ["resist"]
    assert set(r) >= {"shares", "complementarity", "complementarity_matrix", "shared_dependencies"}


def test_alliance_from_the_alliances_table(chain):
    import pandas as pd

    n: Network = chain.replace(alliances=pd.DataFrame({"alliance_id": ["KN", "KN"], "member": ["KOR", "NLD"]}))
    assert alliance_report(n, "KN")["members"] == ["KOR", "NLD"]
