"""Watch over REST and on the dashboard: series and alerts, state changes, the JSON feed, the page's chart marks
and its CSRF-checked state buttons (the matrix of who may do what is in test_api_matrix.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_watch_ws import fake_alert

PRICES = ("date,kind,reporter,item,value,unit,source\n2022-01,price,WLD,neon,100,USD/m3,quotes\n"
          "2022-02,price,WLD,neon,,USD/m3,quotes\n2022-03,price,WLD,neon,1000,USD/m3,quotes\n"
          "2022-04,price,WLD,neon,900,USD/m3,quotes\n")
SERIES = "price::WLD:::quotes"


@pytest.fixture(scope="module")
def watched(api: Any, tmp_path_factory: Any) -> Any:
    """The served workspace with a neon price series and two alerts on it (one spike marked on 2022-03)."""
    from allychain.workspace import watch

    f = Path(tmp_path_factory.mktemp("w")) / "neon.csv"
    f.write_text(PRICES, encoding="utf-8")
    steward = api.people["p"]["steward"]
    watch.ingest(api.store, steward, f, "long")
    base = {"series": SERIES, "indicator": "price", "flow": "", "reporter": "WLD", "partner": "", "hs_code": "",
            "item_ids": ["neon"], "kind": "price_spike", "size_unit": "ratio", "members_exposed": ["KOR"],
            "destinations": [], "coverage": "not assessable for NLD (the supplier or its share of the item is unknown)"}
    watch.store_alerts(api.store, steward, [fake_alert("p-spike", **base, date="2022-03-01", severity="high",
                                                       first_detected="2022-03-01", last_detected="2022-04-01"),
                                            fake_alert("p-low", **{**base, "series": "other:series"}, severity="low")])
    return api


def _h(env: Any, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {env.people['tokens'][who]}"}


def test_rest_series_alerts_states_and_feed(watched: Any) -> None:
    c, analyst = watched.client, _h(watched, "analyst_samsung")
    series = c.get(f"/api/ws/watch/series/{SERIES}", headers=analyst).json()
    assert [p["value"] for p in series["points"]] == [100.0, None, 1000.0, 900.0]     # the gap stays a gap
    assert [a["alert_id"] for a in series["alerts"]] == ["p-spike"]
    assert c.get("/api/ws/watch/series/none", headers=analyst).status_code == 404
    listed = c.get("/api/ws/watch/alerts?severity=high", headers=analyst).json()
    assert "p-spike" in [a["alert_id"] for a in listed] and "p-low" not in [a["alert_id"] for a in listed]
    assert c.get("/api/ws/watch/alerts?state=closed", headers=analyst).status_code == 422
    res = c.post("/api/ws/watch/alerts/p-spike/acknowledge", json={"note": "on it"}, headers=analyst)
    assert res.status_code == 200 and res.json()["state"] == "acknowledged"
    assert res.json()["state_by"] == "analyst-samsung"
    assert c.post("/api/ws/watch/alerts/p-spike/acknowledge", headers=analyst).status_code == 409
    esc = c.post("/api/ws/watch/alerts/p-spike/escalate", json={"note": "act"}, headers=analyst)
    assert esc.status_code == 201 and esc.headers["location"] == f"/api/ws/incidents/{esc.json()['incident_id']}"
    again = c.post("/api/ws/watch/alerts/p-spike/escalate", headers=analyst)
    assert again.status_code == 409 and esc.json()["incident_id"] in again.json()["detail"]
    inc = c.get(esc.headers["location"], headers=analyst).json()
    assert inc["items"] == ["neon"] and inc["source"]["watch_alert"] == "p-spike"
    feed = c.get("/api/ws/watch/alerts/feed.json", headers=_h(watched, "observer_asml"))
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/feed+json")
    doc = feed.json()
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    item = {i["id"]: i for i in doc["items"]}["p-spike"]
    assert item["_allychain"]["state"] == "escalated" and "KOR" in item["content_text"]
    assert "Coverage: not assessable for NLD" in item["content_text"]
    assert item["url"].endswith("/api/ws/watch/alerts/p-spike")


def _login(c: Any, user: str) -> str:
    page = c.get("/ws/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    c.post("/ws/login", data={"username": user, "password": f"pw-{user.replace('-', '_')}-long-enough",
                              "csrf": token})
    return c.get("/ws/watch").text


def test_page_chart_marks_and_state_buttons(watched: Any, ws_tools: Any) -> None:
    with ws_tools.client_for(watched.app) as c:
        html = _login(c, "steward")
        data = json.loads(re.search(r'id="watch-series">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
        assert data["series"] == SERIES and [p["date"] for p in data["points"]][:2] == ["2022-01-01", "2022-02-01"]
        assert [(m["date"], m["value"], m["severity"]) for m in data["marks"]] == [("2022-03-01", 1000.0, "high")]
        assert '<script src="/vendor/plotly.min.js"></script>' in html and "/static/ws_watch.js" in html
        assert c.get("/static/ws_watch.js").status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        assert 'action="/ws/watch/alerts/p-low/acknowledge"' in html
        forged = c.post("/ws/watch/alerts/p-low/acknowledge", data={"csrf": "forged"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        ok = c.post("/ws/watch/alerts/p-low/dismiss", data={"csrf": csrf}, follow_redirects=False)
        assert ok.status_code == 303
        from allychain.workspace import watch

        got = watch.get_alert(watched.store, watched.people["p"]["steward"], "p-low")
        assert got["state"] == "dismissed" and got["timeline"][-1]["by"] == "steward"
    with ws_tools.client_for(watched.app) as c:
        html = _login(c, "observer-samsung")                      # read-only: the list, no state buttons
        assert "p-low" in html and "/acknowledge" not in html and "/escalate" not in html
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        res = c.post("/ws/watch/alerts/p-low/acknowledge", data={"csrf": csrf})
        assert res.status_code == 403


def test_chart_data_cannot_close_its_script_block() -> None:
    """A series id or unit is data from a file: inside the page's JSON block it cannot end the block."""
    from allychain.api.routes_ws_pages_watch import _json_script, chart_data

    hostile = "</script><script>alert(1)</script>&"
    data = chart_data({"series": f"price::WLD:::{hostile}", "unit": hostile,
                       "points": [{"date": "2022-01-01", "value": 1.0}], "alerts": []})
    text = _json_script(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data
