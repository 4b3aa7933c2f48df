"""Dashboard pages of the instruments: the registry with the gap list, an incident with its timeline and
allocation chart, a dialogue with its overdue action items — behind the same matrix as the API."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import pytest


def _login(client: Any, user: str, password: str) -> None:
    page = client.get("/ws/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    res = client.post("/ws/login", data={"username": user, "password": password, "csrf": csrf},
                      follow_redirects=False)
    assert res.status_code == 303


@pytest.fixture()
def browser(api: Any, ws_tools: Any) -> Any:
    with ws_tools.client_for(api.app) as c:
        yield c


def test_instrument_pages(api: Any, browser: Any) -> None:
    from allychain.workspace import agreements, dialogues, incidents

    p = api.people["p"]
    steward = p["steward"]
    tag = secrets.token_hex(3)
    agreements.register(api.store, steward, {"title": f"Gallium MOU {tag}", "parties": ["KOR", "NLD"],
                                             "signed": "2026-01-01", "items": ["gallium"], "source": "MOU text",
                                             "commitments": [{"item": "gallium", "from": "NLD", "to": "KOR",
                                                              "min": 5}]}, f"ga-{tag}")
    agreements.set_status(api.store, steward, f"ga-{tag}", "in_force")
    inc = incidents.open_incident(api.store, steward, {
        "title": f"Gallium export stop {tag}", "items": ["gallium"], "countries": ["CHN"],
        "shocks": [{"countries": ["CHN"], "items": ["gallium"], "loss_fraction": 0.5, "onset": 1, "duration": 5}],
        "shortfalls": [{"member": "KOR", "item": "gallium", "amount": 20}],
        "supply": [{"member": "NLD", "item": "gallium", "stockpile": 12}]})
    with api.store.transaction() as repo:
        repo.get_incident(inc["id"]).state = "assessed"
    incidents.allocate(api.store, steward, inc["id"])
    series = dialogues.create_series(api.store, steward, {"name": f"Dialogue {tag}", "kind": "dialogue"})
    dialogues.add_meeting(api.store, steward, series["id"], {"date": "2026-01-10", "title": "first"})
    dialogues.add_action(api.store, steward, series["id"], {"title": f"Late task {tag}", "owner": "samsung",
                                                            "due": (dt.date.today() - dt.timedelta(days=3)).isoformat()})
    _login(browser, "steward", "pw-steward-long-enough")
    reg = browser.get("/ws/agreements?members=KOR,NLD")
    assert reg.status_code == 200 and f"Gallium MOU {tag}" in reg.text
    row = re.search(r"\(gallium\)</span></td><td>(\w+)</td>", reg.text)
    assert row and row.group(1) == "covered"
    assert re.search(r"\(photoresists\)</span></td><td>gap</td>", reg.text)
    page = browser.get(f"/ws/incidents/{inc['id']}")
    assert page.status_code == 200 and "<svg" in page.text and "12 of 20 units of shortfall covered" in page.text
    assert page.text.count("<td>steward</td>") == 2  # opened, allocated: who, on the timeline
    assert "<script" not in page.text and "default-src 'self'" in page.headers["content-security-policy"]
    dia = browser.get(f"/ws/dialogues/{series['id']}")
    assert dia.status_code == 200 and re.search(rf"Late task {tag}</td><td>samsung</td><td>[\d-]+</td><td><strong>"
                                                r"overdue</strong>", dia.text)


def test_observer_sees_no_incident_page(api: Any, browser: Any) -> None:
    _login(browser, "observer-samsung", "pw-observer_samsung-long-enough")
    assert browser.get("/ws/incidents").status_code == 403
    assert browser.get("/ws/agreements?members=KOR,NLD").status_code == 200  # published agreements and gaps
