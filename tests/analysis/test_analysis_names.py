"""Answers name items: names first, ids beside them — never a bare list of ids."""

from __future__ import annotations

from allychain.analysis import alliance_report, coverage, coverage_text, dependencies, partners


def tiny(net):
    shares = [("fab", "KOR", 20, 2022), ("fab", "TWN", 80, 2022),
              ("resist", "JPN", 90, 2022), ("resist", "USA", 10, 2022),
              ("n7", "DEU", None, 2022)]                       # in the data, no known share
    rel = [("resist", "litho", "goes_into"), ("n7", "litho", "goes_into"), ("litho", "chip", "goes_into")]
    n = net(shares=shares, relations=rel, stages={"fab": "Fabrication"},
            items={"litho": "process", "chip": "output", "resist": "chemical", "n7": "material"},
            item_stage={"litho": "fab"})
    n.items.loc[n.items["item_id"] == "n7", "name"] = "Electronic gases"
    return n


def test_coverage_names_not_assessable_items(net):
    n = tiny(net)
    deps = dependencies(n, "KOR")
    cov = coverage(n, deps)
    assert cov["not_assessable"] == ["n7"] and cov["names"] == {"n7": "Electronic gases"}
    text = coverage_text(cov)          # no names passed: the statement carries them
    assert "Electronic gases (n7)" in text


def test_via_partners_and_gaps_carry_names(net):
    n = tiny(net)
    deps = dependencies(n, "KOR").set_index("item_id")
    assert deps.loc["resist", "via"] == "resist goes_into litho"
    assert deps.loc["resist", "via_names"] == "Resist goes into Litho"
    p = partners(n, "KOR", candidates="all").set_index("country")
    assert p.loc["JPN", "resolved_items"] == ["resist"] and p.loc["JPN", "resolved_item_names"] == ["Resist"]
    rep = alliance_report(n, "KOR,NLD")
    assert set(rep["no_supplier"]) == set(rep["item_names"]) and rep["item_names"].get("resist") == "Resist"
