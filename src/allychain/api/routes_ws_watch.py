"""Watch in the workspace under ``/api/ws/watch``: indicator series, alerts, their states, the JSON feed.

Each route declares its action with :func:`allychain.api.routes_ws.route` (so the
generated permission tests cover it) and only calls :mod:`allychain.workspace.watch`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from allychain.api.problems import PROBLEM_SCHEMA
from allychain.api.routes_ws import _json, caller, route, store_of
from allychain.workspace import watch as ws
from allychain.workspace.authz import Action, Principal

__all__: list[str] = []

_REFUSALS = {s: PROBLEM_SCHEMA for s in (409, 422)}
_NOTE = Body(default_factory=dict, examples=[{"note": "checked with the importer: a customs reclassification"}])


def _note(body: Any) -> str:
    from allychain.errors import InvalidRecord

    note = body.get("note", "") if isinstance(body, dict) else ""
    if not isinstance(note, str):
        raise InvalidRecord("note: expected a text")
    return note


@route("GET", "/watch/series", Action.WATCH_READ, summary="Stored indicator series: id, periods, first and last date")
def list_series(request: Request, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(ws.list_series(store_of(request), p))


@route("GET", "/watch/series/{series}", Action.WATCH_READ,
       summary="One series: key, values (null for a gap) and the alerts on it")
def get_series(request: Request, series: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(ws.get_series(store_of(request), p, series))


@route("GET", "/watch/alerts", Action.WATCH_READ, responses=_REFUSALS,
       summary="Alerts, newest sighting first: state, who changed it and when, members exposed, evidence")
def list_alerts(request: Request, p: Principal | None = Depends(caller), state: str | None = Query(None),
                severity: str | None = Query(None), limit: int = Query(500, ge=1, le=5000)) -> JSONResponse:
    return _json(ws.list_alerts(store_of(request), p, state, severity, limit))


@route("GET", "/watch/alerts/feed.json", Action.WATCH_READ,
       summary="The alerts as a JSON Feed 1.1 document (newest first)")
def alerts_feed(request: Request, p: Principal | None = Depends(caller),
                limit: int = Query(100, ge=1, le=1000)) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    resp = _json(ws.feed(store_of(request), p, base, limit))
    resp.headers["Content-Type"] = "application/feed+json"
    return resp


@route("GET", "/watch/alerts/{alert_id}", Action.WATCH_READ, summary="One alert with its timeline and deliveries")
def get_alert(request: Request, alert_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(ws.get_alert(store_of(request), p, alert_id))


@route("POST", "/watch/alerts/{alert_id}/acknowledge", Action.WATCH_TRIAGE, responses=_REFUSALS,
       summary="open → acknowledged")
def acknowledge(request: Request, alert_id: str, p: Principal | None = Depends(caller),
                body: dict[str, Any] = _NOTE) -> JSONResponse:
    return _json(ws.acknowledge(store_of(request), p, alert_id, _note(body)))


@route("POST", "/watch/alerts/{alert_id}/dismiss", Action.WATCH_TRIAGE, responses=_REFUSALS,
       summary="open | acknowledged → dismissed (the note says why)")
def dismiss(request: Request, alert_id: str, p: Principal | None = Depends(caller),
            body: dict[str, Any] = _NOTE) -> JSONResponse:
    return _json(ws.dismiss(store_of(request), p, alert_id, _note(body)))


@route("POST", "/watch/alerts/{alert_id}/escalate", Action.WATCH_ESCALATE, status_code=201, responses=_REFUSALS,
       summary="open | acknowledged → escalated: opens one incident linked to the alert (needs incident:open)")
def escalate(request: Request, alert_id: str, p: Principal | None = Depends(caller),
             body: dict[str, Any] = _NOTE) -> JSONResponse:
    shocks = body.get("shocks") if isinstance(body, dict) else None
    out = ws.escalate(store_of(request), p, alert_id, _note(body), shocks if isinstance(shocks, list) else None)
    return _json(out, 201, {"Location": f"/api/ws/incidents/{out['incident']['id']}"})
