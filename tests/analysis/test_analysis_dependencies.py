"""Dependencies through all tiers on hand-solved networks.

The chain network (fixture in tests/analysis/conftest.py; numbers in percent):

    chip ← litho (process of stage 'fab') ← litho-tools ← {euv, duv} (is_type_of)
                                            duv ← neon
                     litho ← resist, wafer
    stage fab: KOR 17, TWN 18, Various 65      litho-tools: NLD 80, JPN 20
    euv: NLD 100      duv: NLD 60, JPN 40      neon: UKR 50, CHN 30 (20 unknown)
    resist: JPN and KOR listed, shares unknown wafer: JPN 70, KOR 20, Various 10
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from allychain.analysis import dependencies, dependency_report, member_roots
from allychain.errors import AllychainError, UnknownMemberError


def by_item(df: pd.DataFrame) -> dict[str, dict]:
    return {r["item_id"]: r for r in df.to_dict("records")}


def test_single_member_all_tiers(chain):
    d = by_item(dependencies(chain, "KOR"))
    assert set(d) == {"litho-tools", "euv", "duv", "neon", "resist", "wafer"}  # processes are steps, not supplies
    lt = d["litho-tools"]
    assert lt["tier"] == 1 and lt["status"] == "assessed"
    assert lt["internal_share"] == 0 and lt["foreign_share"] == pytest.approx(100)
    assert lt["top_foreign_country"] == "NLD" and lt["top_foreign_share"] == 80 and lt["critical"] is True
    duv = d["duv"]
    assert duv["top_foreign_share"] == 60 and duv["critical"] is False
    neon = d["neon"]
    assert neon["tier"] == 2  # neon → duv (a litho tool) → litho
    assert neon["foreign_share"] == pytest.approx(80) and neon["unknown_share"] == pytest.approx(20)
    assert neon["top_foreign_country"] == "UKR" and neon["critical"] is False
    wafer = d["wafer"]  # KOR's own 20 % is domestic; the aggregate 10 % is foreign but never a country
    assert wafer["internal_share"] == 20 and wafer["foreign_share"] == pytest.approx(80)
    assert wafer["top_foreign_country"] == "JPN" and wafer["top_foreign_share"] == 70 and wafer["critical"] is True


def test_dependency_reached_only_through_is_type_of(chain):
    rel = chain.relations
    assert not ((rel["source"] == "euv") & (rel["kind"] == "goes_into")).any()
    d = by_item(dependencies(chain, "KOR"))
    euv = d["euv"]
    assert euv["tier"] == 1
    assert "is_type_of litho-tools" in euv["via"]
    assert euv["top_foreign_country"] == "NLD" and euv["top_foreign_share"] == 100 and euv["critical"] is True


def test_unknown_shares_give_not_assessable_and_null_critical(chain):
    r = by_item(dependencies(chain, "KOR"))["resist"]
    assert r["status"] == "not_assessable"
    assert r["critical"] is pd.NA or r["critical"] is None
    assert math.isnan(r["foreign_share"])
    rep = dependency_report(chain, "KOR")
    assert rep["coverage"]["not_assessable"] == ["resist"]
    assert rep["coverage"]["not_in_data"] == []


def test_role_weight_and_exposure(chain):
    d = by_item(dependencies(chain, "KOR"))
    # every dependency serves KOR's fabrication, where KOR holds 17 % of capacity
    assert d["wafer"]["role_weight"] == 17
    assert d["wafer"]["exposure"] == pytest.approx(17 * 80 / 100)
    assert d["euv"]["exposure"] == pytest.approx(17.0)


def test_roots_read_from_the_data(chain):
    roots = member_roots(chain, ["KOR"])
    r = dict(zip(roots["root_id"], roots["kind"], strict=False))
    assert r == {"fab": "stage", "wafer": "item"}
    assert roots.set_index("root_id").loc["fab", "items"] == ["litho"]
    # raising the threshold above KOR's 17 % fab share leaves only wafer (20 %)
    assert list(member_roots(chain, ["KOR"], min_share=18)["root_id"]) == ["wafer"]


def test_alliance_counts_every_member_as_internal(chain):
    d = by_item(dependencies(chain, ["KOR", "NLD"]))
    euv = d["euv"]
    assert euv["internal_share"] == 100 and euv["foreign_share"] == 0 and euv["critical"] is False
    lt = d["litho-tools"]
    assert lt["internal_share"] == 80 and lt["foreign_share"] == pytest.approx(20)
    assert lt["top_foreign_country"] == "JPN" and lt["critical"] is False
    assert d["wafer"]["critical"] is True  # JPN 70 % stays outside


def test_making_a_category_does_not_require_its_variants(chain):
    # NLD makes litho tools, EUV and DUV tools: it needs what they need (neon), not the tools themselves
    d = dependencies(chain, "NLD")
    assert list(d["item_id"]) == ["neon"]
    assert d.iloc[0]["tier"] == 1


def test_member_without_shares_is_assumed_to_run_the_whole_chain(chain):
    rep = dependency_report(chain, "FRA")
    assert list(rep["roots"]["kind"]) == ["assumed"]
    assert list(rep["roots"]["root_id"]) == ["chip"]
    assert set(rep["dependencies"]["item_id"]) == {"litho-tools", "euv", "duv", "neon", "resist", "wafer"}
    assert rep["dependencies"]["role_weight"].isna().all()


def test_names_are_normalised_and_unknown_ones_suggested(chain):
    a = dependencies(chain, "South Korea")
    b = dependencies(chain, "KOR")
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(UnknownMemberError, match="Netherlands"):
        dependencies(chain, "Netherland")


def test_requested_items_coverage(chain):
    rep = dependency_report(chain, "KOR", items=["euv", "unobtainium", "Resist"])
    assert list(rep["dependencies"]["item_id"]) == ["euv", "resist"]
    assert rep["coverage"]["not_in_data"] == ["unobtainium"]
    assert rep["coverage"]["not_assessable"] == ["resist"]


def test_given_stages_override(chain):
    d = dependencies(chain, "KOR", stages=["duv"])
    assert list(d["item_id"]) == ["neon"]
    with pytest.raises(AllychainError, match="unknown stage"):
        dependencies(chain, "KOR", stages=["nowhere"])


def test_site_level_bill_of_materials(net):
    nodes = pd.DataFrame({
        "node_id": ["fab-kr", "res-jp", "res-us", "chem-cn"],
        "product": ["chip", "resist", "resist", "chem"],
        "capacity": [10.0, 80.0, 20.0, 100.0],
        "country": ["KOR", "JPN", "USA", "CHN"],
    })
    bom = pd.DataFrame({"node_id": ["fab-kr", "res-jp", "res-us"], "input_product": ["resist", "chem", "chem"],
                        "quantity": [0.1, 1.0, 1.0]})
    n = net(nodes=nodes, bom=bom)
    d = by_item(dependencies(n, "KOR"))
    assert set(d) == {"resist", "chem"}
    assert d["resist"]["tier"] == 1 and d["chem"]["tier"] == 2
    # capacity shares: JPN 80 / (80 + 20) = 80 %
    assert d["resist"]["top_foreign_country"] == "JPN" and d["resist"]["top_foreign_share"] == pytest.approx(80)
    assert d["resist"]["critical"] is True
    assert d["chem"]["top_foreign_country"] == "CHN" and d["chem"]["top_foreign_share"] == pytest.approx(100)


def test_mixed_country_and_firm_members_are_refused(net):
    n = net(shares=[("x", "KOR", 50, 2022), ("x", "asml", 50, 2022)])
    with pytest.raises(AllychainError, match="mix countries and firms"):
        dependencies(n, ["KOR", "asml"])
