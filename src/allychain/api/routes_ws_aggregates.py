"""Published aggregates under ``/api/ws``: read (JSON or CSV), publish (stewards), list releases.

Routes are declared with :func:`allychain.api.routes_ws.route`, so each names its
action and the generated permission tests cover it.  The handlers only call
:mod:`allychain.workspace.publish`; disclosure control happens there.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from allychain.api.problems import PROBLEM_SCHEMA
from allychain.api.routes_ws import _json, caller, route, store_of
from allychain.workspace import publish as pub
from allychain.workspace.authz import Action, Principal

__all__: list[str] = []

_KIND = "capacity (item × country), inventory_days (item × member country) or sourcing (item × supplier country)"


def _csv(out: dict[str, Any]) -> Response:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["item", "country", "value", "status"])
    for r in out["rows"]:
        w.writerow([r["item"], r["country"], "" if r["value"] is None else repr(float(r["value"])), r["status"]])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"X-Allychain-Release": out["id"],
                             "Content-Disposition": f'attachment; filename="{out["kind"]}-{out["id"]}.csv"'})


@route("GET", "/aggregates/{kind}", Action.AGGREGATE_READ,
       summary="A published aggregate: rows {item, country, value, status}; value null where withheld",
       responses={200: {"content": {"text/csv": {}}}})
def get_aggregate(request: Request, kind: str, p: Principal | None = Depends(caller),
                  release: str | None = Query(None, description="A release id (default: the latest)"),
                  format: str | None = Query(None, pattern="^(json|csv)$",
                                             description="csv for text/csv (also chosen by Accept: text/csv)"),
                  ) -> Response:
    out = pub.aggregates(store_of(request), p, kind, release)
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    return _csv(out) if wants_csv else _json(out)


@route("POST", "/aggregates/{kind}/releases", Action.AGGREGATE_PUBLISH, status_code=201,
       responses={409: PROBLEM_SCHEMA, 422: PROBLEM_SCHEMA},
       summary="Publish the aggregate of the current submissions under disclosure control (stewards); "
               "409 if the release would be unsafe")
def publish_aggregate(request: Request, kind: str, p: Principal | None = Depends(caller),
                      period: str | None = Query(None, description="Capacity period or sourcing year"),
                      min_frequency: int = Query(3, ge=0, description="Fewer organisations: sensitive"),
                      p_percent: float = Query(10.0, alias="p", gt=0, le=100, description="p% rule, in percent"),
                      method: str = Query("auto", pattern="^(auto|pattern|optimal)$")) -> JSONResponse:
    from allychain.disclosure import PrimaryRules

    out = pub.publish(store_of(request), p, kind, period=period,
                      rules=PrimaryRules(min_frequency=min_frequency, p=p_percent), method=method)
    return _json(out, 201, {"Location": f"/api/ws/aggregates/{kind}?release={out['id']}"})


@route("GET", "/releases", Action.RELEASE_LIST, summary="Releases of aggregates, oldest first")
def releases(request: Request, p: Principal | None = Depends(caller),
             kind: str | None = Query(None, description=_KIND)) -> JSONResponse:
    return _json(pub.list_releases(store_of(request), p, kind))


@route("GET", "/analysis/dependencies", Action.AGGREGATE_READ,
       summary="Members' dependencies from public shares beside their pooled sourcing (published aggregate only)")
def pooled_dependencies(request: Request, p: Principal | None = Depends(caller),
                        members: str | None = Query(None, description="Member countries (default: the server's)"),
                        ) -> JSONResponse:
    from allychain.workspace.pooled import pooled_dependencies as pooled

    state = request.app.state.allychain
    return _json(pooled(store_of(request), p, state.network, members or state.members))
