"""GET /api/ws/aggregates/{kind} (JSON and CSV) and publishing through the API."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from allychain.errors import DisclosureError

pytest.importorskip("highspy")

ROWS = {"p1": [("neon", "KOR", 50), ("neon", "JPN", 70), ("c4f6", "KOR", 40), ("c4f6", "JPN", 45)],
        "p2": [("neon", "KOR", 55), ("c4f6", "KOR", 42), ("c4f6", "JPN", 47)],
        "p3": [("neon", "KOR", 45), ("c4f6", "KOR", 38), ("c4f6", "JPN", 51)]}


@pytest.fixture(scope="module")
def published(api: Any) -> dict[str, Any]:
    from allychain.workspace import accounts, submissions

    admin = api.people["admin"]
    for org, rows in ROWS.items():
        accounts.add_org(api.store, admin, org, org, "company", "KOR")
        tok = accounts.add_user(api.store, admin, f"u-{org}", org, ["submitter"])["token"]
        body = "item,site,country,period,value,unit\n" + "".join(f"{i},,{c},2030,{v},t/month\n" for i, c, v in rows)
        submissions.submit(api.store, accounts.authenticate_token(api.store, tok), "capacity", body.encode(), "c.csv")
    steward = {"Authorization": f"Bearer {api.people['tokens']['steward']}"}
    res = api.client.post("/api/ws/aggregates/capacity/releases?period=2030", headers=steward)
    assert res.status_code == 201, res.text
    return res.json()


def test_json_rows_carry_status_and_null_for_withheld_cells(api: Any, published: dict[str, Any]) -> None:
    analyst = {"Authorization": f"Bearer {api.people['tokens']['analyst_asml']}"}
    res = api.client.get(f"/api/ws/aggregates/capacity?release={published['id']}", headers=analyst)
    assert res.status_code == 200
    rows = {(r["item"], r["country"]): r for r in res.json()["rows"]}
    # neon × JPN has one organisation: withheld, and so is enough of its row and column to hide it
    assert rows[("neon", "JPN")] == {"item": "neon", "country": "JPN", "value": None, "status": "suppressed"}
    assert ("_total", "_total") in rows and all(r["status"] in ("published", "suppressed") for r in rows.values())
    for r in rows.values():
        assert (r["value"] is None) == (r["status"] == "suppressed")
    # in a 2 × 2 table the only pattern through neon × JPN is the whole interior (by hand: its
    # rectangle costs 413 t/month; any pattern through the totals costs more); every total stays published
    assert all(rows[(i, c)]["status"] == "suppressed" for i in ("neon", "c4f6") for c in ("KOR", "JPN"))
    c4f6 = rows[("c4f6", "_total")]
    assert c4f6["status"] == "published" and c4f6["value"] == pytest.approx(40 + 45 + 42 + 47 + 38 + 51)
    assert rows[("_total", "_total")]["value"] == pytest.approx(sum(v for r in ROWS.values() for *_, v in r))
    assert "sources" not in res.json()


def test_csv_is_the_same_table(api: Any, published: dict[str, Any]) -> None:
    analyst = {"Authorization": f"Bearer {api.people['tokens']['analyst_asml']}"}
    j = api.client.get(f"/api/ws/aggregates/capacity?release={published['id']}", headers=analyst).json()
    res = api.client.get(f"/api/ws/aggregates/capacity?release={published['id']}&format=csv", headers=analyst)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert res.headers["x-allychain-release"] == published["id"]
    back = list(csv.DictReader(io.StringIO(res.text)))
    assert [(r["item"], r["country"], r["status"]) for r in back] == [
        (r["item"], r["country"], r["status"]) for r in j["rows"]]
    for r, s in zip(back, j["rows"], strict=True):
        assert (r["value"] == "") == (s["value"] is None)
        if s["value"] is not None:
            assert float(r["value"]) == pytest.approx(s["value"])
    by_accept = api.client.get(f"/api/ws/aggregates/capacity?release={published['id']}",
                               headers={**analyst, "Accept": "text/csv"})
    assert by_accept.text == res.text


def test_unsafe_release_answers_409_problem(api: Any, published: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import allychain.disclosure as disclosure

    def refuse(*a: Any, **k: Any) -> Any:
        raise DisclosureError("release of capacity:2030 refused: 1 of 3 audited cell(s) can be narrowed")

    monkeypatch.setattr(disclosure, "release", refuse)
    steward = {"Authorization": f"Bearer {api.people['tokens']['steward']}"}
    res = api.client.post("/api/ws/aggregates/capacity/releases?period=2030", headers=steward)
    assert res.status_code == 409 and res.headers["content-type"].startswith("application/problem+json")
    assert "refused" in res.json()["detail"]
    listed = api.client.get("/api/ws/releases?kind=capacity", headers=steward).json()
    assert published["id"] in [r["id"] for r in listed] and all("sources" in r for r in listed)
