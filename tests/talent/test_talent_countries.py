"""The Netherlands, Taiwan and the EU in the built-in parameters; Japan not covered; the
built-in programmes (the Korea-Netherlands programme, the Dutch national plan) read, sourced
and hand-checked.

None of the figures below is an independent forecast: each checks that the rows carry the
published figures through the accounting (docs/talent.md, "Calibration").
"""

from __future__ import annotations

import math

import pytest

from allychain.data.spec import read_programmes
from allychain.errors import UnknownMemberError
from allychain.talent import builtin_sources, builtin_workforce, programme_effect, project
from allychain.talent.programmes import BUILTIN_PROGRAMMES


def _gap(country: str, year: int) -> float:
    row = project(builtin_workforce(), countries=[country]).at(year)
    return float(row["gap"].iloc[0])


def test_netherlands_38000_additional_workers_by_2030() -> None:
    """Ministers of Economic Affairs and of Education (as reported by Holland High Tech, Nov 2024):
    an estimated 38,000 additional people needed in the microchip sector by 2030.  No supply of
    the current pace is published, so the pipeline is not covered and the gap is all of it."""
    assert _gap("NLD", 2030) == pytest.approx(38_000, rel=0.10)
    cov = project(builtin_workforce(), countries=["NLD"]).coverage.set_index("flow")
    assert not cov.at["pipeline", "covered"] and "not covered" in cov.at["pipeline", "note"]


def test_eu_300000_to_500000_workers_2022_2030() -> None:
    """ALLPROS.eu (the Commission's Industrial Alliance on Processors and Semiconductor
    Technologies), Working Group on Skills: from around 300,000 (2022) to more than 500,000
    (2030), over 200,000 new workers needed."""
    assert _gap("EUR", 2030) == pytest.approx(200_000, rel=0.10)


def test_taiwan_present_gap_only_later_years_not_assessable() -> None:
    """104 Job Bank (Taipei Times, Aug 2022): 35,000 openings a month unfilled in Q1 2022, over
    about 300,000 employed (Business Next, 2022).  A present gap, not a projection."""
    series = project(builtin_workforce(), countries=["TWN"]).series.set_index("year")
    assert series.at[2022, "gap"] == pytest.approx(35_000)
    assert series.index.max() > 2022 and series.loc[2023:, "gap"].isna().all()  # not zero


def test_japan_is_not_covered_and_said_so() -> None:
    with pytest.raises(UnknownMemberError, match="JPN has no workforce parameters"):
        project(builtin_workforce(), countries=["JPN"])


def test_built_in_programmes_are_sourced_and_match_the_published_totals() -> None:
    table, sources = builtin_workforce(), set(builtin_sources()["source_id"])
    progs = {name: read_programmes(f"builtin:{name}", table) for name in BUILTIN_PROGRAMMES}
    for plist in progs.values():
        assert plist and all(p.source_id in sources for p in plist)

    def total(name: str) -> float:
        return sum(p.per_year * p.entry_share * (p.end - p.start + 1) for p in progs[name]
                   if p.end is not None)

    assert total("kor-nld") == pytest.approx(500)                # 500 experts by 2028
    assert {p.country for p in progs["kor-nld"]} == {"KOR", "NLD"}
    assert min(p.start for p in progs["kor-nld"]) == 2024         # begun February 2024
    assert total("nld-microchip-talent") == pytest.approx(33_000)  # 33,000 technicians by 2030


def test_kor_nld_programme_closes_by_hand() -> None:
    """50 a year per country in 2024-2028 (flows of year t reach the stock in t+1): 50 by 2025,
    250 from 2029 on; the gap without the programme unchanged."""
    table = builtin_workforce()
    eff = programme_effect(table, read_programmes("builtin:kor-nld", table), countries=["KOR", "NLD"])
    closed = eff.set_index(["country", "year"])["closed"]
    assert closed["KOR", 2024] == 0 and closed["KOR", 2025] == pytest.approx(50)
    assert closed["KOR", 2031] == pytest.approx(250) and closed["NLD", 2030] == pytest.approx(250)
    base = eff.set_index(["country", "year"])["gap"]
    assert base["KOR", 2031] == pytest.approx(54_000) and base["NLD", 2030] == pytest.approx(38_000)
    assert (closed.isna() == base.isna()).all()  # not assessable stays so (NLD after 2030)
    assert math.isnan(base["NLD", 2031])


def test_unknown_built_in_programme_is_a_clear_error() -> None:
    with pytest.raises(UnknownMemberError, match="builtin:kor-nld"):
        read_programmes("builtin:kor-jpn", builtin_workforce())
