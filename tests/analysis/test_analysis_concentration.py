"""Concentration on hand-solved networks."""

from __future__ import annotations

import math

import pytest

from allychain.analysis import concentration


def row(df, item, level="country"):
    r = df[(df["item_id"] == item) & (df["level"] == level)]
    assert len(r) == 1, f"{item} missing or duplicated"
    return r.iloc[0]


def test_hhi_top_shares_and_counts(net):
    n = net(shares=[("x", "USA", 50, 2022), ("x", "JPN", 30, 2022), ("x", "KOR", 20, 2022)])
    r = row(concentration(n), "x")
    assert r["hhi"] == pytest.approx(50**2 + 30**2 + 20**2) == 3800
    assert r["top1"] == "USA" and r["top1_share"] == 50
    assert r["top3_share"] == pytest.approx(100)
    assert r["providers"] == 3
    assert r["unknown_share"] == pytest.approx(0)
    assert r["status"] == "assessed"
    assert r["year"] == 2022


def test_unknown_part_is_explicit_and_hhi_is_a_lower_bound(net):
    n = net(shares=[("x", "USA", 40, 2022), ("x", "JPN", 20, 2022), ("x", "KOR", None, 2022)])
    r = row(concentration(n), "x")
    assert r["hhi"] == pytest.approx(1600 + 400)
    assert r["unknown_share"] == pytest.approx(40)
    assert r["unknown_providers"] == 1
    assert r["providers"] == 2  # KOR's share is unknown, not zero
    assert r["hhi_upper"] == pytest.approx(2000 + 40**2)


def test_items_without_known_shares_are_not_assessable_never_unconcentrated(net):
    n = net(shares=[("x", "USA", None, 2022), ("x", "JPN", None, 2022), ("y", "USA", 100, 2022)],
            items={"z": "material"})
    c = concentration(n)
    for item in ("x", "z"):
        r = row(c, item)
        assert r["status"] == "not_assessable"
        assert math.isnan(r["hhi"]) and math.isnan(r["top1_share"])
    assert row(c, "y")["status"] == "assessed"
    # assessed first
    assert list(c["status"]) == sorted(c["status"])


def test_aggregates_are_not_squared_or_ranked(net):
    n = net(shares=[("x", "VAR", 70, 2022), ("x", "USA", 20, 2022), ("x", "JPN", 10, 2022)])
    r = row(concentration(n), "x")
    assert r["top1"] == "USA" and r["top1_share"] == 20
    assert r["hhi"] == pytest.approx(400 + 100)
    assert r["aggregate_share"] == pytest.approx(70)
    assert r["providers"] == 2


def test_latest_year_by_default_and_year_reported(net):
    n = net(shares=[("x", "USA", 60, 2019), ("x", "JPN", 40, 2019), ("x", "USA", 80, 2022), ("x", "JPN", 20, 2022)])
    r = row(concentration(n), "x")
    assert r["year"] == 2022 and r["hhi"] == pytest.approx(6400 + 400)
    r = row(concentration(n, year=2019), "x")
    assert r["year"] == 2019 and r["hhi"] == pytest.approx(3600 + 1600)


def test_newer_year_with_only_unknown_shares_does_not_hide_known_ones(net):
    n = net(shares=[("x", "USA", 60, 2019), ("x", "JPN", 40, 2019), ("x", "USA", None, 2024)])
    r = row(concentration(n), "x")
    assert r["year"] == 2019 and r["status"] == "assessed"


def test_firm_level(net):
    n = net(shares=[("x", "asml", 50, 2025), ("x", "nikon", 30, 2025), ("x", "canon", 15, 2025),
                    ("x", "smee", 5, 2025), ("x", "NLD", 100, 2025)])
    r = row(concentration(n, level="firm"), "x", "firm")
    assert r["hhi"] == pytest.approx(2500 + 900 + 225 + 25)
    assert r["top3_share"] == pytest.approx(95)
    assert r["top3"] == ["asml", "nikon", "canon"]
    both = concentration(n, level="both")
    assert set(both["level"]) == {"country", "firm"}
    assert row(both, "x", "country")["hhi"] == pytest.approx(10_000)


def test_stage_shares_are_reported(net):
    n = net(shares=[("fab", "KOR", 17, 2022), ("fab", "TWN", 18, 2022), ("fab", "VAR", 65, 2022)],
            stages={"fab": "Fabrication"})
    r = row(concentration(n), "fab")
    assert r["item_name"] == "Fabrication"
    assert r["hhi"] == pytest.approx(17**2 + 18**2)


def test_share_snapshot_keeps_its_default_contract(net):
    from allychain.model.views import share_snapshot

    n = net(shares=[("x", "USA", 60, 2019), ("x", "JPN", 40, 2019), ("x", "USA", None, 2024)])
    assert set(share_snapshot(n)["year"]) == {2024}  # latest year with any row
    assert set(share_snapshot(n, prefer_known=True)["year"]) == {2019}  # latest year with a known share
