"""Alerts on indicator series linked to the chain: which members and nodes an alert exposes.

For an alert on items *I* (:func:`allychain.watch.alerts.scan`) and each member *m*:

* *required*: an item of *I* is in the requirement closure of what *m* produces, through
  all tiers (:func:`allychain.analysis.dependencies`);
* *origin*: the country whose supply moved — the partner of an import series (the
  supplier), the reporter of an export series; none for a reporter's total (``WLD``);
* *destination*: the country a bilateral series' flow goes to — the reporter of an import
  series from a named partner, the partner of an export series to a named partner; none
  for a total (no partner, ``WLD``);
* status ``exposed`` when *m* needs the item and either *m* is the destination (its own
  imports moved), *m* is the reporter of an import total, or the series has no destination
  and the origin holds a known share > 0 of the item; ``not_exposed`` when *m* does not
  need the item, is the origin itself, or the origin holds no share; ``not_destination``
  when the series is bilateral and *m* is not its destination: the series does not measure
  *m*'s own supply (not assessed from it), and indirect effects (through the destination's
  output) are not assessed; ``not_assessable`` when the origin's share is unknown or the
  series names no supplier — never "no risk".

``members_exposed`` lists the exposed members, ``nodes`` the site-level nodes that make,
consume or depend on the items, ``downstream`` the items that need them (all tiers).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from allychain.model.network import Network
from allychain.services.watch import (
    DEFAULT_MEMBERS,
    _nodes,
    _origin_share,
    downstream,
    not_destination_reason,
    share_status,
)

__all__ = ["link_alert", "link_alerts", "origin_of", "destination_of"]

log = logging.getLogger(__name__)


def origin_of(alert: Any) -> list[str]:
    """The country whose supply the alert is about (empty for a reporter's total)."""
    if alert.flow == "export":
        return [alert.reporter]
    if alert.partner and alert.partner != "WLD":
        return [alert.partner]
    return []


def destination_of(alert: Any) -> list[str]:
    """The country a bilateral series' flow goes to: the reporter of imports from a named partner, the partner
    of exports to one; empty for a total (no partner or ``WLD``) and for flows other than imports and exports."""
    if not alert.partner or alert.partner == "WLD":
        return []
    return [alert.reporter] if alert.flow == "import" else [alert.partner] if alert.flow == "export" else []


def _status(m: str, required: bool, share: float, origin: list[str], dest: list[str],
            alert: Any) -> tuple[str, str]:
    if not required:
        return "not_exposed", "the member's production does not need the item (per the network's relations)"
    if m in origin:
        return "not_exposed", "the member is the origin of the supply that moved"
    if m in dest or (alert.flow == "import" and alert.reporter == m):
        return "exposed", "the member's own imports of the item moved; it needs the item"
    if dest:
        what = ("imports of the item from" if alert.flow == "import" else "exports of the item to")
        return "not_destination", not_destination_reason(
            f"the series measures {alert.reporter}'s {what} {alert.partner} only",
            "the member's own supply of the item is not measured by it and was not assessed", dest)
    if not origin:
        return "not_assessable", "the series names no supplying country; the item is needed"
    return share_status(share)


def _coverage(alert: Any, items: list[str], rows: list[dict[str, Any]], dest: list[str]) -> str:
    if not items:
        return "the series names no item of this network: exposure not assessable"
    parts = []
    other = sorted({r["member"] for r in rows if r["status"] == "not_destination"})
    if other:
        parts.append(f"a bilateral series ({alert.reporter} {alert.flow}s, partner {alert.partner}): it concerns "
                     f"{', '.join(dest)} only; {', '.join(other)} not assessed from it (their own supply is not "
                     "measured by it; indirect effects through the destination's output not assessed)")
    na = sorted({r["member"] for r in rows if r["status"] == "not_assessable"})
    if na:
        parts.append(f"not assessable for {', '.join(na)} (the supplier or its share of the item is unknown)")
    return "; ".join(parts) or "every member assessed for the linked items"


def link_alert(n: Network, alert: Any, members: str | Iterable[str] | None = None,
               deps: dict[str, Any] | None = None) -> dict[str, Any]:
    """The alert as a JSON-ready dict with ``members_exposed``, ``exposure``, ``destinations``, ``coverage``,
    ``nodes`` and ``downstream``.

    ``destinations`` is the country a bilateral series' flow goes to (:func:`destination_of`;
    empty for a total); ``coverage`` says what was not assessed (members a bilateral series does
    not concern, members not assessable).

    Parameters
    ----------
    n
        The network (its items are the alert's ``item_ids``).
    alert
        An :class:`~allychain.watch.alerts.Alert`.
    members
        Members to assess (codes, names, an alliance id; default KOR, NLD).
    deps
        A cache of dependency tables per member (filled here; pass one dict for many alerts).
    """
    from allychain.analysis import dependencies
    from allychain.model.members import resolve_members

    mem = resolve_members(list(members) if members is not None and not isinstance(members, str) else
                          (members or ",".join(DEFAULT_MEMBERS)), n)
    known = set(n.items["item_id"].astype(str))
    if len(n.nodes):   # the products of a site-level network's nodes are its items
        known |= set(n.nodes["product"].astype(str))
    items = [i for i in alert.item_ids if i in known]
    origin = origin_of(alert)
    dest = destination_of(alert)
    deps = {} if deps is None else deps
    # the origin's share of an item is the same for every member: one share snapshot per item
    shares = {i: _origin_share(n, i, origin, []) if origin else float("nan") for i in items}
    rows = []
    for m in mem:
        if m not in deps:
            deps[m] = dependencies(n, [m]).set_index("item_id")
        dep = deps[m]
        for i in items:
            d = dep.loc[i] if i in dep.index else None
            required = bool(d is not None and d["required"])
            share = shares[i]
            status, reason = _status(m, required, share, origin, dest, alert)
            rows.append({"member": m, "item_id": i, "required": required,
                         "tier": None if d is None or d["tier"] != d["tier"] else int(d["tier"]),
                         "via": d["via"] if d is not None and isinstance(d["via"], str) else None,
                         "origin": origin, "origin_share": None if math.isnan(share) else share,
                         "status": status, "reason": reason})
    down = downstream(n, items) if items else []
    out = alert.to_dict()
    out.update({"members": mem, "destinations": dest, "exposure": rows,
                "members_exposed": sorted({r["member"] for r in rows if r["status"] == "exposed"}),
                "not_linked": [i for i in alert.item_ids if i not in known],
                "downstream": down, "nodes": _nodes(n, items, [d["item_id"] for d in down], None),
                "coverage": _coverage(alert, items, rows, dest)})
    return out


def link_alerts(n: Network, alerts: Iterable[Any], members: str | Iterable[str] | None = None) -> list[dict]:
    """:func:`link_alert` for each alert (dependencies computed once per member)."""
    cache: dict[str, Any] = {}
    return [link_alert(n, a, members, cache) for a in alerts]
