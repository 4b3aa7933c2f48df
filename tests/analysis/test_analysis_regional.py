"""A member whose presence in a stage hides inside a regional figure (ETO's "Europe") is not
self-sufficient: the stage counts as one of its roles, with an unknown weight, and the
report says what was assumed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from allychain.analysis import dependency_report
from allychain.data.load import load
from allychain.model.regions import REGION_COUNTRIES, region_countries

# Fabrication: Korea 20 %, Europe (a region) 8 %, the rest by country; fabs need gas G (China 90 %).
# The Netherlands makes tool T outright; T has no inputs (as in ETO).
SHARES = [
    ("fab", "KOR", 20, 2022), ("fab", "EUR", 8, 2022), ("fab", "TWN", 72, 2022),
    ("gas", "CHN", 90, 2022), ("gas", "JPN", 10, 2022),
    ("tool", "NLD", 100, 2025),
]
RELATIONS = [("gas", "wafer-fab", "goes_into"), ("wafer-fab", "chip", "goes_into"), ("tool", "wafer-fab", "goes_into")]


KW = dict(relations=RELATIONS, stages={"fab": "Fabrication"},
          items={"wafer-fab": "process", "chip": "output", "gas": "chemical"}, item_stage={"wafer-fab": "fab"})


@pytest.fixture
def chain(net):
    return lambda extra=(): net(shares=SHARES + list(extra), **KW)


def test_a_member_inside_a_region_takes_the_regional_stage_with_unknown_weight(chain):
    rep = dependency_report(chain(), ["NLD"])
    roots = rep["roots"].set_index("root_id")
    assert roots.loc["fab", "kind"] == "regional"
    assert roots.loc["fab", "region_share"] == 8.0 and roots.loc["fab", "region_year"] == 2022
    assert roots.loc["fab", "weight"] != roots.loc["fab", "weight"]  # NaN: the Dutch part of 8 % is unknown
    deps = rep["dependencies"].set_index("item_id")
    # the gas the fabs need is now a Dutch dependency: China 90 % ≥ 65 % → critical, exposure unknown
    assert bool(deps.loc["gas", "critical"]) is True
    assert deps.loc["gas", "top_foreign_country"] == "CHN" and deps.loc["gas", "foreign_share"] == 100.0
    assert deps.loc["gas", "exposure"] != deps.loc["gas", "exposure"]
    assert len(rep["assumptions"]) == 1
    text = rep["assumptions"][0]
    assert "Fabrication (fab)" in text and "8 %" in text and "2022" in text and "NLD" in text


def test_without_the_region_the_member_would_come_out_with_its_tool_only(net):
    no_region = [s for s in SHARES if s[1] != "EUR"]
    rep = dependency_report(net(shares=no_region, **KW), ["NLD"])
    assert rep["assumptions"] == []
    assert "gas" not in set(rep["dependencies"]["item_id"])


def test_a_member_outside_the_region_or_with_its_own_row_assumes_nothing(chain):
    assert dependency_report(chain(), ["USA"])["assumptions"] == []
    own = dependency_report(chain([("fab", "NLD", 0.5, 2022)]), ["NLD"])
    assert own["assumptions"] == []
    # its own 0.5 % is below the 1 % role threshold: the stage is not a Dutch role and no region stands in for it
    assert "fab" not in set(own["roots"]["root_id"])


def test_a_region_below_the_role_threshold_assumes_nothing(net):
    small = [("fab", "EUR", 0.5, 2022) if s[:2] == ("fab", "EUR") else s for s in SHARES]
    rep = dependency_report(net(shares=small, **KW), ["DEU"])
    assert rep["assumptions"] == []


def test_region_tables_follow_their_sources():
    import pycountry

    # M49 Europe: Eastern 10, Northern 16, Southern 16, Western 9 areas with an alpha-3 code; the EU has 27 members
    assert len(REGION_COUNTRIES["europe"]) == 10 + 16 + 16 + 9 and len(REGION_COUNTRIES["eu"]) == 27
    assert all(pycountry.countries.get(alpha_3=c) for c in REGION_COUNTRIES["europe"])
    assert REGION_COUNTRIES["eu"] - REGION_COUNTRIES["europe"] == {"CYP"}  # M49 places Cyprus in Western Asia
    assert "NLD" in region_countries("EUR") and "KOR" not in region_countries("Europe")
    assert region_countries("P312", "Europe") == REGION_COUNTRIES["europe"]


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_netherlands_on_eto_alone_is_not_self_sufficient(eto_dir):
    """ETO reports Europe's share of the production stages, not the Dutch one: the Dutch
    dependencies are no longer empty, and each assumed stage is one where Europe has a row
    of at least 1 % and the Netherlands none (read off the CSV files)."""
    prov = {r["provider_id"]: r for r in _read(eto_dir, "providers.csv")}
    eur = {p for p, r in prov.items() if r["alias"] == "Europe"}
    nld = {p for p, r in prov.items() if r["provider_name"] == "NLD"}
    europe_rows: dict[str, tuple[float, int]] = {}
    dutch_items = set()
    for r in _read(eto_dir, "provision.csv"):
        if r["provider_id"] in nld:
            dutch_items.add(r["provided_id"])
        if r["provider_id"] in eur and r["share_provided"].strip():
            y, s = int(r["year"]), float(r["share_provided"])
            if r["provided_id"] not in europe_rows or y > europe_rows[r["provided_id"]][1]:
                europe_rows[r["provided_id"]] = (s, y)
    expected = {i: sy for i, sy in europe_rows.items() if sy[0] >= 1.0 and i not in dutch_items}
    assert "S2" in expected  # fabrication
    rep = dependency_report(load(str(eto_dir)), ["NLD"])
    reg = rep["roots"][rep["roots"]["kind"] == "regional"].set_index("root_id")
    assert set(reg.index) == set(expected)
    for i, (share, year) in expected.items():
        assert reg.loc[i, "region_share"] == pytest.approx(share) and reg.loc[i, "region_year"] == year
    deps = rep["dependencies"]
    assert len(deps) > 20 and (deps["status"] == "assessed").sum() > 10
    assert any("Fabrication (S2)" in a and "Europe" in a for a in rep["assumptions"])
