"""The built-in energy tables: they load, every figure cites a public source, hand-checked values
from those sources read back, "not covered" stays NaN, and bad input names file, row and column."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from allychain.energy import load_builtin, supply_profile
from allychain.energy.dataset import TABLES, builtin_sources, check_table, from_frames, read_table
from allychain.errors import DataError, UnknownMemberError

SUPPLY = "country,measure,year,basis,value,unit,source_id,confidence,note\n"
INTENSITY = "item_id,country,provider,year,value,unit,source_id,confidence,note\n"
COOPERATION = "agreement_id,parties,signatories,kind,instrument,signed,title,scope,source_id,confidence,note\n"


def _problems(name: str, text: str) -> list[tuple[int | None, str | None, str]]:
    got = check_table(name, read_table(text), f"{name}.csv", pd.Series(["s"]))
    assert all(p.file == f"{name}.csv" for p in got)
    return [(p.row, p.column, p.message) for p in got]


def test_builtin_tables_load_and_every_figure_cites_a_full_source() -> None:
    t = load_builtin()
    src = builtin_sources().set_index("source_id")
    assert not src.index.duplicated().any()
    for col in ("title", "publisher", "year", "url"):
        assert (src[col].str.strip() != "").all(), col
    assert src["url"].str.startswith("https://").all()
    for name in ("intensity", "supply"):
        table = getattr(t, name)
        with_value = table[table["value"].notna()]
        assert with_value["source_id"].isin(src.index).all()
        assert (with_value["confidence"] != "").all()
        # not covered stays NaN, never 0, and says so in its note
        empty = table[table["value"].isna()]
        assert (empty["note"].str.startswith("Not covered")).all()
    assert t.cooperation["source_id"].isin(src.index).all()
    cited = set(t.intensity["source_id"]) | set(t.supply["source_id"]) | set(t.cooperation["source_id"])
    assert set(src.index) - cited <= {"tsmc-about-2024", "koreaherald-2023-12"}  # cited in notes


def test_hand_checked_figures_from_their_sources() -> None:
    s = load_builtin().supply.set_index(["country", "measure", "year", "basis"])["value"]
    assert s["CHN", "share_coal", 2023, "all"] == 60          # Ember GER 2024: '60% of generation came from coal'
    assert s["CHN", "share_carbon_free", 2023, "all"] == 35   # 'Clean electricity made up 35%'
    assert s["DEU", "saidi", 2022, "unplanned"] == 12.2       # Bundesnetzagentur SAIDI-EnWG 2022
    assert s["USA", "saidi", 2022, "all"] == pytest.approx(5.6 * 60)  # EIA: 5.6 hours with major events
    assert s["NLD", "share_renewables", 2023, "all"] == 48    # CBS
    assert s["NLD", "share_fossil", 2023, "all"] == pytest.approx(100 * 58 / 120, abs=0.5)  # 58 of 120 bn kWh
    assert s["KOR", "saidi", 2022, "all"] == 9.05             # KEPCO via Hankyung
    assert math.isnan(s["NLD", "saidi", 2023, "all"])         # not covered, not 0
    i = load_builtin().intensity.set_index(["item_id", "provider"])["value"]
    assert i["wafer-fabrication", "tsmc"] == pytest.approx(24e9 / 16e6)  # >24 bn kWh / >16 M wafers capacity
    assert math.isnan(i["polysilicon", ""])


def test_cooperation_holds_the_december_2023_korea_netherlands_nuclear_documents() -> None:
    c = load_builtin().cooperation
    kor_nld = c[c["parties"].map(lambda p: set(p) == {"KOR", "NLD"}) & (c["kind"] == "nuclear")]
    assert {"joint_statement", "mou", "contract"} <= set(kor_nld["instrument"])
    assert all(d.year == 2023 and d.month == 12 for d in kor_nld["signed"])


def test_profile_derives_carbon_free_only_from_same_year_nuclear_and_renewables() -> None:
    p = supply_profile(load_builtin(), ["USA", "NLD", "KOR", "ATA", "DEU"])
    assert p.loc["USA", "share_carbon_free"] == 19 + 21 and p.loc["USA", "carbon_free_derived"]
    assert p.loc["NLD", "share_carbon_free"] == pytest.approx(48 + 3.3) and p.loc["NLD", "carbon_free_derived"]
    assert math.isnan(p.loc["DEU", "share_carbon_free"])      # no mix figures for DEU: not covered
    assert p.loc["KOR", "share_carbon_free"] == 38.7 and not p.loc["KOR", "carbon_free_derived"]
    assert p.loc["ATA", "covered"] == 0 and math.isnan(p.loc["ATA", "carbon_intensity"])
    with pytest.raises(UnknownMemberError, match="XYZ"):
        supply_profile(load_builtin(), ["KOR", "XYZ"])


def test_profile_keeps_the_basis_and_prefers_the_latest_year() -> None:
    text = SUPPLY + ("KOR,saidi,2020,all,9,minutes/customer/year,s,high,\n"
                     "KOR,saidi,2022,excl_major_events,7,minutes/customer/year,s,high,\n"
                     "KOR,saidi,2022,unplanned,8,minutes/customer/year,s,high,\n")
    frames = {"intensity": read_table(INTENSITY), "supply": read_table(text), "cooperation": read_table(COOPERATION)}
    t = from_frames(frames, pd.DataFrame({"source_id": ["s"]}))
    p = supply_profile(t, ["KOR"])
    assert (p.loc["KOR", "saidi"], p.loc["KOR", "saidi_year"], p.loc["KOR", "saidi_basis"]) == (8, 2022, "unplanned")


def test_bad_supply_rows_named_by_file_row_and_column() -> None:
    got = _problems("supply", SUPPLY + "KOR,share_nuclear,2023,all,-3,percent,s,high,\n"
                                       "KOR,share_coal,2023,all,130,percent,s,high,\n"
                                       "KOR,saidi,1890,all,9,minutes/customer/year,s,high,\n"
                                       "XYZ,saifi,2023,all,1,interruptions/customer/year,s,high,\n"
                                       "NLD,saidi,2023,all,20,percent,s,high,\n"
                                       "NLD,share_gas,2023,all,40,percent,,,\n"
                                       "NLD,share_wind,2023,all,5,percent,nowhere,sure,\n")
    assert (2, "value", "negative value") in got
    assert (3, "value", "share above 100 %") in got
    assert (4, "year", "year out of range") in got
    assert (5, "country", "unknown country") in got
    assert (6, "unit", "wrong unit for measure saidi") in got
    assert (7, "source_id", "a row with a value must cite its source and confidence") in got
    assert (8, "source_id", "unknown source") in got and (8, "confidence", "not an accepted value of confidence") in got


def test_shares_of_one_country_year_cannot_add_up_above_100() -> None:
    got = _problems("supply", SUPPLY + "TWN,share_coal,2023,all,60,percent,s,high,\n"
                                       "TWN,share_gas,2023,all,50,percent,s,high,\n"
                                       "TWN,share_fossil,2023,all,83,percent,s,high,\n")
    assert got == [(2, "value", "generation shares of TWN 2023 add up to 110 % (lines 2, 3)")]


def test_bad_intensity_and_cooperation_rows() -> None:
    got = _problems("intensity", INTENSITY + "polysilicon,KOR,,2023,-50,kWh/kg,s,high,\n"
                                             "polysilicon,KOR,,2023,50,kWh/kg,s,high,\n"
                                             "Neon,ZZZ,,2150,1,kWh/t,s,high,\n")
    rows = {(r, c) for r, c, _ in got}
    assert {(2, "value"), (4, "item_id"), (4, "country"), (4, "year"), (4, "unit")} <= rows
    assert any(m.startswith("duplicate row: lines 2, 3") for _, _, m in got)
    got = _problems("cooperation", COOPERATION + "a,KOR;XXX,,nuclear,mou,2023-12-13,t,,s,high,\n"
                                                 "b,KOR;NLD,,fusion,mou,2023-02-30,t,,s,high,\n"
                                                 "c,KOR;NLD,,nuclear,mou,1900-01-01,t,,s,high,\n")
    assert (2, "parties", "unknown country") in got
    assert (3, "kind", "not an accepted value of kind") in got and (3, "signed", "not a calendar date") in got
    assert (4, "signed", "year out of range") in got


def test_every_problem_of_every_table_raised_at_once() -> None:
    frames = {"intensity": read_table(INTENSITY + "polysilicon,,,2023,-1,kWh/kg,s,high,\n"),
              "supply": read_table(SUPPLY + "KOR,share_coal,2023,all,101.5,percent,s,high,\n"),
              "cooperation": read_table("agreement_id\nx\n")}
    with pytest.raises(DataError) as exc:
        from_frames(frames, pd.DataFrame({"source_id": ["s"]}), {n: f"{n}.csv" for n in TABLES})
    files = {p.file for p in exc.value.problems}
    assert files == {"intensity.csv", "supply.csv", "cooperation.csv"}
    assert "missing column" in str(exc.value)


def test_extend_replaces_by_key_and_checks_its_sources() -> None:
    from allychain.energy.dataset import extend

    base = load_builtin()
    coop = read_table(COOPERATION + "kepco-nf-nuclic-2023,KOR;NLD,,nuclear,agreement,2024-05-01,t,,mine,high,\n")
    src = read_table("source_id,title,publisher,year,url\nmine,My report,Ministry,2024,https://example.org\n")
    t = extend(base, {"cooperation": coop}, src, {"cooperation": "c.csv", "sources": "s.csv"})
    row = t.cooperation.set_index("agreement_id").loc["kepco-nf-nuclic-2023"]
    assert row["instrument"] == "agreement" and str(row["signed"]) == "2024-05-01"   # replaced, not duplicated
    assert len(t.cooperation) == len(base.cooperation) and "mine" in set(t.sources["source_id"])
    bad = read_table("source_id,title,publisher,year,url\nmine,My report,,1850,https://example.org\n")
    with pytest.raises(DataError) as exc:
        extend(base, {"cooperation": coop}, bad, {"sources": "s.csv"})
    got = {(p.file, p.row, p.column) for p in exc.value.problems}
    assert {("s.csv", 2, "publisher"), ("s.csv", 2, "year")} <= got
