"""The named consistency checks (second validation tier) on hand-made networks."""

from __future__ import annotations

import pytest

from allychain.errors import ConsistencyError, Problem
from allychain.model.checks import CHECKS, consistency_check
from allychain.model.network import Network
from allychain.testing import frame

PROVIDERS = frame("providers", [
    dict(provider_id="USA", name="United States", kind="country"),
    dict(provider_id="KOR", name="South Korea", kind="country"),
    dict(provider_id="SEC", name="Samsung", kind="firm", country="KOR"),
])


def share_net(*rows: tuple[str, str, float | None], year: int | None = 2021, dataset: str = "d1") -> Network:
    shares = frame("shares", [dict(item_id=i, provider_id=p, share=s, year=year, dataset=dataset) for i, p, s in rows])
    items = frame("items", [dict(item_id=i, name=i, kind="chip") for i in sorted({r[0] for r in rows})])
    return Network(items=items, providers=PROVIDERS, shares=shares)


def names(found: list[Problem]) -> list[str]:
    return [p.check for p in found]


# -- share_sum ------------------------------------------------------------------------
def test_share_sum_above_100_fires() -> None:
    n = share_net(("N1", "USA", 60.0), ("N1", "KOR", 40.5), ("N1", "SEC", 30.0))
    (p,) = consistency_check(n, checks=["share_sum"])
    assert p.check == "share_sum" and p.severity == "warning"
    assert p.value == 100.5
    assert "country shares of item 'N1' (2021) sum to 100.5 %" in p.message
    assert p.file == "d1"


def test_share_sum_of_exactly_100_and_unknowns_do_not_fire() -> None:
    n = share_net(("N1", "USA", 60.0), ("N1", "KOR", 40.0), ("N1", "SEC", None))
    assert consistency_check(n, checks=["share_sum"]) == []


def test_share_sum_counts_firms_apart_from_countries() -> None:
    n = share_net(("N1", "USA", 70.0), ("N1", "KOR", 30.0), ("N1", "SEC", 80.0))
    assert consistency_check(n, checks=["share_sum"]) == []


def test_share_sum_keeps_datasets_and_years_apart() -> None:
    a = share_net(("N1", "USA", 70.0), dataset="d1")
    b = share_net(("N1", "KOR", 70.0), dataset="d2")
    c = share_net(("N1", "KOR", 70.0), year=2020, dataset="d1")
    n = a.replace(shares=frame("shares", [*a.shares.to_dict("records"), *b.shares.to_dict("records"),
                                          *c.shares.to_dict("records")]))
    assert consistency_check(n, checks=["share_sum"]) == []


def test_strict_share_sum_raises_consistency_error() -> None:
    n = share_net(("N1", "USA", 60.0), ("N1", "KOR", 50.0))
    with pytest.raises(ConsistencyError) as exc:
        consistency_check(n, strict=["share_sum"])
    (p,) = exc.value.problems
    assert p.check == "share_sum" and p.severity == "error"
    with pytest.raises(ConsistencyError):
        consistency_check(n, strict=True)
    # strict on another check leaves share_sum a warning
    assert names(consistency_check(n, strict=["bom_supplied"])).count("share_sum") == 1


def test_unknown_check_names_are_rejected() -> None:
    with pytest.raises(KeyError, match="share_summ"):
        consistency_check(Network(), checks=["share_summ"])
    with pytest.raises(KeyError, match="nope"):
        consistency_check(Network(), strict=["nope"])


# -- providers_without_rows -----------------------------------------------------------------
def test_providers_without_rows() -> None:
    n = share_net(("N1", "USA", 60.0))
    (p,) = consistency_check(n, checks=["providers_without_rows"])
    # KOR is SEC's home country, so it is used; SEC holds no share
    assert p.check == "providers_without_rows"
    assert p.message.startswith("1 provider(s)") and "SEC" in p.message
    members = frame("alliances", [dict(alliance_id="CHIP4", member="SEC")])
    assert consistency_check(n.replace(alliances=members), checks=["providers_without_rows"]) == []


# -- site-level checks ----------------------------------------------------------------------
def site(edges: list[tuple[str, str]], bom: list[tuple[str, str]]) -> Network:
    nodes = frame("nodes", [dict(node_id="W1", product="wafer", capacity=100.0),
                            dict(node_id="G1", product="gas", capacity=10.0),
                            dict(node_id="F1", product="chip", capacity=50.0)])
    return Network(nodes=nodes, edges=frame("edges", [dict(supplier=s, customer=c) for s, c in edges]),
                   bom=frame("bom", [dict(node_id=n, input_product=p, quantity=1.0) for n, p in bom]))


