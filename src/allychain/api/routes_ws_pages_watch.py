"""The Watch page under ``/ws/watch``: the alert list with its state buttons and a series chart with the
detected changes marked (plotly.js, offline).

Server-rendered over :mod:`allychain.workspace.watch` (the same permission checks as the REST
API); the state buttons are CSRF-checked forms; registered on
:data:`allychain.api.routes_ws_pages.pages`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from allychain.api.routes_ws import store_of
from allychain.api.routes_ws_pages import _checked_form, _ctx, _render, _session, _to_login, pages
from allychain.errors import AuthenticationError, WorkspaceError
from allychain.store.models import ALERT_STATES
from allychain.workspace import watch as ws
from allychain.workspace.authz import Action, Scope, scope_of

__all__: list[str] = []

_STEPS = (("acknowledge", "Acknowledge", Action.WATCH_TRIAGE), ("dismiss", "Dismiss", Action.WATCH_TRIAGE),
          ("escalate", "Escalate", Action.WATCH_ESCALATE))


def chart_data(series: dict[str, Any]) -> dict[str, Any]:
    """The chart's data: the points and one mark per alert (its change date and the value then)."""
    values = {p["date"]: p["value"] for p in series["points"]}
    marks = [{"date": a["date"], "value": values.get(a["date"]), "severity": a["severity"],
              "label": f"{a['kind']} ({a['severity']}, {a['state']}) {a['alert_id']}"} for a in series["alerts"]]
    return {"series": series["series"], "unit": series.get("unit"), "points": series["points"], "marks": marks}


def _json_script(obj: Any) -> str:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` escaped."""
    return (json.dumps(obj, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


@pages.get("/watch")
def watch_page(request: Request, series: str | None = None, state: str | None = None, error: str | None = None,
               status: int = 200) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    store = store_of(request)
    try:
        rows = ws.list_alerts(store, p, state or None)
        chosen = series or (rows[0]["series"] if rows else None)
        chart = chart_data(ws.get_series(store, p, chosen)) if chosen else None
    except WorkspaceError as exc:
        return _render("ws_base.html", exc.status, title="Watch", error=str(exc), **_ctx(p, csrf))
    steps = [(step, label, scope_of(p.roles, action) > Scope.NONE) for step, label, action in _STEPS]
    return _render("ws_watch.html", status, title="Watch", rows=rows, chart=chart,
                   chart_json=_json_script(chart) if chart else "", states=ALERT_STATES, state=state, steps=steps,
                   from_states={k: v[0] for k, v in ws.TRANSITIONS.items()}, error=error, **_ctx(p, csrf))


@pages.post("/watch/alerts/{alert_id}/{step}")
async def alert_step(request: Request, alert_id: str, step: str) -> Response:
    from starlette.concurrency import run_in_threadpool

    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    fn = {"acknowledge": ws.acknowledge, "dismiss": ws.dismiss, "escalate": ws.escalate}.get(step)
    if fn is None:
        return watch_page(request, error=f"no such step {step!r}", status=404)
    try:
        await _checked_form(request, csrf, max_files=0)
        await run_in_threadpool(fn, store_of(request), p, alert_id)
    except WorkspaceError as exc:
        return watch_page(request, error=str(exc), status=exc.status)
    return RedirectResponse("/ws/watch", status_code=303)
