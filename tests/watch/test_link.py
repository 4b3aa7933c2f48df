"""Linking events to the chain: exposure per member through all tiers, on a hand-solved network."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from allychain.model.network import Network
from allychain.services.watch import downstream, extract_and_link, incident_draft, link_event
from allychain.watch import extract


@pytest.fixture(scope="module")
def tiny() -> Network:
    """Raw material *ore* → *film* → *chip*; XX supplies 80 % of ore, YY 20 %; MMM makes every chip; ZZZ
    makes nothing.  Names are what the extractor links."""
    items = pd.DataFrame({"item_id": ["ore", "film", "chip"], "name": ["Unobtainium", "Magic film", "Widget chips"],
                          "kind": ["raw_material", "material", "chip"]})
    providers = pd.DataFrame({"provider_id": ["FRA", "DEU", "KOR", "NLD"],
                              "name": ["France", "Germany", "South Korea", "Netherlands"],
                              "kind": ["country"] * 4})
    shares = pd.DataFrame({"item_id": ["ore", "ore", "film", "chip"], "provider_id": ["FRA", "DEU", "NLD", "KOR"],
                           "share": [80.0, 20.0, 100.0, 100.0], "year": [2024] * 4})
    relations = pd.DataFrame({"source": ["ore", "film"], "target": ["film", "chip"], "kind": ["goes_into"] * 2})
    return Network(name="tiny", items=items, providers=providers, shares=shares, relations=relations)


def _event(n: Network, text: str):  # noqa: ANN202
    x = extract(n, text, date="2024-05-01")
    assert len(x.events) == 1, [e.to_dict() for e in x.events]
    return x.events[0]


def test_export_control_exposes_the_member_that_needs_the_item(tiny: Network) -> None:
    ev = _event(tiny, "France will ban exports of unobtainium to all destinations from 1 June.")
    assert ev.item_ids == ["ore"] and [m.id for m in ev.imposing] == ["FRA"]
    out = link_event(tiny, ev, members="KOR,NLD")
    assert out["destinations"] == []  # to all destinations: every member's supply from France is restricted
    rows = {r["member"]: r for r in out["exposure"]}
    # KOR makes chips ← film ← ore: tier 2; France holds 80 % of ore
    assert rows["KOR"]["status"] == "exposed" and rows["KOR"]["tier"] == 2 and rows["KOR"]["origin_share"] == 80.0
    # NLD makes the film ← ore: tier 1
    assert rows["NLD"]["status"] == "exposed" and rows["NLD"]["tier"] == 1
    assert out["exposed_members"] == ["KOR", "NLD"]
    assert [(d["item_id"], d["tier"]) for d in out["downstream"]] == [("film", 1), ("chip", 2)]


def test_measure_without_destination_keeps_the_world_share_verdict(tiny: Network) -> None:
    """No destination named: the measure reaches every destination, so France's 80 % of ore exposes both
    members that need ore, exactly as a measure stated "to all destinations"."""
    ev = _event(tiny, "France will ban exports of unobtainium from 1 June.")
    assert [m.id for m in ev.targeted] == []
    out = link_event(tiny, ev, members="KOR,NLD")
    rows = {r["member"]: r for r in out["exposure"]}
    assert out["destinations"] == [] and out["exposed_members"] == ["KOR", "NLD"]
    assert {m: (r["status"], r["origin_share"]) for m, r in rows.items()} == {
        "KOR": ("exposed", 80.0), "NLD": ("exposed", 80.0)}
    assert out["coverage"] == "all named items linked and assessed"


def test_measure_to_one_destination_exposes_only_that_destination(tiny: Network) -> None:
    """France restricts ore exports to South Korea only.  KOR (chips ← film ← ore, tier 2) is targeted
    and needs ore: exposed.  NLD needs ore too (film ← ore, tier 1) and France holds 80 % of it, but
    Dutch imports from France are not restricted: not a destination, with the indirect path (Korean
    goods made with ore that the Netherlands buys) stated as not assessed — never "exposed"."""
    ev = _event(tiny, "France will ban exports of unobtainium to South Korea from 1 June.")
    assert [m.id for m in ev.imposing] == ["FRA"] and [m.id for m in ev.targeted] == ["KOR"]
    out = link_event(tiny, ev, members="KOR,NLD")
    rows = {r["member"]: r for r in out["exposure"]}
    assert out["destinations"] == ["KOR"] and out["exposed_members"] == ["KOR"]
    assert rows["KOR"]["status"] == "exposed" and rows["KOR"]["tier"] == 2
    assert "targeted" in rows["KOR"]["reason"]
    nld = rows["NLD"]
    assert nld["status"] == "not_destination" and nld["required"] and nld["tier"] == 1
    assert nld["origin_share"] == 80.0          # the origin's share is still reported, not used as NLD's exposure
    assert "to KOR only" in nld["reason"] and "indirect effects" in nld["reason"] and "not assessed" in nld["reason"]
    assert "KOR only" in out["coverage"] and "NLD" in out["coverage"] and "indirect" in out["coverage"]
    draft = incident_draft(out)
    assert draft["title"] == "export control: ore (FRA → KOR)" and draft["destinations"] == ["KOR"]
    assert draft["exposed_members"] == ["KOR"] and draft["coverage"] == out["coverage"]


def test_targeted_members_and_destinations_that_are_not_members(tiny: Network) -> None:
    """Both members targeted: both exposed.  Only Germany targeted (DEU makes ore and needs none of it):
    no member is a destination, so none is exposed, and DEU — a destination that needs nothing of ore —
    is not exposed."""
    ev = _event(tiny, "France will ban exports of unobtainium to South Korea and the Netherlands from 1 June.")
    out = link_event(tiny, ev, members="KOR,NLD")
    assert out["destinations"] == ["KOR", "NLD"] and out["exposed_members"] == ["KOR", "NLD"]
    ev = _event(tiny, "France will ban exports of unobtainium to Germany from 1 June.")
    out = link_event(tiny, ev, members="KOR,NLD,DEU")
    status = {r["member"]: r["status"] for r in out["exposure"]}
    assert out["destinations"] == ["DEU"] and out["exposed_members"] == []
    assert status == {"KOR": "not_destination", "NLD": "not_destination", "DEU": "not_exposed"}


def test_destination_without_origin_is_still_a_destination(tiny: Network) -> None:
    """No imposing country named: the targeted member that needs the item is exposed, the other member is
    not a destination (the measure's reach is known), not "not assessable"."""
    ev = _event(tiny, "Exports of unobtainium to South Korea will require licences from 1 June.")
    assert [m.id for m in ev.imposing] == [] and [m.id for m in ev.targeted] == ["KOR"]
    rows = {r["member"]: r for r in link_event(tiny, ev, members="KOR,NLD")["exposure"]}
    assert (rows["KOR"]["status"], rows["NLD"]["status"]) == ("exposed", "not_destination")
    assert rows["KOR"]["origin_share"] is None


def test_origin_without_share_is_not_exposed_when_all_suppliers_are_known(tiny: Network) -> None:
    ev = _event(tiny, "South Korea will restrict exports of unobtainium from 1 June.")
    rows = {r["member"]: r for r in link_event(tiny, ev, members="NLD")["exposure"]}
    assert rows["NLD"]["status"] == "not_exposed" and rows["NLD"]["origin_share"] == 0.0


def test_member_that_is_the_origin_and_unneeded_items(tiny: Network) -> None:
    ev = _event(tiny, "The Netherlands will restrict exports of magic film from 1 June.")
    rows = {r["member"]: r for r in link_event(tiny, ev, members="KOR,NLD")["exposure"]}
    assert rows["NLD"]["status"] == "not_exposed"  # its own supply (it does not need its own output either)
    assert rows["KOR"]["status"] == "exposed" and rows["KOR"]["origin_share"] == 100.0


def test_event_without_origin_is_not_assessable_not_safe(tiny: Network) -> None:
    ev = _event(tiny, "A shortage of unobtainium is expected this year.")
    rows = link_event(tiny, ev, members="KOR")["exposure"]
    assert rows[0]["status"] == "not_assessable"


def test_builtin_gallium_control_exposes_korea_through_two_tiers(builtin: Network) -> None:
    out = extract_and_link(builtin, "China will require licences for exports of gallium from 1 August.",
                           date="2023-07-03", members="KOR,NLD")
    linked = out["linked"][0]
    kor = next(r for r in linked["exposure"] if r["member"] == "KOR")
    snap = builtin.shares[(builtin.shares["item_id"] == "gallium") & (builtin.shares["provider_id"] == "CHN")]
    assert kor["origin_share"] == float(snap.sort_values("year")["share"].iloc[-1])  # the latest CHN share
    assert kor["status"] == "exposed" and kor["tier"] >= 1
    assert {d["item_id"] for d in downstream(builtin, ["gallium"])} >= {"compound-semiconductor-substrates"}
    draft = incident_draft(linked)
    assert draft["exposed_members"] == linked["exposed_members"] and draft["items"] == ["gallium"]
    assert any(e["field"] == "trigger" for e in draft["evidence"])


def test_site_network_links_products_nodes_and_capacity_shares() -> None:
    """The three-tier example: photoresist plants in Japan (capacity 18) and the US (6); fabs in Korea,
    Taiwan and the Netherlands consume it; assembly in Korea and the Netherlands is downstream."""
    import allychain

    n = allychain.load(str(Path(allychain.__file__).parent / "data" / "examples" / "three_tier"))
    out = extract_and_link(n, "Japan will restrict exports of photoresist to South Korea from 1 August.",
                           date="2019-07-01", members="KOR,NLD")
    assert out["events"][0]["item_ids"] == ["photoresist"]  # a product of the nodes: the site network's items
    linked = out["linked"][0]
    rows = {r["member"]: r for r in linked["exposure"]}
    assert rows["KOR"]["origin_share"] == pytest.approx(100 * 18 / 24) and rows["KOR"]["tier"] == 1
    # the measure restricts exports to Korea only: the Dutch fab needs resist, but its imports are not restricted
    assert linked["exposed_members"] == ["KOR"] and linked["destinations"] == ["KOR"]
    assert rows["NLD"]["required"] and rows["NLD"]["status"] == "not_destination"
    # to all destinations, Japan's 75 % of the resist capacity exposes both
    every = extract_and_link(n, "Japan will restrict exports of photoresist from 1 August.", date="2019-07-01",
                             members="KOR,NLD")["linked"][0]
    assert every["destinations"] == [] and every["exposed_members"] == ["KOR", "NLD"]
    assert [r["origin_share"] for r in every["exposure"]] == pytest.approx([100 * 18 / 24] * 2)
    roles = {x["node_id"]: x["role"] for x in linked["nodes"]}
    assert roles == {"resist-jp": "makes", "resist-us": "makes", "fab-kr": "consumes", "fab-tw": "consumes",
                     "fab-nl": "consumes", "atp-kr": "downstream", "atp-nl": "downstream"}
    assert [(d["item_id"], d["tier"]) for d in linked["downstream"]] == [("logic", 1), ("memory", 1), ("module", 2)]
