"""The dashboard pages: login with a hardened session cookie, CSRF on every form, submissions, audit view."""

from __future__ import annotations

import re
from typing import Any

import pytest

CAP = b"item,site,country,period,value,unit\nneon,Page-Site,KOR,2025,100,t/year\n"


@pytest.fixture()
def browser(api: Any, ws_tools: Any) -> Any:
    with ws_tools.client_for(api.app) as c:
        yield c


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html
    return m.group(1)


def login(client: Any, user: str, password: str) -> Any:
    page = client.get("/ws/login")
    return client.post("/ws/login", data={"username": user, "password": password, "csrf": _csrf(page.text)},
                       follow_redirects=False)


def test_login_sets_a_hardened_session_cookie(browser: Any) -> None:
    res = login(browser, "submitter-samsung", "pw-submitter_samsung-long-enough")
    assert res.status_code == 303 and res.headers["location"] == "/ws/"
    cookie = [c for c in res.headers.get_list("set-cookie") if c.startswith("allychain_session=")][0].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    home = browser.get("/ws/")
    assert home.status_code == 200 and "Submissions of samsung" in home.text
    assert "no-store" in home.headers["cache-control"] and "frame-ancestors 'none'" in \
        home.headers["content-security-policy"]


def test_login_form_without_csrf_or_wrong_password(browser: Any) -> None:
    browser.get("/ws/login")
    res = browser.post("/ws/login", data={"username": "submitter-samsung",
                                          "password": "pw-submitter_samsung-long-enough", "csrf": "forged"})
    assert res.status_code == 403 and "allychain_session" not in res.headers.get("set-cookie", "")
    res = login(browser, "submitter-samsung", "not the password")
    assert res.status_code == 401 and "wrong user name or password" in res.text
    assert browser.get("/ws/", follow_redirects=False).headers["location"] == "/ws/login"


def test_upload_versions_withdraw_through_the_pages(api: Any, browser: Any) -> None:
    login(browser, "submitter-samsung", "pw-submitter_samsung-long-enough")
    home = browser.get("/ws/")
    token = _csrf(home.text)
    before = len(browser.get("/ws/").text)
    forged = browser.post("/ws/upload", data={"csrf": "x", "kind": "capacity"},
                          files={"file": ("c.csv", CAP, "text/csv")})
    assert forged.status_code == 403 and "CSRF" in forged.text
    bad = browser.post("/ws/upload", data={"csrf": token, "kind": "capacity"},
                       files={"file": ("c.csv", CAP.replace(b"t/year", b"gallons"), "text/csv")})
    assert bad.status_code == 422 and "c.csv, row 2, column &#39;unit&#39;" in bad.text and "Nothing was stored" in bad.text
    ok = browser.post("/ws/upload", data={"csrf": token, "kind": "capacity"},
                      files={"file": ("c.csv", CAP, "text/csv")}, follow_redirects=False)
    assert ok.status_code == 303
    page = browser.get("/ws/").text
    assert len(page) > before
    sub_id = re.findall(r'href="/ws/submissions/(s[0-9a-f]+)"', page)[-1]
    detail = browser.get(f"/ws/submissions/{sub_id}")
    assert "Page-Site" in detail.text and "recorded in the audit trail" in detail.text
    res = browser.post(f"/ws/submissions/{sub_id}/withdraw", data={"csrf": token}, follow_redirects=False)
    assert res.status_code == 303
    from allychain.workspace import submissions

    got = submissions.get_submission(api.store, api.people["p"]["submitter_samsung"], sub_id)
    assert got["status"] == "withdrawn"


def test_audit_view_for_stewards_only(browser: Any) -> None:
    login(browser, "analyst-samsung", "pw-analyst_samsung-long-enough")
    assert browser.get("/ws/audit").status_code == 403
    browser.cookies.clear()
    login(browser, "steward", "pw-steward-long-enough")
    res = browser.get("/ws/audit")
    assert res.status_code == 200 and "workspace:init" in res.text and "Verify the whole chain" in res.text
    res = browser.get("/ws/audit?verify=1")
    assert res.status_code == 200 and "The chain verifies" in res.text


def test_logout_ends_the_session(browser: Any) -> None:
    login(browser, "observer-samsung", "pw-observer_samsung-long-enough")
    home = browser.get("/ws/")
    cookie = browser.cookies.get("allychain_session")
    res = browser.post("/ws/logout", data={"csrf": _csrf(home.text)}, follow_redirects=False)
    assert res.status_code == 303
    browser.cookies.set("allychain_session", cookie)
    assert browser.get("/ws/", follow_redirects=False).headers["location"] == "/ws/login"