def test_consistent_site_network_has_no_warnings() -> None:
    n = site([("W1", "F1"), ("G1", "F1")], [("F1", "wafer"), ("F1", "gas")])
    assert consistency_check(n) == []


def test_edges_in_bom() -> None:
    n = site([("W1", "F1"), ("G1", "F1")], [("F1", "wafer")])
    (p,) = consistency_check(n, checks=["edges_in_bom"])
    assert p.check == "edges_in_bom" and p.value == "F1"
    assert "edge G1 -> F1" in p.message and "'gas'" in p.message


def test_bom_supplied() -> None:
    n = site([("W1", "F1")], [("F1", "wafer"), ("F1", "gas")])
    (p,) = consistency_check(n, checks=["bom_supplied"])
    assert p.check == "bom_supplied" and p.value == "gas"
    assert p.message == "node F1 needs 'gas' but no edge supplies it"
    with pytest.raises(ConsistencyError, match="needs 'gas'"):
        consistency_check(n, strict=["bom_supplied"])


# -- alliance_members ------------------------------------------------------------------------
def test_alliance_members() -> None:
    n = share_net(("N1", "USA", 60.0), ("N1", "KOR", 30.0))
    al = frame("alliances", [dict(alliance_id="CHIP4", member="USA"), dict(alliance_id="CHIP4", member="JPN"),
                             dict(alliance_id="CHIP4", member="KOR")])
    (p,) = consistency_check(n.replace(alliances=al), checks=["alliance_members"])
    assert p.check == "alliance_members" and p.value == "JPN"
    assert "alliance CHIP4 member 'JPN'" in p.message
    # a network without providers cannot judge membership
    assert consistency_check(Network(alliances=al), checks=["alliance_members"]) == []


# -- names (recorded by importers) -------------------------------------------------------
def test_names_check_reports_importer_findings() -> None:
    finding = Problem("provider SEC is named 'Samsung Electronics' here but 'Samsung' in providers.csv",
                      file="provision.csv", row=7, check="names", severity="warning")
    other = Problem("something else", check="unknown_columns", severity="warning")
    n = Network(meta={"findings": (finding, other)})
    assert consistency_check(n, checks=["names"]) == [finding]
    assert names(consistency_check(n)) == ["names", "unknown_columns"]


def test_every_check_is_named_after_its_key() -> None:
    for name, fn in CHECKS.items():
        assert fn.__name__ == f"check_{name}"
        assert fn.__doc__


def test_share_sum_allows_rounding_of_each_row() -> None:
    # three rows published to 0.1 %: 100.1 is within 3 x 0.05, 100.2 is not
    ok = share_net(("N1", "USA", 33.4), ("N1", "KOR", 33.4), ("N2", "USA", 50.0))
    ok = ok.replace(shares=frame("shares", [*ok.shares.to_dict("records"),
                                            dict(item_id="N1", provider_id="SEC", share=33.3, year=2021, dataset="d1")]))
    assert consistency_check(ok, checks=["share_sum"]) == []  # firm row is summed apart
    n = share_net(("N1", "USA", 50.1), ("N1", "KOR", 50.1))
    (p,) = consistency_check(n, checks=["share_sum"])
    assert p.value == pytest.approx(100.2)


def test_share_sum_counts_geographic_aggregates_with_countries_and_firm_aggregates_with_firms() -> None:
    providers = frame("providers", [
        *PROVIDERS.to_dict("records"),
        dict(provider_id="VARIOUS", name="Various countries", kind="aggregate"),
        dict(provider_id="P370", name="Various companies", kind="aggregate", country="VARIOUS"),
        dict(provider_id="EUR", name="Europe", kind="region"),
    ])
    rows = [("N1", "USA", 60.0), ("N1", "VARIOUS", 45.0), ("N1", "SEC", 50.0), ("N1", "P370", 40.0),
            ("N1", "EUR", 30.0)]
    n = share_net(*rows).replace(providers=providers)
    found = consistency_check(n, checks=["share_sum"])
    assert [p.message.split(" shares")[0] for p in found] == ["country"]  # 105 %; firms 90 %, region alone 30 %
    assert found[0].value == 105.0
