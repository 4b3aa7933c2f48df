"""Candidate pools for partner recommendation: groupings as data, the like-minded default, 'all' as opt-in."""

from __future__ import annotations

import pandas as pd
import pytest

from allychain.analysis import candidate_pool, country_groupings, partners
from allychain.errors import AllychainError

# items a–e go into KOR's fabrication process 'p' (as in test_analysis_partners)
HAND = [
    ("fab", "KOR", 20, 2022), ("fab", "TWN", 80, 2022),
    ("a", "CHN", 80, 2022), ("a", "USA", 20, 2022),   # critical (CHN)
    ("b", "JPN", 70, 2022), ("b", "CHN", 30, 2022),   # critical (JPN)
    ("c", "JPN", 90, 2022), ("c", "USA", 10, 2022),   # critical (JPN)
    ("d", "USA", 66, 2022), ("d", "JPN", 34, 2022),   # critical (USA)
    ("e", "TWN", 50, 2022), ("e", "USA", 50, 2022),   # not critical
]
MARKET = {"a": 10e9, "b": 1e9, "c": 1e9, "d": 50e9, "e": 5e9}

GROUPS = pd.DataFrame([
    ("DEMO", "JPN", "Demo partnership", "partnership", True),
    ("DEMO", "USA", "Demo partnership", "partnership", True),
    ("REGIME", "JPN", "Demo regime", "export_control_regime", False),
    ("REGIME", "CHN", "Demo regime", "export_control_regime", False),
    ("CASE", "KOR", "Case", "case", None),
], columns=["alliance_id", "member", "name", "kind", "like_minded"])


@pytest.fixture
def hand(net):
    rel = [(i, "p", "goes_into") for i in "abcde"] + [("p", "chip", "goes_into")]
    return net(shares=HAND, relations=rel, stages={"fab": "Fabrication"}, items={"p": "process", "chip": "output"},
               item_stage={"p": "fab"}, market=MARKET, alliances=GROUPS)


def test_pool_expressions(hand):
    assert candidate_pool(hand, None, ["KOR", "NLD"]) == ["JPN", "USA"]          # default: like-minded
    assert candidate_pool(hand, "like-minded", ["KOR"]) == ["JPN", "USA"]
    assert candidate_pool(hand, "REGIME", ["KOR"]) == ["CHN", "JPN"]
    assert candidate_pool(hand, "demo&regime", ["KOR"]) == ["JPN"]              # intersection, ids ignore case
    assert candidate_pool(hand, "DEMO,REGIME", ["KOR"]) == ["CHN", "JPN", "USA"]  # union
    assert candidate_pool(hand, "like-minded,TWN", ["KOR"]) == ["JPN", "TWN", "USA"]
    assert candidate_pool(hand, "all", ["KOR", "NLD"]) == ["CHN", "JPN", "TWN", "USA"]
    with pytest.raises(AllychainError, match="empty name"):
        candidate_pool(hand, "DEMO,", ["KOR"])
    assert country_groupings(hand) == {"JPN": ["DEMO", "REGIME"], "USA": ["DEMO"], "CHN": ["REGIME"]}


def test_like_minded_needs_groupings_or_extra(net):
    plain = net(shares=HAND)
    with pytest.raises(AllychainError, match="no like-minded groupings"):
        candidate_pool(plain, None, ["KOR"])
    assert candidate_pool(plain, None, ["KOR"], extra=GROUPS) == ["JPN", "USA"]


def test_default_partners_rank_the_like_minded_pool_with_groupings_and_concentration(hand):
    r = partners(hand, ["KOR", "NLD"])
    # hand-solved: JPN resolves b (70 %) and c (90 %); USA resolves d (66 %); CHN (a, 80 %) is not in the pool
    assert list(r["country"]) == ["JPN", "USA"]
    jpn, usa = r.iloc[0], r.iloc[1]
    assert jpn["score"] == 2 and jpn["groupings"] == ["DEMO", "REGIME"]
    assert jpn["largest_share"] == 90 and jpn["largest_share_item"] == "C" and jpn["concentrated_items"] == 2
    assert usa["largest_share"] == 66 and usa["concentrated_items"] == 1
    everyone = partners(hand, ["KOR", "NLD"], candidates="all")
    assert list(everyone["country"]) == ["JPN", "CHN", "USA", "TWN"]
    assert everyone.iloc[1]["groupings"] == ["REGIME"] and everyone.iloc[3]["groupings"] == []
    assert pd.isna(everyone.iloc[3]["largest_share"])  # TWN holds no share of a critical item: unknown, not 0


# Membership lists typed from the cited sources (G7 communiqué 2023, europa.eu, oecd.org, commerce.gov/ipef,
# state.gov/minerals-security-partnership, Camp David statement 2023), independently of the CSV.
G7 = {"CAN", "FRA", "DEU", "ITA", "JPN", "GBR", "USA"}
EU = {"AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA",
      "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE"}
OECD = {"AUS", "AUT", "BEL", "CAN", "CHL", "COL", "CRI", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
        "ISL", "IRL", "ISR", "ITA", "JPN", "KOR", "LVA", "LTU", "LUX", "MEX", "NLD", "NZL", "NOR", "POL", "PRT",
        "SVK", "SVN", "ESP", "SWE", "CHE", "TUR", "GBR", "USA"}
IPEF = {"AUS", "BRN", "FJI", "IND", "IDN", "JPN", "KOR", "MYS", "NZL", "PHL", "SGP", "THA", "USA", "VNM"}
MSP = {"AUS", "CAN", "FIN", "FRA", "DEU", "IND", "JPN", "KOR", "SWE", "GBR", "USA"}


def test_builtin_default_pool_is_like_minded_and_all_is_an_opt_in():
    import allychain

    n = allychain.load("builtin")
    pool = set(candidate_pool(n, None, ["KOR", "NLD"]))
    assert pool == (G7 | EU | OECD | IPEF | MSP | {"USA", "JPN", "KOR"}) - {"KOR", "NLD"}
    assert not pool & {"CHN", "RUS"}  # Russia is in the Wassenaar Arrangement, which is not a like-minded pool
    assert "RUS" in candidate_pool(n, "WASSENAAR", ["KOR", "NLD"])
    r = partners(n, "KOR,NLD")
    # hand-checked against shares.csv: Japan holds 90 % of photoresists, EUV and ArF resists, 70 % of HF and
    # 100 % of EUV pellicles (Mitsui Chemicals, ASML's exclusive licensee)
    top = r.iloc[0]
    assert top["country"] == "JPN" and sorted(top["resolved_items"]) == sorted(
        ["photoresists", "euv-photoresist", "arf-photoresist", "hydrogen-fluoride", "euv-pellicles"])
    assert top["internalised_share"] == pytest.approx(90 * 3 + 70 + 100)
    assert "CHN" not in set(r["country"])
    everyone = partners(n, "KOR,NLD", candidates="all")
    chn = everyone.iloc[0]
    # gallium 98, tungsten 81, natural graphite 75, indium 70, silicon metal 70, rare earths 69, germanium 68
    # (USGS MCS), refined rare earths 90 and processed graphite 90 (IEA GCMO 2024)
    assert chn["country"] == "CHN" and chn["score"] == 9
    assert chn["internalised_share"] == pytest.approx(98 + 81 + 75 + 70 + 70 + 69 + 68 + 90 + 90)
    assert chn["groupings"] == [] and chn["concentrated_items"] == 9
