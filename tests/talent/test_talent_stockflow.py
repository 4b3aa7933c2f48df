"""The stock-flow model: the identity as a property, hand-solved cases, coverage, sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allychain.errors import AllychainError, UnknownMemberError
from allychain.talent import Programme, programme_effect, project, sensitivity, validated
from allychain.talent.capacity import demand_from_capacity
from allychain.talent.params import UNITS


def _table(rows: list[tuple[str, str, str, int, float]]) -> pd.DataFrame:
    raw = pd.DataFrame([{"country": c, "level": lv, "flow": f, "year": str(y), "value": repr(float(v)),
                         "unit": UNITS[f], "source_id": "t", "confidence": "low", "note": ""}
                        for c, lv, f, y, v in rows])
    return validated(raw, "test")


rates = st.floats(0, 0.3, allow_nan=False)
people = st.floats(0, 5e4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(stock=st.floats(1, 1e6), grads=people, share=st.floats(0, 1), mig=people, retrain=people,
       attr=rates, ret=rates, emi=rates, attr2=rates, prog=people, start=st.integers(2020, 2035))
def test_stock_flow_identity(stock: float, grads: float, share: float, mig: float, retrain: float, attr: float,
                             ret: float, emi: float, attr2: float, prog: float, start: int) -> None:
    t = _table([("KOR", "bachelor", "stock", 2020, stock), ("KOR", "bachelor", "graduates", 2020, grads),
                ("KOR", "bachelor", "entry_share", 2020, share), ("KOR", "bachelor", "migration", 2022, mig),
                ("KOR", "bachelor", "retraining", 2020, retrain), ("KOR", "bachelor", "attrition", 2020, attr),
                ("KOR", "bachelor", "attrition", 2027, attr2), ("KOR", "bachelor", "retirement", 2020, ret),
                ("KOR", "bachelor", "emigration", 2020, emi), ("KOR", "bachelor", "demand", 2040, 2 * stock)])
    s = project(t, programmes=[Programme("p", "KOR", "bachelor", prog, start, start + 3, 0.5)]).series
    stock_t = s["stock"].to_numpy()
    assert np.allclose(stock_t[1:], (stock_t + s["inflow"] - s["outflow"]).to_numpy()[:-1], rtol=1e-9, atol=1e-6)
    parts = s[["graduates_in", "migration", "retraining", "pipeline", "programmes"]].sum(axis=1)
    assert np.allclose(s["inflow"], parts)
    assert np.allclose(s["outflow"], s[["attrition", "retirement", "emigration"]].sum(axis=1))
    assert np.allclose(s["gap"], s["demand"] - s["stock"])
    assert (s["migration"][s["year"] < 2022] == 0).all()  # a flow applies from its row's year on


def test_hand_solved_two_years() -> None:
    # S0 = 1000; inflow 100 graduates x 0.5 + 20 migration = 70; outflow 10 % of stock
    t = _table([("USA", "technician", "stock", 2024, 1000), ("USA", "technician", "graduates", 2024, 100),
                ("USA", "technician", "entry_share", 2024, 0.5), ("USA", "technician", "migration", 2024, 20),
                ("USA", "technician", "attrition", 2024, 0.1), ("USA", "technician", "demand", 2026, 1200)])
    s = project(t).series.set_index("year")
    assert s.loc[2025, "stock"] == pytest.approx(1000 + 70 - 100)  # 970
    assert s.loc[2026, "stock"] == pytest.approx(970 + 70 - 97)  # 943
    assert s.loc[2025, "demand"] == pytest.approx(1100)  # linear from the base stock
    assert s.loc[2026, "gap"] == pytest.approx(1200 - 943)


def test_gap_not_assessable_beyond_demand_and_flows_not_covered_listed() -> None:
    t = _table([("JPN", "all", "stock", 2024, 100), ("JPN", "all", "pipeline", 2024, 5),
                ("JPN", "all", "demand", 2026, 120)])
    p = project(t, until=2028)
    assert p.series.set_index("year").loc[2027, "gap"] != p.series.set_index("year").loc[2027, "gap"]  # NaN
    cov = p.coverage.set_index("flow")
    assert not cov.loc["attrition", "covered"] and "not covered" in cov.loc["attrition", "note"]
    sens = sensitivity(t, until=2026).set_index("input")
    assert np.isnan(sens.loc["attrition", "change"]) and not sens.loc["attrition", "covered"]


def test_sensitivity_matches_hand_computation() -> None:
    t = _table([("KOR", "all", "stock", 2021, 177_000), ("KOR", "all", "demand", 2031, 304_000),
                ("KOR", "all", "pipeline", 2021, 7_300)])
    sens = sensitivity(t, step=0.1).set_index("input")
    assert sens.loc["pipeline", "change"] == pytest.approx(-7_300)  # 10 % of 73,000 supplied
    assert sens.loc["pipeline", "elasticity"] == pytest.approx(-73_000 / 54_000)
    assert sens.loc["demand", "change"] == pytest.approx(30_400)
    assert sens.loc["stock", "change"] == pytest.approx(-17_700)


def test_programme_closes_the_gap_by_its_cumulative_entrants() -> None:
    t = _table([("KOR", "all", "stock", 2021, 177_000), ("KOR", "all", "demand", 2031, 304_000),
                ("KOR", "all", "pipeline", 2021, 7_300)])
    eff = programme_effect(t, [Programme("academy", "KOR", "all", 1000, 2025, None, 0.8)]).set_index("year")
    # trained in 2025..2030 join the stock of 2026..2031: 6 years x 800
    assert eff.loc[2031, "closed"] == pytest.approx(4_800)
    assert eff.loc[2025, "closed"] == 0


def test_unknown_countries_and_bad_years_are_refused() -> None:
    t = _table([("KOR", "all", "stock", 2021, 1), ("KOR", "all", "demand", 2031, 2)])
    with pytest.raises(UnknownMemberError, match="XYZ"):
        project(t, countries=["XYZ"])
    with pytest.raises(UnknownMemberError, match="'USA'"):
        project(t, programmes=[Programme("p", "USA", "all", 1, 2025)])
    with pytest.raises(AllychainError, match="until: got 2020"):
        project(t, until=2020)


def test_demand_from_capacity_raises_demand_and_marks_uncovered_stages() -> None:
    cap = pd.DataFrame({"country": ["KOR", "KOR", "NLD"], "stage": ["fab", "fab", "assembly"],
                        "year": [2025, 2026, 2025], "capacity": [100.0, 150.0, 10.0]})
    inten = pd.DataFrame({"stage": ["fab", "fab"], "level": ["technician", "bachelor"],
                          "workers_per_unit": [3.0, 1.0]})
    rows, uncovered = demand_from_capacity(cap, inten)
    got = rows.set_index(["level", "year"])["value"]
    assert got[("technician", 2026)] == 450 and got[("bachelor", 2025)] == 100
    assert list(uncovered["country"]) == ["NLD"] and "NLD" not in set(rows["country"])
