"""Chokepoint rules on hand-solved networks."""

from __future__ import annotations

import pytest

from allychain.analysis import ChokepointRules, chokepoints
from allychain.errors import AllychainError


def rules_of(df, item):
    r = df[df["item_id"] == item]
    return list(r.iloc[0]["rules"]) if len(r) else []


def test_country_rule_is_inclusive_at_65(net):
    n = net(shares=[("at", "JPN", 65, 2022), ("at", "USA", 35, 2022),
                    ("below", "JPN", 64.9, 2022), ("below", "USA", 35.1, 2022)])
    cp = chokepoints(n, include_all=True)
    assert "country_share" in rules_of(cp, "at")
    assert "country_share" not in rules_of(cp, "below")
    # both have HHI far above 2,500 (65² + 35² = 5450; 64.9² + 35.1² = 5444.02)
    assert "hhi" in rules_of(cp, "below")
    at = cp[cp["item_id"] == "at"].iloc[0]
    assert at["top_country"] == "JPN" and at["top_country_share"] == 65
    assert at["hhi"] == pytest.approx(65**2 + 35**2)


def test_aggregate_never_counts_as_a_country(net):
    n = net(shares=[("x", "VAR", 70, 2022), ("x", "USA", 20, 2022), ("x", "JPN", 10, 2022)])
    cp = chokepoints(n, include_all=True)
    r = cp[cp["item_id"] == "x"].iloc[0]
    assert r["rules"] == []  # HHI = 400 + 100 = 500; top country 20 %
    assert r["top_country"] == "USA" and r["top_country_share"] == 20
    assert chokepoints(n).empty


def test_firm_top3_rule_inclusive_at_90(net):
    n = net(shares=[("at", "f1", 40, 2025), ("at", "f2", 30, 2025), ("at", "f3", 20, 2025), ("at", "f4", 10, 2025),
                    ("below", "f1", 40, 2025), ("below", "f2", 30, 2025), ("below", "f3", 19.9, 2025),
                    ("below", "f4", 10.1, 2025)])
    cp = chokepoints(n, include_all=True)
    assert rules_of(cp, "at") == ["firm_top3"]
    assert rules_of(cp, "below") == []
    assert cp[cp["item_id"] == "at"].iloc[0]["top3_firm_share"] == pytest.approx(90)


def test_hhi_rule_inclusive_at_2500(net):
    n = net(shares=[("x", c, 25, 2022) for c in ("USA", "JPN", "KOR", "TWN")]
            + [("y", c, 20, 2022) for c in ("USA", "JPN", "KOR", "TWN", "CHN")])
    cp = chokepoints(n, include_all=True)
    assert rules_of(cp, "x") == ["hhi"]  # 4 × 25² = 2500
    assert rules_of(cp, "y") == []  # 5 × 20² = 2000


def test_configurable_rules_and_validation(net):
    n = net(shares=[("x", "JPN", 70, 2022), ("x", "USA", 30, 2022)])
    assert rules_of(chokepoints(n, ChokepointRules(country_share=75)), "x") == ["hhi"]
    assert rules_of(chokepoints(n, ChokepointRules(enabled=("country_share",))), "x") == ["country_share"]
    assert chokepoints(n, ChokepointRules(country_share=80, hhi=6000)).empty
    with pytest.raises(AllychainError, match="unknown chokepoint rule"):
        ChokepointRules(enabled=("nope",))
    with pytest.raises(AllychainError, match="out of range"):
        ChokepointRules(hhi=20_000)
    d = {r["rule"]: r for r in ChokepointRules().describe()}
    assert d["country_share"]["threshold"] == 65 and "SIA/BCG" in d["country_share"]["source"]
    assert d["hhi"]["threshold"] == 2500 and "2010" in d["hhi"]["source"]


def test_result_names_controller_year_and_source(net):
    n = net(shares=[("x", "NLD", 100, 2025, "s1"), ("x", "asml", 100, 2024, "s2")],
            sources=[("s1", "Country study"), ("s2", "Firm study")])
    r = chokepoints(n).iloc[0]
    assert r["rules"] == ["country_share", "firm_top3", "hhi"]
    assert r["top_country"] == "NLD" and r["top_country_name"] == "Netherlands"
    assert r["top_firms"] == ["asml"]
    assert r["country_year"] == 2025 and r["firm_year"] == 2024
    assert r["country_source"] == "Country study" and r["firm_source"] == "Firm study"


def test_items_without_known_shares_are_flagged_not_assessable(net):
    n = net(shares=[("x", "JPN", None, 2022), ("y", "JPN", 90, 2022), ("y", "USA", 10, 2022)])
    cp = chokepoints(n, include_all=True)
    assert cp.set_index("item_id").loc["x", "status"] == "not_assessable"
    assert list(chokepoints(n)["item_id"]) == ["y"]
