"""REST API: status codes, problem+json errors, and answers equal to the Python API's."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from allychain import analysis as A
from allychain.model.views import item_shares, item_table

PROBLEM = "application/problem+json"


def close(a: Any, b: Any) -> bool:
    """JSON value ``a`` equals Python value ``b`` (NaN/NA ↔ null, floats to 1e-9)."""
    if b is None or b is pd.NA or (isinstance(b, float) and math.isnan(b)):
        return a is None
    if isinstance(b, float):
        return isinstance(a, (int, float)) and abs(a - b) < 1e-9
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(b, "item"):
        return close(a, b.item())
    return a == b


def assert_rows(rows: list[dict[str, Any]], df: pd.DataFrame, cols: list[str]) -> None:
    assert len(rows) == len(df)
    for r, (_, want) in zip(rows, df.iterrows(), strict=True):
        for c in cols:
            assert close(r[c], want[c]), (c, r[c], want[c])


def assert_problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["type"] == f"/problems/{kind}"
    assert body["title"] and body["detail"] and body["instance"]
    return body


def test_health_and_network(client: Any, network: Any) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    n = client.get("/api/network").json()
    assert n["items"] == len(network.items) and n["default_members"] == ["KOR", "NLD"]
    assert n["share_rows"] == len(network.shares)
    assert {"KOR-NLD", "CHIP4"} <= {a["alliance_id"] for a in n["alliance_list"]}


def test_openapi_lists_every_endpoint(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for p in ("/api/items", "/api/items/{item_id}", "/api/providers", "/api/shares", "/api/search", "/api/map",
              "/api/analysis/concentration", "/api/analysis/chokepoints", "/api/analysis/dependencies",
              "/api/analysis/alliance", "/api/analysis/complementarity", "/api/analysis/shared-dependencies",
              "/api/analysis/partners", "/api/analysis/severity", "/api/analysis/coverage", "/api/decisions/tts",
              "/api/jobs/scenario",
              "/api/jobs/report", "/api/jobs/{job_id}", "/api/jobs/{job_id}/result", "/api/reports/{job_id}"):
        assert p in paths, p
    # no CDN-backed documentation pages
    assert client.get("/docs").status_code == 404


def test_items_match_item_table(client: Any, network: Any) -> None:
    rows = client.get("/api/items").json()
    assert_rows(rows, item_table(network), ["item_id", "name", "kind", "stage_id", "providers"])
    tools = client.get("/api/items", params={"kind": "tool"}).json()
    assert tools and all(r["kind"] == "tool" for r in tools)


def test_item_detail(client: Any, network: Any) -> None:
    r = client.get("/api/items/euv-lithography-tools")
    assert r.status_code == 200
    it = r.json()
    assert it["name"] == "EUV lithography tools"
    assert_rows(it["shares"], item_shares(network, "euv-lithography-tools"), ["provider_id", "share", "year", "source"])
    assert it["years"] == [2023]
    assert any(x["item_id"] == "lithography-tools" for x in it["type_of"])
    conc = {c["level"]: c for c in it["concentration"]}
    assert conc["country"]["hhi"] == pytest.approx(10_000.0)
    assert it["sources"] and it["sources"][0]["title"]


def test_unknown_item_is_404_with_suggestion(client: Any) -> None:
    body = assert_problem(client.get("/api/items/euv-litho"), 404, "unknown-item")
    assert "did you mean" in body["detail"]


def test_provider_detail_and_search(client: Any, network: Any) -> None:
    p = client.get("/api/providers/NLD").json()
    assert p["kind"] == "country"
    own = network.shares[network.shares["provider_id"] == "NLD"]
    assert {s["item_id"] for s in p["supplies"] if s["via"] == "NLD"} == set(own["item_id"])
    assert_problem(client.get("/api/providers/XYZ"), 404, "unknown-provider")
    hits = client.get("/api/search", params={"q": "EUV"}).json()
    assert hits[0]["id"] in {"euv-lithography-tools", "euv-photoresist", "euv-light-sources", "euv-optics",
                             "euv-drive-lasers", "euv-pellicles", "euv-mask-blanks"}
    assert {"item"} <= {h["type"] for h in hits}
    countries = client.get("/api/providers", params={"kind": "country"}).json()
    assert len(countries) == len(network.countries())


def test_shares_filter_and_paging(client: Any, network: Any) -> None:
    body = client.get("/api/shares", params={"item_id": "neon", "limit": 2}).json()
    want = network.shares[network.shares["item_id"] == "neon"]
    assert body["total"] == len(want) and len(body["rows"]) == min(2, len(want))
    assert all(r["item_id"] == "neon" for r in body["rows"])
    # unknown shares stay null, never 0
    unknown = client.get("/api/shares", params={"limit": 10_000}).json()["rows"]
    assert sum(r["share"] is None for r in unknown) == int(network.shares["share"].isna().sum())


def test_map_covers_every_item(client: Any, network: Any) -> None:
    m = client.get("/api/map").json()
    ids = [it["item_id"] for s in m["stages"] for it in s["items"]]
    assert sorted(ids) == sorted(network.items["item_id"])
    assert len(m["relations"]) == len(network.relations)


def test_chokepoints_match_python(client: Any, network: Any) -> None:
    body = client.get("/api/analysis/chokepoints").json()
    want = A.chokepoints(network)
    assert body["count"] == len(want)
    assert_rows(body["rows"], want, ["item_id", "rules", "top_country", "top_country_share", "hhi", "top3_firm_share"])
    assert body["coverage"]["assessed"] > 0
    strict = client.get("/api/analysis/chokepoints", params={"rules": "country_share", "country_share": 90}).json()
    assert strict["count"] == len(A.chokepoints(network, A.ChokepointRules(country_share=90,
                                                                           enabled=("country_share",))))


def test_concentration_matches_python(client: Any, network: Any) -> None:
    body = client.get("/api/analysis/concentration", params={"level": "firm"}).json()
    assert_rows(body["rows"], A.concentration(network, level="firm"), ["item_id", "status", "hhi", "top3_share"])


def test_dependencies_match_python(client: Any, network: Any) -> None:
    body = client.get("/api/analysis/dependencies", params={"members": "KOR"}).json()
    rep = A.dependency_report(network, ["KOR"])
    assert body["members"] == ["KOR"]
    assert_rows(body["dependencies"], rep["dependencies"],
                ["item_id", "tier", "status", "foreign_share", "top_foreign_country", "critical"])
    assert body["coverage"] == {**rep["coverage"]}
    crit = client.get("/api/analysis/dependencies", params={"members": "South Korea", "critical_only": True}).json()
    assert len(crit["dependencies"]) == crit["critical_count"] == int(rep["dependencies"]["critical"].sum())


def test_alliance_and_partners_match_python(client: Any, network: Any) -> None:
    a = client.get("/api/analysis/alliance", params={"members": "KOR,NLD"}).json()
    rep = A.alliance_report(network, ["KOR", "NLD"])
    assert a["no_supplier"] == rep["no_supplier"]
    assert_rows(a["shares"], rep["shares"], ["item_id", "share_KOR", "share_NLD", "combined_share", "no_supplier"])
    m = rep["complementarity_matrix"]
    assert a["complementarity_matrix"]["suppliers"] == list(m.index)
    assert close(a["complementarity_matrix"]["values"], [close_row for close_row in m.to_numpy().tolist()])
    assert a["coverage"]["assessed"] == rep["coverage"]["assessed"]
    p = client.get("/api/analysis/partners", params={"members": "KOR,NLD", "k": 2}).json()
    assert_rows(p["rows"], A.partners(network, ["KOR", "NLD"]).head(50), ["rank", "country", "score"])
    assert [b["country"] for b in p["best"]] == list(A.best_partners(network, ["KOR", "NLD"], k=2)["country"])
    s = client.get("/api/analysis/shared-dependencies", params={"members": "KOR-NLD"}).json()
    assert len(s["rows"]) == len(rep["shared_dependencies"])
    c = client.get("/api/analysis/complementarity", params={"value": "share_of_foreign"}).json()
    assert len(c["rows"]) == 2


def test_coverage_endpoint(client: Any, network: Any) -> None:
    body = client.get("/api/analysis/coverage", params={"analysis": "chokepoints", "items": "neon,not-an-item"}).json()
    assert body["not_in_data"] == ["not-an-item"]
    assert "not covered" in body["text"] or "not in the data" in body["text"]


def test_unprotected_nodes(client: Any, network: Any) -> None:
    pytest.importorskip("highspy", reason="decision models need the optimize extra")
    from allychain.optimize.ttr_tts import site_view, tts_ttr

    body = client.get("/api/decisions/tts", params={"members": "KOR,NLD", "unprotected": True}).json()
    t = tts_ttr(site_view(network)).table
    want = t[t["country"].isin(["KOR", "NLD"]) & t["unprotected"].fillna(False).astype(bool)]
    assert body["unprotected_count"] == len(want) == len(body["rows"])
    assert {r["disruption"] for r in body["rows"]} == set(want["disruption"])


@pytest.mark.parametrize(("url", "status", "kind", "where"), [
    ("/api/analysis/dependencies?members=XXQ", 422, "unknown-member", None),
    ("/api/analysis/chokepoints?year=abc", 422, "validation-error", "year"),
    ("/api/analysis/chokepoints?country_share=150", 422, "validation-error", "country_share"),
    ("/api/analysis/chokepoints?rules=nope", 400, "bad-request", None),
    ("/api/analysis/concentration?level=planet", 422, "validation-error", "level"),
    ("/api/analysis/dependencies?stages=no-such-stage", 400, "bad-request", None),
    ("/api/jobs/0123456789abcdef0123456789abcdef", 404, "unknown-job", None),
    ("/api/no/such/thing", 404, "not-found", None),
])
def test_errors_are_problem_json(client: Any, url: str, status: int, kind: str, where: str | None) -> None:
    body = assert_problem(client.get(url), status, kind)
    if where:
        assert body["errors"][0]["parameter"] == where
        assert where in body["detail"]


def test_cache_serves_repeated_requests(app: Any, client: Any) -> None:
    cache = app.state.allychain.cache
    client.get("/api/analysis/chokepoints", params={"hhi": 2000})
    hits = cache.hits
    r = client.get("/api/analysis/chokepoints", params={"hhi": 2000})
    assert r.status_code == 200 and cache.hits == hits + 1


def test_dashboard_assets_are_local(client: Any) -> None:
    html = client.get("/").text
    assert "/static/app.js" in html and "/vendor/plotly.min.js" in html
    assert "http://" not in html and "https://" not in html
    for path in ("/static/app.js", "/static/style.css", "/static/favicon.svg", "/favicon.ico"):
        assert client.get(path).status_code == 200, path
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and "plotly" in js.text[:500].lower()
    app_js = client.get("/static/app.js").text
    assert "http://" not in app_js and "https://" not in app_js


def test_severity_matches_python(client: Any, network: Any) -> None:
    import allychain.analysis as A

    body = client.get("/api/analysis/severity", params={"members": "KOR,NLD", "top": 10}).json()
    expected = A.severity(network, ["KOR", "NLD"], top=10)
    expected = expected[expected["status"] == "assessed"]
    assert [r["item_id"] for r in body["rows"]] == list(expected["item_id"])
    assert [r["score"] for r in body["rows"]] == pytest.approx(list(expected["score"]))
    assert all(r["agreement_cover"] is None for r in body["rows"])  # unknown is null, never 0
    assert {"critical", "high", "watch"} == set(body["tiers"]) and body["definition"]
