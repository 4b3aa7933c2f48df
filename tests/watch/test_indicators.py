"""Indicator series: crosswalk, importers (Comtrade, BACI, long), bad input, derived series (hand-computed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import allychain
from allychain.errors import DataError
from allychain.watch.importers import read_indicators
from allychain.watch.indicators import crosswalk, crosswalk_sources, derive, items_of_hs

HEAD = "freqCode,period,reporterISO,flowCode,partnerISO,cmdCode,primaryValue,netWgt\n"


def _write(tmp_path: Path, text: str, name: str = "x.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_crosswalk_items_exist_in_builtin_and_cite_sources() -> None:
    n = allychain.load("builtin")
    ids = set(n.items["item_id"])
    cw = crosswalk()
    assert cw["hs_code"].str.fullmatch(r"\d{6}").all()
    assert not cw["hs_code"].duplicated().any()
    for items in cw["item"]:
        assert set(items.split(";")) <= ids, items
    known = set(crosswalk_sources()["source_id"])
    assert all(set(s.split(";")) <= known for s in cw["source_id"])
    assert set(cw["fit"]) <= {"exact", "partial", "uncertain"}
    assert items_of_hs("2811.11") == ["hydrogen-fluoride"]
    assert "neon" in items_of_hs("280429") and "gallium" in items_of_hs("811292")
    assert items_of_hs("999999") == []


def test_comtrade_import_and_derived_series_hand_computed(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "M,201906,KOR,M,JPN,281111,6000000,2500000\n"
                                 "M,201906,KOR,M,CHN,281111,4000000,2000000\n"
                                 "M,201906,KOR,M,W00,281111,10000000,\n")
    got = read_indicators(p, "comtrade")
    t = got.table
    assert len(t) == 6 and not got.warnings
    assert set(t["item"]) == {"hydrogen-fluoride"} and set(t["date"]) == {"2019-06-01"}
    d = derive(t).set_index(["kind", "partner"])["value"]
    assert d["unit_price", "JPN"] == pytest.approx(6e6 / 2.5e6)
    assert d["unit_price", "CHN"] == pytest.approx(2.0)
    assert np.isnan(d["unit_price", "WLD"])           # no quantity for the total: a gap, not 0
    assert d["import_share", "JPN"] == pytest.approx(60.0)
    assert d["import_share", "CHN"] == pytest.approx(40.0)
    assert d["hhi", ""] == pytest.approx(60.0 ** 2 + 40.0 ** 2)


def test_hhi_not_assessable_when_partners_do_not_cover_the_world_total(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "M,201906,KOR,M,JPN,281111,6000000,\nM,201906,KOR,M,W00,281111,10000000,\n")
    d = derive(read_indicators(p, "comtrade").table).set_index(["kind", "partner"])["value"]
    assert d["import_share", "JPN"] == pytest.approx(60.0)
    assert np.isnan(d["hhi", ""])


def test_missing_columns_named(tmp_path: Path) -> None:
    p = _write(tmp_path, "period,reporterISO,partnerISO,cmdCode,primaryValue\n201906,KOR,JPN,281111,1\n")
    with pytest.raises(DataError, match="flowCode") as e:
        read_indicators(p, "comtrade")
    assert e.value.problems[0].row == 1


def test_negative_quantity_names_the_row_and_nothing_is_returned(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "M,201906,KOR,M,JPN,281111,6000000,2500000\n"
                                 "M,201907,KOR,M,JPN,281111,6000000,-5\n")
    with pytest.raises(DataError) as e:
        read_indicators(p, "comtrade")
    pr = e.value.problems
    assert [(x.row, x.column, x.value) for x in pr] == [(3, "value", -5.0)]
    assert "negative" in str(e.value)


def test_duplicate_period_names_both_rows(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "M,201906,KOR,M,JPN,281111,6000000,\nM,201906,KOR,M,JPN,281111,7000000,\n")
    with pytest.raises(DataError, match="duplicate period: rows 2, 3") as e:
        read_indicators(p, "comtrade")
    assert e.value.problems[0].row == 2


def test_unknown_hs_code_is_a_warning_naming_rows_and_the_row_is_left_out(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "M,201906,KOR,M,JPN,281111,6000000,\nM,201906,KOR,M,JPN,999999,5,\n"
                                 "M,201907,KOR,M,JPN,999999,5,\n")
    got = read_indicators(p, "comtrade")
    assert set(got.table["hs_code"]) == {"281111"}
    (w,) = got.warnings
    assert w.severity == "warning" and w.value == "999999" and w.row == 3 and "rows 3, 4" in w.message


def test_bad_period_and_country_are_errors(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "M,2019x6,KOR,M,JPN,281111,6000000,\n")
    with pytest.raises(DataError, match="date") as e:
        read_indicators(p, "comtrade")
    assert e.value.problems[0].row == 2
    p = _write(tmp_path, HEAD + "M,201906,KOREA,M,JPN,281111,6000000,\n")
    with pytest.raises(DataError, match="ISO 3166"):
        read_indicators(p, "comtrade")


def test_baci_numeric_codes_and_units(tmp_path: Path) -> None:
    p = _write(tmp_path, "t,i,j,k,v,q\n2019,392,410,281111,150.5,60\n2019,490,410,854232,20,NA\n")
    t = read_indicators(p, "baci").table.set_index(["kind", "partner"])
    assert t.loc[("trade_value", "JPN"), "value"] == pytest.approx(150_500.0)     # thousand USD → USD
    assert t.loc[("trade_quantity", "JPN"), "value"] == pytest.approx(60_000.0)  # tons → kg
    assert t.loc[("trade_value", "JPN"), "reporter"] == "KOR"
    assert t.loc[("trade_value", "TWN"), "item"] == "memory-chips"
    # 'NA' is not a number: the row is named
    p = _write(tmp_path, "t,i,j,k,v,q\n2019,392,410,281111,150.5,abc\n")
    with pytest.raises(DataError, match="not a number") as e:
        read_indicators(p, "baci")
    assert e.value.problems[0].row == 2


def test_long_layout_gaps_stay_gaps(tmp_path: Path) -> None:
    p = _write(tmp_path, "date,kind,reporter,item,value,unit,source\n2022-01,price,WLD,neon,100,USD/m3,quotes\n"
                         "2022-02,price,WLD,neon,,USD/m3,quotes\n2022-03,price,WLD,neon,1000,USD/m3,quotes\n")
    t = read_indicators(p, "long").table
    assert list(t["date"]) == ["2022-01-01", "2022-02-01", "2022-03-01"] and set(t["freq"]) == {"M"}
    assert np.isnan(t["value"].iloc[1])
    with pytest.raises(DataError, match="kind"):
        read_indicators(_write(tmp_path, "date,kind,reporter,value,unit,source\n2022,pricey,WLD,1,USD,q\n"), "long")
    assert isinstance(t, pd.DataFrame)
