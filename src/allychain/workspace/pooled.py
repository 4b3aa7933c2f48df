"""Analyses that use members' pooled figures — only through what disclosure control published.

:func:`pooled_dependencies` puts the public dependency analysis
(:func:`allychain.analysis.dependencies`, from market shares) beside what the members
themselves reported about where they buy (the latest published ``sourcing`` aggregate).
Every pooled figure is computed from the *published* release rows only — post-processing
of a protected table discloses nothing new — and each row says which figures rest on
pooled data (``basis``) and how many organisations the release pooled (never which).

Pooled columns (shares in percent of members' purchases of the item):

``pooled_top_foreign_country`` / ``pooled_top_foreign_share``
    The non-member supplier country with the largest *published* share.
``pooled_withheld_share``
    Share in cells withheld by disclosure control (the item total minus the published
    cells; null when the item total is withheld too).
``pooled_critical``
    True when a published non-member share reaches the critical threshold; False when
    no non-member country can (largest published share and the withheld remainder are
    both below it); null when withheld cells leave it open (not assessable).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from allychain.errors import NotFound
from allychain.store import Store
from allychain.workspace import publish
from allychain.workspace.authz import Action, Principal, authorize

__all__ = ["pooled_dependencies"]

TOTAL = "_total"


def _pooled_by_item(rows: list[dict[str, Any]], members: set[str], critical: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    items = {r["item"] for r in rows if r["item"] != TOTAL}
    for item in items:
        mine = [r for r in rows if r["item"] == item]
        total = next((r["value"] for r in mine if r["country"] == TOTAL), None)
        cells = [r for r in mine if r["country"] != TOTAL]
        shown = [r for r in cells if r["value"] is not None]
        foreign = [r for r in shown if r["country"] not in members]
        top = max(foreign, key=lambda r: r["value"], default=None)
        withheld = None if total is None else max(0.0, float(total) - sum(float(r["value"]) for r in shown))
        top_share = float(top["value"]) if top else 0.0
        if top_share >= critical:
            crit: bool | None = True
        elif withheld is not None and withheld < critical:
            crit = False
        else:
            crit = None
        out[item] = {"pooled_top_foreign_country": top["country"] if top else None,
                     "pooled_top_foreign_share": top_share if top else None,
                     "pooled_withheld_share": withheld, "pooled_critical": crit}
    return out


def pooled_dependencies(store: Store, p: Principal | None, network: Any, members: str | Iterable[str],
                        critical_share: float | None = None) -> dict[str, Any]:
    """The members' dependencies from public shares, beside the pooled sourcing of the latest release.

    Parameters
    ----------
    network
        The loaded network (public data).
    members
        Member countries (names or ISO codes, or an alliance id).
    critical_share
        Threshold in percent (default: the public analysis's, 65 %).

    Returns
    -------
    dict
        ``members``, ``release`` (id, table, organisations pooled — or null when nothing
        was published), and ``rows``: the public dependency columns plus the pooled columns
        and ``basis`` (``"public"`` or ``"public + pooled"``).
    """
    from allychain.analysis import dependencies
    from allychain.analysis.dependencies import CRITICAL_SHARE
    from allychain.model.members import resolve_members

    authorize(p, Action.AGGREGATE_READ)
    crit = CRITICAL_SHARE if critical_share is None else float(critical_share)
    mem = resolve_members(members, network)
    dep = dependencies(network, mem, critical_share=crit)
    try:
        rel = publish.aggregates(store, p, "sourcing")
    except NotFound:
        rel = None
    pooled = _pooled_by_item(rel["rows"], set(mem), crit) if rel else {}
    cols = ["pooled_top_foreign_country", "pooled_top_foreign_share", "pooled_withheld_share", "pooled_critical"]
    for c in cols:
        dep[c] = [pooled.get(str(i), {}).get(c) for i in dep["item_id"]]
    dep["basis"] = ["public + pooled" if str(i) in pooled else "public" for i in dep["item_id"]]
    rows = dep.astype(object).where(dep.notna(), None).to_dict(orient="records")
    info = None if rel is None else {"id": rel["id"], "table": rel["table"], "created_at": rel["created_at"],
                                     "organisations": rel["organisations"]}
    return {"members": mem, "critical_share": crit, "release": info, "rows": rows}
