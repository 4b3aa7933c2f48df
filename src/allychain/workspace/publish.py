"""Published aggregates of members' submissions, under disclosure control.

The only way members' confidential figures leave the workspace: :func:`publish` reads
the current submissions of one kind (server side, audited), builds the aggregate table
with row, column and grand totals, protects it with :mod:`allychain.disclosure` jointly
with every earlier release of the same table (the release log lives in the ``releases``
table), audits it and stores the release — with the submission versions it used — in
the same transaction as its audit record.  An unsafe release is refused
(:class:`~allychain.errors.DisclosureError`) and the refusal is audited.

Aggregates (``kind``):

``capacity``
    Capacity by item × country (where the capacity is), summed over organisations, per
    month (``…/year`` figures are divided by 12), for one period (default: the latest).
``inventory_days``
    Days of inventory by item × member country (the submitting organisation's country):
    the mean over organisations of each organisation's days (its sites averaged; the
    latest count per site).  Protected as the table of *sums* of days, so an attacker who
    knows how many organisations contributed learns nothing more.
``sourcing``
    Share of members' purchases of an item coming from each supplier country (percent),
    for one year (default: the latest): the mean over the organisations that reported
    sourcing of the item; protected as the table of sums of shares.

Published rows: ``{item, country, value, status}`` with ``status`` ``published`` or
``suppressed`` (``value`` null; primary and secondary suppressions look the same) and
``_total`` rows for totals.  Cells nobody contributed to are left out (unknown, not zero).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

from allychain.errors import DataError, DisclosureError, NotFound
from allychain.store import Store
from allychain.store.models import Release as ReleaseRow
from allychain.store.models import utcnow
from allychain.workspace import audit, submissions
from allychain.workspace.authz import Action, Principal, Scope, authorize, scope_of
from allychain.workspace.guard import audited_refusals

__all__ = ["AGGREGATES", "publish", "aggregates", "list_releases"]

log = logging.getLogger(__name__)

#: aggregate kind → (submission kind, what the value is)
AGGREGATES: dict[str, tuple[str, str]] = {
    "capacity": ("capacity", "capacity per month, summed over organisations"),
    "inventory_days": ("inventory", "days of inventory, mean over organisations"),
    "sourcing": ("sourcing", "percent of purchases from the supplier country, mean over organisations"),
}
TOTAL = "_total"


def _capacity(rows: Any, period: str | None) -> tuple[Any, str, dict[str, Any]]:
    import pandas as pd

    if period is None:
        period = str(rows["period"].astype(str).max())
    r = rows[rows["period"].astype(str) == period].copy()
    per_year = r["unit"].astype(str).str.endswith("/year")
    r.loc[per_year, "value"] = r.loc[per_year, "value"].astype(float) / 12.0
    r["unit"] = r["unit"].astype(str).str.replace("/year", "/month", regex=False)
    units = r.groupby("item")["unit"].unique()
    mixed = units[units.map(len) > 1]
    if len(mixed):
        item = str(mixed.index[0])
        raise DataError(f"capacity of item {item!r} is submitted in several units ({', '.join(sorted(mixed[item]))}); "
                        "they cannot be added", column="unit", value=item)
    contrib = pd.DataFrame({"item": r["item"].astype(str), "country": r["country"].astype(str),
                            "organisation": r["organisation"].astype(str), "value": r["value"].astype(float)})
    return contrib, f"capacity:{period}", {"period": period, "units": {str(k): str(v[0]) for k, v in units.items()}}


def _inventory(rows: Any) -> tuple[Any, str, dict[str, Any]]:
    import pandas as pd

    r = rows[rows["days"].notna() & rows["organisation_country"].notna()].copy()
    r["site"] = r["site"].fillna("")
    r = r.sort_values("date").groupby(["organisation", "item", "country", "site"], as_index=False).last()
    per_org = r.groupby(["item", "organisation_country", "organisation"], as_index=False)["days"].mean()
    contrib = pd.DataFrame({"item": per_org["item"].astype(str), "country": per_org["organisation_country"].astype(str),
                            "organisation": per_org["organisation"].astype(str),
                            "value": per_org["days"].astype(float)})
    return contrib, "inventory_days", {"unit": "days", "statistic": "mean over organisations"}


def _sourcing(rows: Any, year: str | None) -> tuple[Any, str, dict[str, Any]]:
    import pandas as pd

    if year is None:
        year = str(int(rows["year"].max()))
    r = rows[rows["year"].astype(int).astype(str) == str(year)]
    buyers = r.groupby("item")["organisation"].nunique()  # every organisation that reported the item
    r = r[r["supplier_kind"] == "country"]
    contrib = pd.DataFrame({"item": r["item"].astype(str), "country": r["supplier"].astype(str),
                            "organisation": r["organisation"].astype(str), "value": r["share"].astype(float)})
    return contrib, f"sourcing:{year}", {"year": str(year), "unit": "percent", "statistic": "mean over organisations",
                                         "_buyers": {str(k): int(v) for k, v in buyers.items()}}


def _denominators(kind: str, contrib: Any, cells: Any, info: dict[str, Any]) -> list[float] | None:
    """Per cell, what the sum is divided by (None for sums)."""
    if kind == "capacity":
        return None
    if kind == "sourcing":
        n_item = info.pop("_buyers")
        total = float(sum(n_item[i] for i in set(contrib["item"])))
        return [total if it == TOTAL else float(n_item.get(it, 0)) for it in cells["item"]]
    pairs = contrib.groupby(["item", "country"])["organisation"].nunique()
    by_item = pairs.groupby(level=0).sum()
    by_country = pairs.groupby(level=1).sum()
    out = []
    for it, co in zip(cells["item"], cells["country"], strict=True):
        if it == TOTAL and co == TOTAL:
            out.append(float(pairs.sum()))
        elif it == TOTAL:
            out.append(float(by_country.get(co, 0)))
        elif co == TOTAL:
            out.append(float(by_item.get(it, 0)))
        else:
            out.append(float(pairs.get((it, co), 0)))
    return out


def _rows(rel: Any, den: list[float] | None) -> list[dict[str, Any]]:
    c = rel.cells
    out = []
    for k, (it, co, v, n, st) in enumerate(zip(c["item"], c["country"], c["value"], c["contributors"], c["status"],
                                              strict=True)):
        if n == 0 and it != TOTAL and co != TOTAL:
            continue  # nobody contributed: not covered (not zero)
        value = None
        if st == "published":
            value = float(v) if den is None else (float(v) / den[k] if den[k] else None)
        out.append({"item": str(it), "country": str(co), "value": value, "status": str(st)})
    return out


def _digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


@audited_refusals(Action.AGGREGATE_PUBLISH)
def publish(store: Store, p: Principal | None, kind: str, *, period: str | None = None, rules: Any = None,
            method: str = "auto") -> dict[str, Any]:
    """Protect, audit and publish the aggregate ``kind`` of the current submissions.

    Parameters
    ----------
    kind
        ``capacity``, ``inventory_days`` or ``sourcing`` (see the module docstring).
    period
        Capacity period or sourcing year (default: the latest submitted).
    rules
        :class:`allychain.disclosure.PrimaryRules` (default: frequency 3, p% with p = 10).
    method
        Secondary suppression method (see :func:`allychain.disclosure.release`).

    Returns
    -------
    dict
        The release's metadata and its published ``rows``.

    Raises
    ------
    DisclosureError
        The table could not be protected (nothing is published; the refusal is audited).
    DataError
        No current submissions, or figures that cannot be added (mixed units).
    """
    from allychain.disclosure import PrimaryRules, ReleaseLog, margin_table, release
    from allychain.disclosure import Release as LogEntry

    authorize(p, Action.AGGREGATE_PUBLISH)
    assert p is not None
    if kind not in AGGREGATES:
        raise NotFound(f"no aggregate {kind!r}; expected one of {', '.join(AGGREGATES)}")
    rows = submissions.current_rows(store, p, AGGREGATES[kind][0])
    if not len(rows):
        raise DataError(f"there are no current {AGGREGATES[kind][0]} submissions to publish")
    if kind == "capacity":
        contrib, table_name, info = _capacity(rows, period)
    elif kind == "inventory_days":
        contrib, table_name, info = _inventory(rows)
    else:
        contrib, table_name, info = _sourcing(rows, period)
    if not len(contrib):
        raise DataError(f"no {kind} figures to publish for {table_name}")
    rules = rules or PrimaryRules()
    table = margin_table(contrib, rules, name=table_name)
    den = _denominators(kind, contrib, table.cells, info)
    used = rows[["submission_id", "version"]].drop_duplicates()
    sources = [{"submission": str(s), "version": int(v)} for s, v in used.itertuples(index=False)]
    with store.transaction() as repo:
        earlier = repo.releases(table=table_name)
        log_ = ReleaseLog(tuple(LogEntry.from_dict(json.loads(r.record)) for r in earlier))
    try:
        rel, report = release(table, log_, method=method, release_id=f"r{len(earlier) + 1}",
                              meta={"kind": kind, "organisations": int(contrib["organisation"].nunique()),
                                    "submissions": len(sources)})
    except DisclosureError as exc:
        audit.record_alone(store, p, Action.AGGREGATE_PUBLISH, outcome="refused", object_id=table_name,
                           reason=str(exc)[:300])
        raise
    out_rows = _rows(rel, den)
    digest = _digest(out_rows)
    rid = f"rel-{secrets.token_hex(6)}"
    summary = {k: rel.meta[k] for k in ("rules", "method", "objective", "cells", "sensitive", "suppressed",
                                        "organisations", "submissions", "audit", "linked_releases")}
    summary.update({k: v for k, v in info.items() if not k.startswith("_")})
    with store.transaction() as repo:
        row = ReleaseRow(id=rid, kind=kind, table=table_name, seq=len(earlier) + 1, created_at=utcnow(),
                         created_by=p.user_id, digest=digest, summary=json.dumps(summary),
                         sources=json.dumps(sources), published=json.dumps(out_rows),
                         record=json.dumps(rel.to_dict()))
        repo.add_release(row)
        audit.record(repo, p, Action.AGGREGATE_PUBLISH, object_type="release", object_id=rid, digest=digest,
                     kind=kind, table=table_name, seq=row.seq, cells=summary["cells"],
                     suppressed=summary["suppressed"], organisations=summary["organisations"],
                     linked=len(earlier), rules=summary["rules"], method=summary["method"],
                     verdict=summary["audit"])
        meta = _meta(row, sources=True)
    log.info("published %s as %s: %s", table_name, rid, report.summary())
    return {**meta, "rows": out_rows}


def _meta(r: ReleaseRow, sources: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id, "kind": r.kind, "table": r.table, "seq": r.seq,
                           "created_at": r.created_at.isoformat(), "digest": r.digest, **json.loads(r.summary)}
    if sources:
        out["sources"] = json.loads(r.sources)
    return out


def aggregates(store: Store, p: Principal | None, kind: str, release_id: str | None = None) -> dict[str, Any]:
    """The latest published release of ``kind`` (or release ``release_id``) with its rows."""
    authorize(p, Action.AGGREGATE_READ)
    if kind not in AGGREGATES:
        raise NotFound(f"no aggregate {kind!r}; expected one of {', '.join(AGGREGATES)}")
    with store.transaction() as repo:
        if release_id is not None:
            r = repo.get_release(release_id)
            if r is None or r.kind != kind:
                raise NotFound(f"no release {release_id} of {kind}")
        else:
            rs = repo.releases(kind=kind)
            if not rs:
                raise NotFound(f"nothing of {kind} has been published yet")
            r = rs[-1]
        return {**_meta(r, sources=False), "rows": json.loads(r.published)}


def list_releases(store: Store, p: Principal | None, kind: str | None = None) -> list[dict[str, Any]]:
    """Releases, oldest first; the submission versions used are shown to those who may publish."""
    authorize(p, Action.RELEASE_LIST)
    assert p is not None
    show = scope_of(p.roles, Action.AGGREGATE_PUBLISH) is not Scope.NONE
    with store.transaction() as repo:
        return [_meta(r, sources=show) for r in repo.releases(kind=kind)]
