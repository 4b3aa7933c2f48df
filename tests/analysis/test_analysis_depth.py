"""The Korea–Netherlands case in depth on the built-in data: the Dutch chain's needs through all tiers and what
each member supplies the other, both directions.  Every expected number below is read by hand from the rows of
src/allychain/data/builtin/shares.csv and relations.csv (sources named beside each)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import allychain
from allychain.analysis import dependency_report
from allychain.analysis.alliance import alliance_report, complementarity
from allychain.cli.main import app


@pytest.fixture(scope="module")
def net() -> allychain.Network:
    return allychain.load("builtin")


@pytest.fixture(scope="module")
def nld(net):
    return dependency_report(net, "NLD")


def test_the_dutch_roles_are_asml_and_nxp(nld):
    roots = nld["roots"].set_index("root_id")["weight"]
    # ASML: 100 % of EUV tools (ASML AR 2023), 94.1 % of lithography tools (2024); NXP: 10 % of automotive
    # semiconductor revenue in 2023 (TechInsights via SemiMedia), counted at its Dutch headquarters
    assert roots.to_dict() == pytest.approx({"euv-lithography-tools": 100.0, "lithography-tools": 94.1,
                                            "automotive-chips": 10.0})


def test_the_euv_module_chain_reaches_the_second_tier(nld):
    d = nld["dependencies"].set_index("item_id")
    # TRUMPF's drive lasers go into Cymer's light sources, which go into ASML's EUV scanners
    assert d.loc["euv-drive-lasers", "tier"] == 2
    assert d.loc["euv-drive-lasers", "via"] == "euv-drive-lasers goes_into euv-light-sources goes_into " \
                                                "euv-lithography-tools"
    for item, country in (("euv-drive-lasers", "DEU"), ("euv-light-sources", "USA"), ("euv-optics", "DEU")):
        assert d.loc[item, "top_foreign_country"] == country and d.loc[item, "foreign_share"] == 100
        assert bool(d.loc[item, "critical"]) and d.loc[item, "role_weight"] == 100
    # vacuum subsystems (VLI Research 2016): Japanese vendors 21 %; the European 58 % is not split by country and
    # stays in the unknown rest, so Japan is the largest known foreign country and the item is not critical
    v = d.loc["vacuum-subsystems"]
    assert v["tier"] == 1 and v["foreign_share"] == pytest.approx(21) and v["unknown_share"] == pytest.approx(79)
    assert v["top_foreign_country"] == "JPN" and v["top_foreign_share"] == 21 and not bool(v["critical"])


def test_the_dutch_fabs_need_wafers_gases_chemicals_and_minerals(nld):
    d = nld["dependencies"].set_index("item_id")
    # silicon wafers: firm shares by home country 2020 (JPN 51.3, TWN 15.2, DEU 11.5, KOR 11.4, FRA 5.5)
    w = d.loc["silicon-wafers"]
    assert w["internal_share"] == 0 and w["foreign_share"] == pytest.approx(94.9)
    assert w["top_foreign_country"] == "JPN" and w["top_foreign_share"] == pytest.approx(51.3)
    assert w["role_weight"] == 10 and w["exposure"] == pytest.approx(9.49)
    # the refining stage, where the concentration is (IEA GCMO 2024), one tier above the mines (USGS MCS 2024)
    expect = {"refined-rare-earths": (4, 90.0), "rare-earths": (5, 69.0), "refined-graphite": (4, 90.0),
              "graphite": (5, 75.0), "neon": (2, 45.0), "hydrogen-fluoride": (3, 70.0), "euv-pellicles": (3, 100.0)}
    for item, (tier, top) in expect.items():
        assert (d.loc[item, "tier"], d.loc[item, "top_foreign_share"]) == (tier, top), item
    assert d.loc["refined-rare-earths", "via"].endswith("cmp goes_into wafer-fabrication goes_into automotive-chips")
    assessed = d[d["status"] == "assessed"]
    assert len(assessed[assessed["foreign_share"] > 0]) >= 25 and int(d["tier"].max()) == 5


def test_complementarity_runs_both_ways(net):
    comp = complementarity(net, "KOR,NLD").set_index(["supplier", "customer"])
    # the Netherlands supplies Korea's lithography (ASML: EUV 100 %, all lithography 94.1 %)
    assert sorted(comp.loc[("NLD", "KOR"), "item_ids"]) == ["euv-lithography-tools", "lithography-tools"]
    # Korea supplies the Dutch fabs' wafers (SK Siltron, 11.4 % of 2020 silicon wafer revenue)
    assert comp.loc[("KOR", "NLD"), "item_ids"] == ["silicon-wafers"] and comp.loc[("KOR", "NLD"), "items"] == 1
    nld = dependency_report(net, "NLD")["dependencies"]
    foreign = float(nld.loc[nld["status"] == "assessed", "foreign_share"].sum())
    assert comp.loc[("KOR", "NLD"), "share_of_foreign"] == pytest.approx(100 * 11.4 / foreign)
    m = alliance_report(net, "KOR,NLD")["complementarity_matrix"]
    assert m.loc["KOR", "NLD"] == 1 and m.loc["NLD", "KOR"] == 2


def test_korea_materials_makers_are_named(net):
    s = net.shares
    home = net.providers.set_index("provider_id")["country"]
    kor = s[s["provider_id"].map(home).eq("KOR").fillna(False).to_numpy()]
    by_item = {i: set(g) for i, g in kor.groupby("item_id")["provider_id"]}
    assert {"soulbrain", "sk-specialty"} <= by_item["hydrogen-fluoride"]          # MOTIE 2021 via Korea Bizwire
    assert {"kolon-industries", "skc"} <= by_item["fluorinated-polyimide"]       # MOTIE 2021
    assert {"wonik-ips", "jusung-engineering", "eugene-technology"} <= by_item["ald-tools"]
    assert kor.loc[kor["item_id"].isin(["hydrogen-fluoride", "fluorinated-polyimide"]), "share"].isna().all()


def test_cli_lists_the_dutch_multi_tier_needs():
    res = CliRunner().invoke(app, ["analyze", "dependencies", "--members", "NLD", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    by = {d["item_id"]: d for d in out["dependencies"]}
    assert by["euv-drive-lasers"]["top_foreign_country"] == "DEU" and by["euv-drive-lasers"]["tier"] == 2
    assert by["silicon-wafers"]["foreign_share"] == pytest.approx(94.9)
    assert {"graphite", "refined-graphite", "refined-rare-earths"} <= set(by)


def test_asm_internationals_ald_tools_need_the_subsystems(net):
    """ASM International's ALD tools have no public share, so they are not a default Dutch role; asked for, they
    need what every deposition tool needs (relations.csv: vacuum, RF power, ceramics go into deposition tools)."""
    d = dependency_report(net, "NLD", stages=["ald-tools"])["dependencies"].set_index("item_id")
    assert set(d.index) == {"vacuum-subsystems", "rf-power-systems", "fine-ceramic-parts"}
    assert (d["tier"] == 1).all() and d["via"].str.endswith("goes_into deposition-tools, a category of ald-tools").all()
    assert d.loc["vacuum-subsystems", "top_foreign_country"] == "JPN"      # Japanese vendors 21 % (VLI 2016)
    assert d.loc[["rf-power-systems", "fine-ceramic-parts"], "status"].eq("not_assessable").all()  # shares unknown
