"""Invariants of the analyses on random valid networks (hypothesis)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from allychain.analysis import chokepoints, concentration, dependencies  # noqa: E402
from allychain.analysis.snapshot import provider_classes, snapshot  # noqa: E402
from allychain.testing import share_networks  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(share_networks())
def test_concentration_bounds_and_not_assessable(n):
    c = concentration(n)
    snap = snapshot(n)
    cls = provider_classes(n)
    for r in c.to_dict("records"):
        rows = snap[(snap["item_id"] == r["item_id"]) & snap["share"].notna()]
        individual = rows[rows["provider_id"].map(cls) == "country"]
        if individual.empty:
            assert r["status"] == "not_assessable" and math.isnan(r["hhi"])
            continue
        assert r["status"] == "assessed"
        assert 0 <= r["hhi"] <= 10_000
        assert r["hhi"] == pytest.approx(min((individual["share"] ** 2).sum(), 10_000))
        assert r["top1_share"] <= r["top3_share"] + 1e-9
        assert 0 <= r["unknown_share"] <= 100
        assert r["hhi"] <= r["hhi_upper"] + 1e-9


@SETTINGS
@given(share_networks())
def test_chokepoints_are_consistent_with_concentration(n):
    cp = chokepoints(n, include_all=True)
    for r in cp.to_dict("records"):
        if "country_share" in r["rules"]:
            assert r["top_country_share"] >= 65 - 1e-9
        if "hhi" in r["rules"]:
            assert r["hhi"] >= 2500 - 1e-9
        if r["status"] == "not_assessable":
            assert r["rules"] == []


@SETTINGS
@given(share_networks())
def test_dependencies_shares_add_up_and_unknown_stays_unknown(n):
    countries = [p for p, k in provider_classes(n).items() if k == "country"]
    if not countries:
        return
    d = dependencies(n, [countries[0]])
    for r in d.to_dict("records"):
        if r["status"] == "not_assessable":
            assert r["critical"] is None or r["critical"] is pd.NA
            assert math.isnan(r["foreign_share"])
        else:
            total = r["internal_share"] + r["foreign_share"] + r["unknown_share"]
            assert total >= 100 - 1e-6
            assert 0 <= r["foreign_share"] <= 100 + 1e-9
            assert bool(r["critical"]) is (r["top_foreign_share"] >= 65 - 1e-9)
