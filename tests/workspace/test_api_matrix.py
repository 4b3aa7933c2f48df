"""The permission matrix, exhaustively: every /api/ws route × every role × own / other organisation,
and unauthenticated — generated from the routes and permissions.csv.

A route without a declared action, or without an example request below, fails
:func:`test_every_route_is_covered`; the expected answer of each case is derived
from the matrix, never written by hand.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from allychain.api.routes_ws import ROUTE_ACTIONS
from allychain.workspace.authz import ROLES, Scope, matrix

#: the caller of each role: (user key in people, organisation); "other" organisation of each
CALLERS = {"admin": ("admin", "secretariat"), "steward": ("steward", "secretariat"),
           "submitter": ("submitter_samsung", "samsung"), "analyst": ("analyst_samsung", "samsung"),
           "observer": ("observer_samsung", "samsung")}
OTHER = {"secretariat": "samsung", "samsung": "asml"}
SUBMITTER_OF = {"secretariat": "submitter_secretariat", "samsung": "submitter_samsung", "asml": "submitter_asml"}
USER_OF = {"secretariat": "steward", "samsung": "analyst_samsung", "asml": "analyst_asml"}


def _csv(marker: str) -> bytes:
    return f"item,site,country,period,value,unit\nneon,{marker},KOR,2025,100,t/year\n".encode()


def _submission(env: Any, org: str) -> dict[str, Any]:
    """A fresh submission of ``org`` whose data carries a unique marker."""
    from allychain.workspace import submissions

    marker = "site-" + secrets.token_hex(6)
    out = submissions.submit(env.store, env.people["p"][SUBMITTER_OF[org]], "capacity", _csv(marker), "c.csv")
    return {**out, "marker": marker}


def _token_of(env: Any, user_key: str) -> dict[str, Any]:
    from allychain.workspace import accounts

    return accounts.create_token(env.store, env.people["p"][user_key], description="matrix", days=1)


Example = Callable[[Any, str, str], tuple[str, dict[str, Any], dict[str, Any] | None]]
"""(env, caller key, target organisation) → (url, request kwargs, the confidential target if any)"""


def _upload(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return "/api/ws/submissions?kind=capacity", {"content": _csv("new-site"),
                                                 "headers": {"Content-Type": "text/csv"}}, None


def _list(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "/api/ws/submissions", {}, _submission(env, org)


def _read(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    sub = _submission(env, org)
    return f"/api/ws/submissions/{sub['id']}", {}, sub


def _correct(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    sub = _submission(env, org)
    return f"/api/ws/submissions/{sub['id']}", {"content": _csv("fixed-site"), "headers": {
        "Content-Type": "text/csv", "If-Match": sub["etag"]}}, sub


def _withdraw(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    sub = _submission(env, org)
    return f"/api/ws/submissions/{sub['id']}", {}, sub


def _revoke_token(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    owner = me if org == CALLERS_ORG[me] else USER_OF[org]
    return f"/api/ws/tokens/{_token_of(env, owner)['id']}", {}, None


def _grant(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    name = env.people["p"][USER_OF[org]].name
    return f"/api/ws/users/{name}/roles", {"json": {"role": "observer"}}, None


def _revoke_role(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    from allychain.workspace import accounts

    name = env.people["p"][USER_OF[org]].name
    accounts.grant_role(env.store, env.admin, name, "observer")
    return f"/api/ws/users/{name}/roles/observer", {}, None


def _new_org(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return "/api/ws/organisations", {"json": {"id": "o-" + secrets.token_hex(4), "name": "New", "kind": "company",
                                              "country": "JPN"}}, None


def _new_user(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return "/api/ws/users", {"json": {"name": "u-" + secrets.token_hex(4), "organisation": org,
                                      "roles": ["analyst"]}}, None


def _published(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    """A capacity release exists (published by the steward through the service)."""
    from allychain.workspace import publish

    _submission(env, "samsung")
    publish.publish(env.store, env.people["p"]["steward"], "capacity")
    return "/api/ws/aggregates/capacity", {}, None


def _to_publish(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    _submission(env, "samsung")
    return "/api/ws/aggregates/capacity/releases", {}, None


def _terms() -> dict[str, Any]:
    return {"title": "MOU on neon", "parties": ["KOR", "NLD"], "signed": "2026-05-01", "items": ["neon"],
            "source": "MOU text, 2026", "commitments": [{"item": "neon", "from": "KOR", "to": "NLD", "min": 1}]}


def _agreement(env: Any, org: str, in_force: bool = False) -> str:
    """A draft agreement registered by ``org`` (by its analyst, or the steward), optionally put in force."""
    from allychain.workspace import agreements

    agr_id = "m-" + secrets.token_hex(5)
    agreements.register(env.store, env.people["p"][USER_OF[org]], _terms(), agr_id)
    if in_force:
        agreements.set_status(env.store, env.people["p"]["steward"], agr_id, "in_force")
    return agr_id


def _new_agreement(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return "/api/ws/agreements", {"json": {"id": "n-" + secrets.token_hex(5), **_terms()}}, None


def _read_agreement(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return f"/api/ws/agreements/{_agreement(env, org, in_force=True)}", {}, None


def _amend_agreement(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return f"/api/ws/agreements/{_agreement(env, org)}", {"json": {**_terms(), "title": "amended"}}, None


def _agreement_status(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return f"/api/ws/agreements/{_agreement(env, org)}/status", {"json": {"status": "in_force"}}, None


def _check_agreement(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return f"/api/ws/agreements/{_agreement(env, org)}/check", {"json": {}}, None


INCIDENT = {"title": "Neon purification halted", "items": ["neon"], "countries": ["UKR"], "horizon": 30,
            "shocks": [{"countries": ["UKR"], "items": ["neon"], "loss_fraction": 1.0, "onset": 1, "duration": 10}],
            "shortfalls": [{"member": "KOR", "item": "neon", "amount": 10}],
            "supply": [{"member": "NLD", "item": "neon", "stockpile": 5}]}


def _incident(env: Any, org: str, state: str = "open") -> str:
    """An incident opened by ``org`` (its analyst, or the steward), set to ``state`` directly."""
    from allychain.workspace import incidents

    inc_id = incidents.open_incident(env.store, env.people["p"][USER_OF[org]], INCIDENT)["id"]
    if state != "open":
        with env.store.transaction() as repo:  # skip the (tested elsewhere) assessment: fast examples
            repo.get_incident(inc_id).state = state
    return inc_id


def _inc_open(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    return "/api/ws/incidents", {"json": INCIDENT}, None


def _inc(suffix: str, body: dict[str, Any] | None = None, state: str = "open") -> Example:
    def example(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
        url = f"/api/ws/incidents/{_incident(env, org, state)}{suffix}"
        return url, ({"json": body} if body is not None else {}), None

    return example


def _series(env: Any, org: str) -> str:
    """A dialogue series of ``org`` (created by its analyst, or the steward)."""
    from allychain.workspace import dialogues

    return dialogues.create_series(env.store, env.people["p"][USER_OF[org]],
                                   {"name": "Semiconductor dialogue", "kind": "dialogue", "parties": ["KOR", "NLD"]})["id"]


def _dlg(suffix: str, body: dict[str, Any] | None = None) -> Example:
    def example(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
        return f"/api/ws/dialogues/{_series(env, org)}{suffix}", ({"json": body} if body is not None else {}), None

    return example


def _action_status(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    from allychain.workspace import dialogues

    sid = _series(env, org)
    act = dialogues.add_action(env.store, env.people["p"][USER_OF[org]], sid,
                               {"title": "survey", "owner": "samsung", "due": "2027-01-31"})
    return f"/api/ws/dialogues/actions/{act['id']}/status", {"json": {"status": "done"}}, None


def _since_last(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    from allychain.workspace import dialogues

    meeting = dialogues.add_meeting(env.store, env.people["p"]["steward"], _series(env, "secretariat"),
                                    {"date": "2027-03-10", "title": "4th round"})
    return f"/api/ws/meetings/{meeting['id']}/since-last", {}, None


def _plain(path: str, body: dict[str, Any] | None = None) -> Example:
    return lambda env, me, org: (path, {"json": body} if body is not None else {}, None)


NEON_PRICES = "date,kind,reporter,item,value,unit,source\n2022-01,price,WLD,neon,100,USD/m3,quotes\n" \
              "2022-02,price,WLD,neon,,USD/m3,quotes\n2022-03,price,WLD,neon,1000,USD/m3,quotes\n"
NEON_SERIES = "price::WLD:::quotes"


def _watch_series(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
    """A stored series (the steward ingests a small price file once per module)."""
    import tempfile
    from pathlib import Path

    from allychain.workspace import watch

    if not getattr(env, "neon_stored", False):
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "neon.csv"
            f.write_text(NEON_PRICES, encoding="utf-8")
            watch.ingest(env.store, env.people["p"]["steward"], f, "long")
        env.neon_stored = True
    return f"/api/ws/watch/series/{NEON_SERIES}", {}, None


def _alert(env: Any) -> str:
    """A fresh open alert (stored by the steward as a scan would)."""
    from allychain.workspace import watch

    aid = "w" + secrets.token_hex(6)
    watch.store_alerts(env.store, env.people["p"]["steward"], [{
        "alert_id": aid, "event_id": aid, "kind": "price_spike", "severity": "high", "date": "2022-03-01",
        "first_detected": "2022-03-01", "last_detected": "2022-03-01", "sightings": 1, "series": f"x:{aid}",
        "indicator": "price", "flow": "", "reporter": "WLD", "partner": "", "hs_code": "", "item_ids": ["neon"],
        "size": 10.0, "size_unit": "ratio", "score": 12.0, "direction": "up", "evidence": {}, "members_exposed": []}])
    return aid


def _wa(suffix: str, body: dict[str, Any] | None = None) -> Example:
    def example(env: Any, me: str, org: str) -> tuple[str, dict[str, Any], None]:
        return f"/api/ws/watch/alerts/{_alert(env)}{suffix}", ({"json": body} if body is not None else {}), None

    return example


CALLERS_ORG = {key: org for key, org in CALLERS.values()}

#: one example request per route; ``object`` routes act on one object whose ownership varies
EXAMPLES: dict[tuple[str, str], tuple[Example, bool, int]] = {
    ("GET", "/api/ws/me"): (_plain("/api/ws/me"), False, 200),
    ("GET", "/api/ws/roles"): (_plain("/api/ws/roles"), False, 200),
    ("GET", "/api/ws/organisations"): (_plain("/api/ws/organisations"), False, 200),
    ("POST", "/api/ws/organisations"): (_new_org, False, 201),
    ("GET", "/api/ws/users"): (_plain("/api/ws/users"), False, 200),
    ("POST", "/api/ws/users"): (_new_user, False, 201),
    ("POST", "/api/ws/users/{name}/roles"): (_grant, False, 200),
    ("DELETE", "/api/ws/users/{name}/roles/{role}"): (_revoke_role, False, 200),
    ("GET", "/api/ws/tokens"): (_plain("/api/ws/tokens"), False, 200),
    ("POST", "/api/ws/tokens"): (_plain("/api/ws/tokens", {"description": "matrix", "days": 1}), False, 201),
    ("DELETE", "/api/ws/tokens/{token_id}"): (_revoke_token, True, 200),
    ("POST", "/api/ws/submissions"): (_upload, False, 201),
    ("GET", "/api/ws/submissions"): (_list, False, 200),
    ("GET", "/api/ws/submissions/{sub_id}"): (_read, True, 200),
    ("PUT", "/api/ws/submissions/{sub_id}"): (_correct, True, 200),
    ("DELETE", "/api/ws/submissions/{sub_id}"): (_withdraw, True, 200),
    ("GET", "/api/ws/audit"): (_plain("/api/ws/audit"), False, 200),
    ("GET", "/api/ws/audit/verify"): (_plain("/api/ws/audit/verify"), False, 200),
    ("GET", "/api/ws/aggregates/{kind}"): (_published, False, 200),
    ("POST", "/api/ws/aggregates/{kind}/releases"): (_to_publish, False, 201),
    ("GET", "/api/ws/releases"): (_plain("/api/ws/releases"), False, 200),
    ("GET", "/api/ws/agreements"): (_plain("/api/ws/agreements"), False, 200),
    ("POST", "/api/ws/agreements"): (_new_agreement, False, 201),
    ("GET", "/api/ws/agreements/coverage"): (_plain("/api/ws/agreements/coverage"), False, 200),
    ("GET", "/api/ws/agreements/gaps"): (_plain("/api/ws/agreements/gaps?members=KOR,NLD"), False, 200),
    ("GET", "/api/ws/agreements/{agr_id}"): (_read_agreement, True, 200),
    ("PUT", "/api/ws/agreements/{agr_id}"): (_amend_agreement, True, 200),
    ("POST", "/api/ws/agreements/{agr_id}/status"): (_agreement_status, True, 200),
    ("POST", "/api/ws/agreements/{agr_id}/check"): (_check_agreement, True, 200),
    ("GET", "/api/ws/incidents"): (_plain("/api/ws/incidents"), False, 200),
    ("POST", "/api/ws/incidents"): (_inc_open, False, 201),
    ("GET", "/api/ws/incidents/{inc_id}"): (_inc(""), True, 200),
    ("POST", "/api/ws/incidents/{inc_id}/assess"): (_inc("/assess"), True, 200),
    ("POST", "/api/ws/incidents/{inc_id}/allocate"): (_inc("/allocate", {}, "assessed"), True, 200),
    ("POST", "/api/ws/incidents/{inc_id}/records"): (_inc("/records", {"kind": "decision", "text": "ship"}), True,
                                                     201),
    ("POST", "/api/ws/incidents/{inc_id}/close"): (_inc("/close", {"happened": "ok", "lessons": "more"}), True, 200),
    ("GET", "/api/ws/dialogues"): (_plain("/api/ws/dialogues"), False, 200),
    ("POST", "/api/ws/dialogues"): (_plain("/api/ws/dialogues", {"name": "2+2", "kind": "ministerial",
                                                                 "cadence": "biennial"}), False, 201),
    ("GET", "/api/ws/dialogues/{series_id}"): (_dlg(""), True, 200),
    ("POST", "/api/ws/dialogues/{series_id}/meetings"): (_dlg("/meetings", {"date": "2027-03-10", "title": "x"}),
                                                         True, 201),
    ("POST", "/api/ws/dialogues/{series_id}/actions"): (_dlg("/actions", {"title": "survey", "owner": "asml",
                                                                          "due": "2027-01-31"}), True, 201),
    ("POST", "/api/ws/dialogues/actions/{action_id}/status"): (_action_status, True, 200),
    ("GET", "/api/ws/dialogues/{series_id}/calendar.ics"): (_dlg("/calendar.ics"), True, 200),
    ("GET", "/api/ws/meetings/{meeting_id}/since-last"): (_since_last, False, 200),
    ("GET", "/api/ws/watch/series"): (_plain("/api/ws/watch/series"), False, 200),
    ("GET", "/api/ws/watch/series/{series}"): (_watch_series, False, 200),
    ("GET", "/api/ws/watch/alerts"): (_plain("/api/ws/watch/alerts"), False, 200),
    ("GET", "/api/ws/watch/alerts/feed.json"): (_plain("/api/ws/watch/alerts/feed.json"), False, 200),
    ("GET", "/api/ws/watch/alerts/{alert_id}"): (_wa(""), False, 200),
    ("POST", "/api/ws/watch/alerts/{alert_id}/acknowledge"): (_wa("/acknowledge", {"note": "seen"}), False, 200),
    ("POST", "/api/ws/watch/alerts/{alert_id}/dismiss"): (_wa("/dismiss", {}), False, 200),
    ("POST", "/api/ws/watch/alerts/{alert_id}/escalate"): (_wa("/escalate", {"note": "act"}), False, 201),
    ("GET", "/api/ws/analysis/dependencies"): (_plain("/api/ws/analysis/dependencies?members=KOR,NLD"), False, 200),
}

CASES = [(m, p, role, own) for (m, p) in sorted(ROUTE_ACTIONS) for role in ROLES for own in ("own", "other")]


@pytest.fixture(scope="module")
def env(api: Any) -> Any:
    api.admin = api.people["admin"]
    return api


def test_every_route_is_covered(env: Any) -> None:
    """Every /api/ws route declares an action (so the matrix applies) and has an example here."""
    from allychain.api import routes_ws

    served = {(m.upper(), path) for path, ops in env.app.openapi()["paths"].items() if path.startswith("/api/ws")
              for m in ops}
    served |= {(m, r.path) for r in routes_ws.router.routes for m in getattr(r, "methods", ())}
    assert served == set(ROUTE_ACTIONS), "a /api/ws route was added without route(..., action)"
    assert set(EXAMPLES) == served, f"no example request for {sorted(served - set(EXAMPLES))}"
    assert set(ROLES) == set(CALLERS)


def expected_status(method: str, path: str, role: str, ownership: str) -> int:
    _, is_object, ok = EXAMPLES[(method, path)]
    scope = matrix()[ROUTE_ACTIONS[(method, path)]][role]
    if scope is Scope.NONE:
        return 403
    if is_object and scope is Scope.OWN and ownership == "other":
        return 404
    return ok


@pytest.mark.parametrize(("method", "path", "role", "ownership"), CASES,
                         ids=[f"{m} {p} {r} {o}" for m, p, r, o in CASES])
def test_matrix(env: Any, method: str, path: str, role: str, ownership: str) -> None:
    me, my_org = CALLERS[role]
    target_org = my_org if ownership == "own" else OTHER[my_org]
    example, _, _ = EXAMPLES[(method, path)]
    url, kwargs, target = example(env, me, target_org)
    headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {env.people['tokens'][me]}"}
    res = env.client.request(method, url, headers=headers, **kwargs)
    want = expected_status(method, path, role, ownership)
    assert res.status_code == want, res.text
    if want >= 400:
        assert res.headers["content-type"].startswith("application/problem+json")
    if target is not None:
        # confidential data only to callers the matrix allows
        read_scope = matrix()[ROUTE_ACTIONS[(method, path)]][role]
        may_see = want < 400 and (read_scope is Scope.ANY or target["organisation"] == my_org)
        assert (target["marker"] in res.text) == (may_see and method == "GET" and "{" in path)
        if method == "GET" and path.endswith("/submissions"):
            assert (target["id"] in res.text) == may_see


@pytest.mark.parametrize(("method", "path"), sorted(EXAMPLES))
def test_unauthenticated_gets_401(env: Any, method: str, path: str) -> None:
    example, _, _ = EXAMPLES[(method, path)]
    url, kwargs, target = example(env, "submitter_samsung", "samsung")
    res = env.client.request(method, url, **kwargs)
    assert res.status_code == 401 and res.headers["www-authenticate"].startswith("Bearer")
    assert res.headers["content-type"].startswith("application/problem+json")
    if target is not None:
        assert target["marker"] not in res.text
