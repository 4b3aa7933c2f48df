"""The talent gap for the adapters: the briefing section's data and the API's /api/talent/gap
give the same numbers (hand-checked); members without figures are not covered, never 0; only
built-in programmes can be named over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("jinja2", reason="the briefing pack needs jinja2 (server extra)")


def test_section_without_figures_for_a_member_says_not_covered() -> None:
    from allychain.report.briefing_talent import talent_section, talent_summary

    t = talent_section(["KOR", "JPN"])
    assert t["not_covered"] == ["JPN"] and t["covered"] == ["KOR"]
    assert not any(r["country"] == "JPN" for r in t["rows"])        # no row, not a row of zeros
    assert t["left_out"] == ["Korea-Netherlands talent programme (Dutch participants)"]  # NLD not a member
    last = {(r["country"], r["year"]): r for r in t["rows"]}["KOR", 2031]
    assert (last["gap"], last["gap_with"], last["closed"]) == pytest.approx((54_000, 53_750, 250))
    assert t["total"] == []                                          # one covered member: no alliance sum
    assert "not covered (no sourced figures): JPN" in (talent_summary(t) or "")
    assert t["chart"].startswith("data:image/svg+xml;base64,")


def test_alliance_total_only_where_every_member_is_assessable() -> None:
    from allychain.report.briefing_talent import talent_section

    t = talent_section(["KOR", "NLD"])
    years = [r["year"] for r in t["total"]]
    assert years == list(range(2024, 2031))  # NLD from 2024 (its base year) to 2030 (its last demand)
    by_year = {r["year"]: r for r in t["total"]}
    assert by_year[2030]["gap"] == pytest.approx(48_600 + 38_000)
    assert by_year[2030]["closed"] == pytest.approx(500)


def test_api_talent_gap(client: Any) -> None:
    r = client.get("/api/talent/gap", params={"members": "KOR,NLD,JPN"})
    assert r.status_code == 200
    d = r.json()
    assert d["not_covered"] == ["JPN"] and d["programme"] == "builtin:kor-nld"
    got = {(x["country"], x["year"]): x for x in d["rows"]}
    assert got["NLD", 2030]["gap_with"] == pytest.approx(37_750)
    assert {s["source_id"] for s in d["sources"]} >= {"kor-nld-dialogue-2024", "nl-microchip-talent-2024"}
    none = client.get("/api/talent/gap", params={"members": "KOR", "programme": "none"}).json()
    assert all(x["closed"] == 0 for x in none["rows"])


@pytest.mark.parametrize(("programme", "detail"), [
    ("/etc/passwd", "should match pattern"),              # a file is never read from a request
    ("builtin:kor-jpn", "is not built in"),
])
def test_api_talent_gap_refuses_other_programmes(client: Any, programme: str, detail: str) -> None:
    r = client.get("/api/talent/gap", params={"programme": programme})
    assert r.status_code == 422 and detail in r.json()["detail"]


def test_section_shows_labour_in_the_chain_for_members_with_linked_items(network: Any) -> None:
    from allychain.model.flows import flow_network
    from allychain.report.briefing_talent import talent_section

    t = talent_section(["KOR", "NLD"], network=network)
    share = flow_network(network).nodes.set_index("node_id").at["KOR/wafer-fabrication", "share"]
    assert [(r["input_node"], r["item_id"]) for r in t["in_chain"]] == [("KOR/labour", "wafer-fabrication")]
    assert t["in_chain"][0]["share"] == pytest.approx(share * 100)  # NLD makes no linked item: not listed


def test_dashboard_has_the_talent_page(client: Any) -> None:
    index = client.get("/").text
    assert 'href="#/talent"' in index and "/static/talent.js" in index
    js = client.get("/static/talent.js")
    assert js.status_code == 200 and "/api/talent/gap?" in js.text and "not covered" in js.text.lower()
    assert "window.talentPage" in client.get("/static/app.js").text
