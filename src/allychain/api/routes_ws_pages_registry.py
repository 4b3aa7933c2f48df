"""Dashboard pages of the instruments under ``/ws/``: the agreements registry with the gap list,
incidents with their timeline and allocation chart, dialogue series with overdue action items.

Read-only, server-rendered pages over the same service functions (and permission checks)
as the REST API; registered on :data:`allychain.api.routes_ws_pages.pages`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from allychain.api.routes_ws import store_of
from allychain.api.routes_ws_pages import _ctx, _render, _session, _to_login, pages
from allychain.errors import AuthenticationError, WorkspaceError
from allychain.workspace import agreements, dialogues, incidents

__all__: list[str] = []


def _allocation_svg(members: list[dict[str, Any]]) -> str | None:
    """The allocation chart (received vs unmet per member and item) as inline SVG markup."""
    import pandas as pd

    from allychain.report.decision_charts import allocation_chart

    if not members:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = allocation_chart(pd.DataFrame(members), Path(tmp) / "allocation.svg")
        text = path.read_text(encoding="utf-8")
    return text[text.index("<svg"):]


@pages.get("/agreements")
def agreements_page(request: Request, members: str | None = None) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    state = request.app.state.allychain
    try:
        rows = agreements.list_agreements(store_of(request), p)
        gap = agreements.gaps(store_of(request), p, state.network, members or state.members, include_covered=True)
    except WorkspaceError as exc:
        return _render("ws_base.html", exc.status, title="Agreements", error=str(exc), **_ctx(p, csrf))
    return _render("ws_agreements.html", title="Agreements", rows=rows, gap=gap, **_ctx(p, csrf))


@pages.get("/incidents")
def incidents_page(request: Request) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    try:
        rows = incidents.list_incidents(store_of(request), p)
    except WorkspaceError as exc:
        return _render("ws_base.html", exc.status, title="Incidents", error=str(exc), **_ctx(p, csrf))
    return _render("ws_incidents.html", title="Incidents", rows=rows, **_ctx(p, csrf))


@pages.get("/incidents/{inc_id}")
def incident_page(request: Request, inc_id: str) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    try:
        inc = incidents.get_incident(store_of(request), p, inc_id)
    except WorkspaceError as exc:
        return _render("ws_base.html", exc.status, title="Incident", error=str(exc), **_ctx(p, csrf))
    last = {e["kind"]: e for e in inc["timeline"]}
    alloc = (last.get("allocation") or {}).get("result")
    return _render("ws_incident.html", title=f"Incident {inc_id}", inc=inc, alloc=alloc,
                   expected=(last.get("assessment") or {}).get("expected"),
                   chart=_allocation_svg(alloc["members"]) if alloc else None, **_ctx(p, csrf))


@pages.get("/dialogues/{series_id}")
def dialogue_page(request: Request, series_id: str) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    try:
        series = dialogues.get_series(store_of(request), p, series_id)
        latest = series["meetings"][-1]["id"] if series["meetings"] else None
        since = dialogues.since_last_meeting(store_of(request), p, latest) if latest else None
    except WorkspaceError as exc:
        return _render("ws_base.html", exc.status, title="Dialogue", error=str(exc), **_ctx(p, csrf))
    return _render("ws_dialogue.html", title=series["name"], s=series, since=since, **_ctx(p, csrf))
