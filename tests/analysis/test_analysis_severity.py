"""Severity score: hand-computed on a tiny network, unknown kept unknown, monotonicity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allychain.analysis import score_components, severity, severity_report
from allychain.model.rules import SEVERITY_COMPONENTS, SeverityRules


def tiny(net, top_a: float = 80):
    """KOR holds 20 % of stage 'fab' (process p); a (material), b (tool) and c (chemical) go into p."""
    shares = [
        ("fab", "KOR", 20, 2022), ("fab", "TWN", 80, 2022),
        ("a", "CHN", top_a, 2022), ("a", "USA", 100 - top_a, 2022),
        ("a", "fa", 60, 2022), ("a", "fb", 30, 2022), ("a", "fc", 10, 2022),   # firm CR3 = 100 %
        ("b", "JPN", 50, 2022), ("b", "USA", 50, 2022),                       # no firm shares
        ("c", "DEU", None, 2022),                                             # nothing known
    ]
    rel = [(i, "p", "goes_into") for i in "abc"] + [("p", "chip", "goes_into")]
    return net(shares=shares, relations=rel, stages={"fab": "Fabrication"},
               items={"p": "process", "chip": "output", "a": "material", "b": "tool", "c": "chemical"},
               item_stage={"p": "fab"})


def test_hand_computed_dependency_scores(net):
    rep = severity_report(tiny(net), "KOR")
    r = rep["rows"].set_index("item_id")
    # a: concentration 0.8, substitutability 1.0, time to build 9/24, exposure 20·100/100/100 = 0.2, cover unknown
    a = r.loc["a"]
    assert (a["concentration"], a["substitutability"], a["time_to_build"], a["exposure"]) == pytest.approx(
        (0.8, 1.0, 0.375, 0.2))
    assert np.isnan(a["agreement_cover"]) and a["unknown_components"] == ["agreement_cover"]
    num = 0.3 * 0.8 + 0.2 * 1.0 + 0.2 * 0.375 + 0.2 * 0.2                    # 0.555
    assert a["score"] == pytest.approx(num / 0.9)                             # 0.6167
    assert (a["score_low"], a["score_high"]) == pytest.approx((0.555, 0.655))
    assert a["tier"] == "high" and a["rank"] == 1
    assert a["rules"] == ["country_share", "firm_top3", "hhi", "critical_dependency"]
    # b: substitutability unknown (no firm shares), time to build 15/24
    b = r.loc["b"]
    assert np.isnan(b["substitutability"])
    assert b["score"] == pytest.approx((0.3 * 0.5 + 0.2 * 0.625 + 0.2 * 0.2) / 0.7)  # 0.45
    assert (b["score_low"], b["score_high"]) == pytest.approx((0.315, 0.315 + 0.2 + 0.1))
    assert b["tier"] == "watch" and b["rank"] == 2 and b["rules"] == ["hhi"]
    # c: nothing known — not assessable, no score, no tier, never 0
    c = r.loc["c"]
    assert c["status"] == "not_assessable" and np.isnan(c["score"]) and pd.isna(c["tier"]) and pd.isna(c["rank"])
    assert rep["tiers"] == {"critical": 0, "high": 1, "watch": 1}
    assert "c" in rep["coverage"]["not_assessable"]


def test_hand_computed_item_view_and_top(net):
    r = severity(tiny(net)).set_index("item_id")
    # item view: concentration, substitutability and time to build only
    assert r.loc["a", "score"] == pytest.approx((0.3 * 0.8 + 0.2 * 1.0 + 0.2 * 0.375) / 0.7)  # 0.7357
    assert r.loc["a", "tier"] == "critical" and r.loc["a", "unknown_components"] == []
    assert list(severity(tiny(net), "KOR", top=1)["item_id"]) == ["a"]


@pytest.mark.parametrize("top_a", [65, 70, 80, 90, 99])
def test_more_concentration_never_lowers_the_score_on_a_network(net, top_a):
    base = severity(tiny(net, 60), "KOR").set_index("item_id").loc["a"]
    more = severity(tiny(net, top_a), "KOR").set_index("item_id").loc["a"]
    assert more["score"] >= base["score"] - 1e-12
    assert more["score_low"] >= base["score_low"] - 1e-12 and more["score_high"] >= base["score_high"] - 1e-12


component = st.one_of(st.just(np.nan), st.floats(0.0, 1.0))


@settings(max_examples=200, deadline=None)
@given(st.lists(component, min_size=5, max_size=5), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
       st.sampled_from(SEVERITY_COMPONENTS))
def test_score_is_monotone_in_every_component(values, x, y, name):
    lo, hi = min(x, y), max(x, y)
    rows = pd.DataFrame([values, values], columns=list(SEVERITY_COMPONENTS))
    rows.loc[0, "concentration"] = 0.5 if np.isnan(rows.loc[0, "concentration"]) else rows.loc[0, "concentration"]
    rows.loc[1, "concentration"] = rows.loc[0, "concentration"]
    rows.loc[0, name], rows.loc[1, name] = lo, hi
    s = score_components(rows)
    assert s.loc[1, "score"] >= s.loc[0, "score"] - 1e-12
    assert s.loc[1, "score_low"] >= s.loc[0, "score_low"] - 1e-12
    assert s.loc[0, "score_low"] - 1e-12 <= s.loc[0, "score"] <= s.loc[0, "score_high"] + 1e-12


def test_unknown_concentration_is_not_assessable_and_rules_are_checked():
    rows = pd.DataFrame([[np.nan, 1.0, 1.0, 1.0, 1.0]], columns=list(SEVERITY_COMPONENTS))
    s = score_components(rows).iloc[0]
    assert np.isnan(s["score"]) and s["tier"] is None
    from allychain.errors import AllychainError

    with pytest.raises(AllychainError):
        SeverityRules(weights={"concentration": -1.0})
    with pytest.raises(AllychainError):
        SeverityRules(watch=0.8, high=0.6)
    assert SeverityRules().tier(0.70) == "critical" and SeverityRules().tier(0.3999) is None


def test_builtin_top_ten_for_korea_and_netherlands():
    import allychain

    rep = severity_report(allychain.load("builtin"), "KOR,NLD", top=10)
    rows = rep["rows"]
    assert len(rows) == 10 and rows["status"].eq("assessed").all()
    assert list(rows["score"]) == sorted(rows["score"], reverse=True)
    # hand-checked: the EUV drive lasers (TRUMPF, Germany 100 %), EUV light sources (Cymer, United States 100 %) and
    # EUV optics (ZEISS, Germany 100 %) score (0.3·1 + 0.2·1 + 0.2·15/24 + 0.2·1) / 0.9 = 0.9167 (ASML Annual
    # Report 2023, TRUMPF 2022); then EUV pellicles (Mitsui Chemicals, Japan 100 %; exposure 0.9 as for gallium,
    # the members' 90 % of HBM being the largest role that needs it): (0.3 + 0.2 + 0.2·9/24 + 0.2·0.9) / 0.9 = 0.8389; then gallium, China 98 %
    # (USGS MCS 2024): (0.3·0.98 + 0.2·0.375 + 0.2·0.9) / 0.7 = 0.7843, firm shares unknown
    assert list(rows["item_id"][:5]) == ["euv-drive-lasers", "euv-light-sources", "euv-optics", "euv-pellicles",
                                         "gallium"]
    assert list(rows["score"][:5]) == pytest.approx([0.2 * 0.625 / 0.9 + 0.7 / 0.9] * 3 + [0.755 / 0.9, 0.549 / 0.7])
    assert list(rows["supplier"][:5]) == ["DEU", "USA", "DEU", "JPN", "CHN"]
    assert rows["agreement_cover"].isna().all()   # not known until agreements are registered
    assert rep["tiers"]["critical"] < rep["assessed"]   # a ranking, not everything critical


def test_cli_severity_json_and_table():
    import json

    from typer.testing import CliRunner

    from allychain.cli.main import app

    r = CliRunner().invoke(app, ["analyze", "severity", "--members", "KOR,NLD", "--top", "10", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [x["item_id"] for x in out["rows"]][:5] == ["euv-drive-lasers", "euv-light-sources", "euv-optics",
                                                       "euv-pellicles", "gallium"]
    assert len(out["rows"]) == 10
    assert out["rows"][0]["agreement_cover"] is None and "critical_dependency" in out["rows"][0]["rules"]
    assert {d["rule"] for d in out["definition"]} >= {"concentration", "critical", "watch"}
    t = CliRunner().invoke(app, ["analyze", "severity", "--members", "KOR,NLD", "--top", "5"])
    assert t.exit_code == 0 and "Gallium" in t.stdout and "unknown (not 0)" in t.stdout
    bad = CliRunner().invoke(app, ["analyze", "severity", "--members", "Atlantis"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_agreement_cover_when_the_registry_is_given(net):
    from allychain.errors import AllychainError

    # a fully covered by an agreement in force, b not covered (not listed): components 0 and 1, now known
    r = severity(tiny(net), "KOR", agreement_cover={"a": 1.0}).set_index("item_id")
    assert r.loc["a", "agreement_cover"] == 0.0 and r.loc["b", "agreement_cover"] == 1.0
    num_a = 0.3 * 0.8 + 0.2 * 1.0 + 0.2 * 0.375 + 0.2 * 0.2                 # + 0.1 · 0
    assert r.loc["a", "score"] == pytest.approx(num_a / 1.0) and r.loc["a", "unknown_components"] == []
    assert r.loc["a", "score_low"] == pytest.approx(r.loc["a", "score_high"])
    assert r.loc["b", "score"] == pytest.approx((0.3 * 0.5 + 0.2 * 0.625 + 0.2 * 0.2 + 0.1) / 0.8)
    with pytest.raises(AllychainError, match="fraction"):
        severity(tiny(net), "KOR", agreement_cover={"a": 50})
