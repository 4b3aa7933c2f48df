"""Energy dependency per item and member, checked by hand on a small network and small energy tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import allychain
from allychain.energy import load_builtin
from allychain.energy.dataset import from_frames, read_table
from allychain.energy.exposure import item_exposure, member_fabs
from allychain.errors import UnknownMemberError
from allychain.model.network import Network

SUPPLY = """country,measure,year,basis,value,unit,source_id,confidence,note
KOR,carbon_intensity,2023,lifecycle,400,gCO2e/kWh,s,high,
KOR,share_carbon_free,2023,all,40,percent,s,high,
KOR,saidi,2022,all,9,minutes/customer/year,s,high,
TWN,carbon_intensity,2023,lifecycle,550,gCO2e/kWh,s,high,
TWN,share_carbon_free,2023,all,15,percent,s,high,
"""
INTENSITY = """item_id,country,provider,year,value,unit,source_id,confidence,note
logic,TWN,,2023,1500,kWh/wafer300,s,low,
logic,,,2022,1000,kWh/wafer300,s,low,
"""
COOPERATION = """agreement_id,parties,signatories,kind,instrument,signed,title,scope,source_id,confidence,note
kr-nl,KOR;NLD,,nuclear,mou,2023-12-13,t,,s,high,
"""


def _tables():
    frames = {"intensity": read_table(INTENSITY), "supply": read_table(SUPPLY), "cooperation": read_table(COOPERATION)}
    return from_frames(frames, pd.DataFrame({"source_id": ["s"]}))


def _net() -> Network:
    items = pd.DataFrame({"item_id": ["logic", "memory", "tools"], "name": ["Logic", "Memory", "Tools"],
                          "kind": ["chip", "chip", "tool"], "stage_id": ["fabrication", "fabrication", "equipment"]})
    providers = pd.DataFrame({"provider_id": ["KOR", "TWN", "USA", "NLD", "fab1"], "name": ["K", "T", "U", "N", "F"],
                              "kind": ["country"] * 4 + ["firm"], "country": ["", "", "", "", "KOR"]})
    shares = pd.DataFrame({"item_id": ["logic", "logic", "logic", "memory", "memory", "tools", "memory"],
                           "provider_id": ["TWN", "KOR", "USA", "KOR", "USA", "NLD", "fab1"],
                           "share": [60.0, 20.0, 10.0, 70.0, np.nan, 90.0, 50.0], "year": [2023] * 7})
    relations = pd.DataFrame({"source": ["logic", "tools"], "target": ["memory", "logic"],
                              "kind": ["goes_into", "goes_into"]})
    return Network(name="toy", items=items, providers=providers, shares=shares, relations=relations)


def test_item_exposure_by_hand() -> None:
    e = item_exposure(_net(), _tables()).set_index("item_id")
    assert list(e.index) == ["logic", "memory"]          # the fab items with shares
    lo = e.loc["logic"]
    # TWN 60, KOR 20 have figures, USA 10 has none: weighted over 80 of 90 known
    assert lo["carbon_intensity"] == pytest.approx((60 * 550 + 20 * 400) / 80)
    assert lo["carbon_intensity_covered"] == pytest.approx(100 * 80 / 90)
    assert lo["share_carbon_free"] == pytest.approx((60 * 15 + 20 * 40) / 80)
    assert (lo["top_grid"], lo["top_grid_share"]) == ("TWN", 60)
    assert math.isnan(lo["top_grid_saidi"]) and "top_grid_saidi" in lo["status"]
    assert lo["kwh_per_unit"] == 1500                    # the top grid's own figure before the generic one
    me = e.loc["memory"]                                 # USA share unknown: only KOR's 70 counts
    assert (me["known_share"], me["carbon_intensity"], me["top_grid_saidi"]) == (70, 400, 9)
    assert me["kwh_per_unit"] != me["kwh_per_unit"]      # not covered: NaN, never 0


def test_member_fabs_by_hand() -> None:
    m = member_fabs(_net(), _tables(), "KOR,NLD,fab1")
    kor = m[m["member"] == "KOR"].set_index("item_id")
    assert kor["share"].to_dict() == {"memory": 70, "logic": 20}
    assert kor.loc["memory", "carbon_intensity"] == 400 and kor.loc["memory", "saidi"] == 9
    assert kor.loc["memory", "agreements"] == "kr-nl"
    assert kor.loc["logic", "kwh_per_unit"] == 1000      # KOR has no own figure: the generic one
    nld = m[m["member"] == "NLD"].iloc[0]
    assert pd.isna(nld["item_id"]) and nld["status"].startswith("no fab output in the data")
    assert math.isnan(nld["carbon_intensity"]) and nld["agreements"] == "kr-nl"
    f = m[m["member"] == "fab1"].iloc[0]                 # a firm runs on its country's grid
    assert (f["grid"], f["item_id"], f["share"], f["carbon_intensity"]) == ("KOR", "memory", 50, 400)
    with pytest.raises(UnknownMemberError):
        member_fabs(_net(), _tables(), "Atlantis")


def test_builtin_kor_nld_fabs_run_on_the_korean_grid() -> None:
    m = member_fabs(allychain.load("builtin"), load_builtin(), "KOR,NLD")
    kor = m[m["member"] == "KOR"]
    assert {"dram-chips", "nand-flash-chips", "hbm"} <= set(kor["item_id"])
    assert (kor["grid"] == "KOR").all() and (kor["carbon_intensity"] == 413).all()
    nld = m[m["member"] == "NLD"]                                     # NXP: 10 % of automotive chips (2023)
    assert list(nld["item_id"]) == ["automotive-chips"] and nld["carbon_intensity"].isna().all()


def test_item_exposure_excluding_members_and_naming_mixed_bases() -> None:
    e = item_exposure(_net(), _tables(), ["logic"], exclude=["TWN"]).set_index("item_id")
    assert e.loc["logic", "carbon_intensity"] == 400 and e.loc["logic", "top_grid"] == "KOR"
    assert e.loc["logic", "carbon_intensity_basis"] == "lifecycle"


def test_import_grids_by_hand() -> None:
    from allychain.services.energy import import_grids

    g = import_grids(_net(), _tables(), "KOR").set_index("item_id")
    # KOR's memory needs logic (TWN 60, USA 10 of the known 90 from outside; KOR's own 20 left out of the grids)
    lo = g.loc["logic"]
    assert lo["grids"] == "TWN 60 %; USA 10 %" and lo["top_grid"] == "TWN"
    assert lo["carbon_intensity"] == 550 and lo["carbon_intensity_covered"] == pytest.approx(100 * 60 / 70)
    # KOR's logic needs tools, all from NLD, whose grid has no figure here: not covered, not 0
    tools = g.loc["tools"]
    assert (tools["top_grid"], tools["top_grid_share"]) == ("NLD", 90)
    assert math.isnan(tools["carbon_intensity"]) and "carbon_intensity" in tools["status"]
    assert list(g.index) == ["tools", "logic"] or g["foreign_share"].is_monotonic_decreasing
