"""Events linked to the chain: which members and which parts of the network an event exposes.

For an event on items *I* (see :func:`allychain.watch.extract`) and each member *m*:

* *required*: the item is in the requirement closure of what *m* produces, through all
  tiers (:func:`allychain.analysis.dependencies` with ``items=I``: tier and chain);
* *origin*: the countries whose supply the event touches — the imposing countries of an
  export measure (export control, licence requirement, sanction, lifting), the
  locations of a disruption or market event; firms named in the event count at firm
  level;
* *origin share* s_o = Σ known shares of the origin providers in the item (percent); in a
  site-level network without share rows, the origin's share of the capacity of the nodes
  making the item;
* *destinations*: the targeted countries of an export measure — the measure restricts
  supply to those destinations only; none named means all destinations;
* status ``exposed`` when the item is required and either *m* is a destination of the
  measure or the measure goes to all destinations and s_o > 0; ``not_exposed`` when the
  item is not required, the member is the origin itself or s_o = 0; ``not_destination``
  when the measure names destinations and *m* is not one of them: its own supply is not
  restricted, and indirect effects (through a destination's output it buys) are not
  assessed; ``not_assessable`` when the origin's share is unknown (or the event names no
  origin) — never "no risk".

``downstream`` lists the items that need the event's items, tier by tier (the reverse
requirement closure); ``nodes`` the site-level nodes that make or consume them.
:func:`incident_draft` turns a linked event into the fields a workspace incident
needs (a hook for the workspace; opening incidents is the workspace's job).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from allychain.model.network import Network

__all__ = ["link_event", "link_events", "extract_and_link", "incident_draft", "downstream", "share_status",
           "destinations", "not_destination_reason", "EXPORT_MEASURES", "STATUSES"]

log = logging.getLogger(__name__)

#: Measures whose imposing countries are where the touched supply comes from
EXPORT_MEASURES = frozenset({"export_control", "licence_requirement", "sanction", "lifting_of_measure"})
DEFAULT_MEMBERS = ("KOR", "NLD")
#: The verdicts of a member-item pair, for events and series alerts (only ``exposed`` lists a member as exposed)
STATUSES = ("exposed", "not_exposed", "not_destination", "not_assessable")


def downstream(n: Network, items: Iterable[str]) -> list[dict[str, Any]]:
    """Items that need ``items``, through all tiers: ``item_id``, ``name``, ``tier`` (1 = direct user), ``via``."""
    from allychain.analysis import requirement_graph

    g = requirement_graph(n)
    users: dict[str, list[str]] = {}
    for target, inputs in g.inputs.items():
        for i in inputs:
            users.setdefault(i, []).append(target)
    names = n.item_names()
    start = [str(i) for i in items]
    tier: dict[str, int] = {}
    via: dict[str, str] = {}
    dq: deque[str] = deque()
    for s in start:
        for c in [s, *g.categories.get(s, ())]:  # needing a category needs its variants
            for u in users.get(c, ()):
                if u not in tier and u not in start:
                    tier[u], via[u] = 1, c
                    dq.append(u)
    while dq:
        x = dq.popleft()
        for c in [x, *g.categories.get(x, ())]:
            for u in users.get(c, ()):
                if u not in tier and u not in start:
                    tier[u], via[u] = tier[x] + 1, x
                    dq.append(u)
    return [{"item_id": i, "name": names.get(i, i), "tier": t, "via": via[i]}
            for i, t in sorted(tier.items(), key=lambda kv: (kv[1], kv[0]))]


def _origin(event: Any) -> tuple[list[str], list[str]]:
    """(origin countries, origin firms) of an event."""
    countries = [m.id for m in (event.imposing if event.type in EXPORT_MEASURES else event.locations)]
    return countries, [m.id for m in event.firms]


def destinations(event: Any) -> list[str]:
    """The countries an export measure restricts supply to: its targeted countries, in order.

    Empty for a measure to all destinations (none targeted) and for events that are not
    export measures (:data:`EXPORT_MEASURES`): their reach is not limited to named destinations.
    """
    if event.type not in EXPORT_MEASURES:
        return []
    return list(dict.fromkeys(m.id for m in event.targeted))


def _origin_share(n: Network, item: str, countries: list[str], firms: list[str]) -> float:
    from allychain.model.views import share_snapshot

    vals = []
    for level, ids in (("country", countries), ("firm", firms)):
        if not ids:
            continue
        # the latest year holding a known share: a newer year that only names suppliers (Korea's HF makers
        # of 2020) must not hide the older figures (as in the analyses and the flow network)
        s = share_snapshot(n, level=level, prefer_known=True)
        of_item = s[s["item_id"] == item]
        rows = of_item[of_item["provider_id"].isin(ids)]
        known = rows["share"].dropna()
        if len(known):
            vals.append(float(known.sum()))
        elif rows.empty and of_item["share"].notna().all() and of_item["share"].sum() >= 99.5:
            vals.append(0.0)  # every supplier is listed with a known share, and the origin is not among them
    if not vals and len(n.nodes):
        vals.extend(_capacity_share(n, item, countries, firms))
    return max(vals) if vals else float("nan")


def _capacity_share(n: Network, item: str, countries: list[str], firms: list[str]) -> list[float]:
    """Site-level networks: the origin's share of the capacity of the nodes making ``item`` (percent)."""
    nd = n.nodes[n.nodes["product"].astype(str) == item]
    cap = pd.to_numeric(nd["capacity"], errors="coerce")
    if nd.empty or cap.isna().any() or cap.sum() <= 0:
        return []
    mine = nd["country"].isin(countries) | nd["firm"].isin(firms)
    return [float(100.0 * cap[mine].sum() / cap.sum())]


def link_event(n: Network, event: Any, members: str | Iterable[str] | None = None) -> dict[str, Any]:
    """The event with its exposure per member and item, downstream items and site nodes.

    Parameters
    ----------
    n
        The network the event was extracted against.
    event
        An :class:`~allychain.watch.events.Event`.
    members
        Members to assess (codes, names, an alliance id; default KOR, NLD).

    Returns
    -------
    dict
        ``event`` (as :meth:`Event.to_dict`), ``members``, ``exposure`` (rows: member,
        item_id, item_name, required, tier, via, origin, origin_share (percent),
        status (one of :data:`STATUSES`), reason), ``destinations`` (the countries an
        export measure restricts supply to; empty: all destinations, or not an export
        measure), ``exposed_members``, ``downstream``, ``nodes``, ``coverage``.
    """
    from allychain.analysis import dependencies
    from allychain.model.members import resolve_members

    mem = resolve_members(list(members) if members is not None and not isinstance(members, str) else
                          (members or ",".join(DEFAULT_MEMBERS)), n)
    items = event.item_ids
    countries, firms = _origin(event)
    dest = destinations(event)
    names = n.item_names()
    shares = {i: _origin_share(n, i, countries, firms) for i in items}  # the same for every member
    rows: list[dict[str, Any]] = []
    for m in mem:
        dep = dependencies(n, [m], items=items).set_index("item_id") if items else None
        for i in items:
            d = dep.loc[i] if dep is not None and i in dep.index else None
            required = bool(d is not None and d["required"])
            share = shares[i]
            status, reason = _status(m, required, share, countries, firms, dest)
            rows.append({"member": m, "item_id": i, "item_name": names.get(i, i), "required": required,
                         "tier": None if d is None or pd.isna(d["tier"]) else int(d["tier"]),
                         "via": None if d is None or not isinstance(d["via"], str) else d["via"],
                         "origin": countries + firms, "origin_share": None if np.isnan(share) else share,
                         "status": status, "reason": reason})
        if not items and m in dest:
            rows.append({"member": m, "item_id": None, "item_name": None, "required": None, "tier": None,
                         "via": None, "origin": countries, "origin_share": None, "status": "exposed",
                         "reason": "the member is targeted by the measure (no item named)"})
    down = downstream(n, items) if items else []
    return {"event": event.to_dict(), "members": mem, "destinations": dest, "exposure": rows,
            "exposed_members": sorted({r["member"] for r in rows if r["status"] == "exposed"}),
            "downstream": down, "nodes": _nodes(n, items, [d["item_id"] for d in down], event),
            "coverage": _coverage(event, rows, dest)}


def _status(m: str, required: bool, share: float, countries: list[str], firms: list[str],
            dest: list[str]) -> tuple[str, str]:
    if m in dest and required:
        return "exposed", "the member is targeted by the measure and needs the item"
    if not required:
        return "not_exposed", "the member's production does not need the item (per the network's relations)"
    if m in countries:
        return "not_exposed", "the member is the origin of the touched supply"
    if dest:
        return "not_destination", not_destination_reason(f"the measure restricts exports to {', '.join(dest)} only",
                                                         "the member's own imports of the item are not restricted by it", dest)
    if not countries and not firms:
        return "not_assessable", "the event names no origin country or firm; the item is needed"
    return share_status(share)


def not_destination_reason(scope: str, own: str, dest: list[str]) -> str:
    """The reason of a ``not_destination`` verdict: what the event or series covers, what that means for the
    member's own supply, and that indirect effects were not assessed."""
    return (f"{scope}: {own}; indirect effects (through goods made with the item in {', '.join(dest)} "
            "that the member buys) are not assessed")


def share_status(share: float) -> tuple[str, str]:
    """The verdict for a member that needs an item, from the origin's share of the item (percent):
    unknown is not assessable, none is not exposed, any is exposed — for events and series alerts."""
    if np.isnan(share):
        return "not_assessable", "the origin's share of the item is unknown; the item is needed"
    if share <= 0:
        return "not_exposed", "the origin holds no share of the item"
    return "exposed", f"needed; the origin supplies {share:.3g} % of the item"


def _nodes(n: Network, items: list[str], down: list[str], event: Any) -> list[dict[str, Any]]:
    if not len(n.nodes):
        return []
    hit = set(items)
    nd = n.nodes
    out = []
    bom = n.bom
    consumers = set(bom.loc[bom["input_product"].astype(str).isin(hit), "node_id"].astype(str)) if len(bom) else set()
    for rec in nd.to_dict("records"):
        nid, product = str(rec.get("node_id")), str(rec.get("product"))
        role = ("makes" if product in hit else "consumes" if nid in consumers else
                "downstream" if product in set(down) else None)
        if role:
            out.append({"node_id": nid, "product": product, "country": _text(rec.get("country")),
                        "firm": _text(rec.get("firm")), "role": role})
    return out


def _text(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)


def _coverage(event: Any, rows: list[dict[str, Any]], dest: list[str]) -> str:
    unl = [m.text for m in event.unlinked]
    parts = []
    if not event.item_ids:
        parts.append("the event names no item of the network: exposure cannot be assessed by item")
    if unl:
        parts.append(f"not linked to the network: {', '.join(dict.fromkeys(unl))}")
    other = sorted({r["member"] for r in rows if r["status"] == "not_destination"})
    if other:
        parts.append(f"the measure restricts exports to {', '.join(dest)} only: {', '.join(other)} assessed for "
                     "their own supply only (not restricted), indirect effects through the destinations' output "
                     "not assessed")
    na = sum(r["status"] == "not_assessable" for r in rows)
    if na:
        parts.append(f"{na} member-item pair(s) not assessable")
    return "; ".join(parts) or "all named items linked and assessed"


def link_events(n: Network, events: Iterable[Any], members: str | Iterable[str] | None = None) -> list[dict[str, Any]]:
    """:func:`link_event` for each event."""
    return [link_event(n, e, members) for e in events]


def extract_and_link(n: Network, text: str, date: str | None = None, members: str | Iterable[str] | None = None,
                     document: str | None = None, language: str = "en") -> dict[str, Any]:
    """Extract the events of one text and link each (the answer of the API and ``watch extract --link``)."""
    from allychain.watch import extract

    x = extract(n, text, date=date, language=language, document=document)
    out = x.to_dict()
    out["linked"] = link_events(n, x.events, members)
    return out


def incident_draft(linked: dict[str, Any]) -> dict[str, Any]:
    """The fields of a workspace incident for a linked event: title, type, dates, items, the destinations an
    export measure restricts, exposed members, what was not assessed (``coverage``) and the source spans as
    evidence.  The workspace opens the incident (and audits it)."""
    ev = linked["event"]
    items = ", ".join(ev["item_ids"] + ev["unlinked_names"]) or "unnamed items"
    where = ", ".join(ev["imposing_ids"] or ev["location_ids"]) or "unknown origin"
    dest = list(linked.get("destinations") or [])
    if dest:
        where += f" → {', '.join(dest)}"
    return {"title": f"{ev['type'].replace('_', ' ')}: {items} ({where})", "event_type": ev["type"],
            "announced": ev["announced_date"], "effective": ev["effective_date"], "items": ev["item_ids"],
            "destinations": dest, "exposed_members": linked["exposed_members"], "coverage": linked.get("coverage"),
            "document": ev["document"],
            "evidence": [{"field": k, "text": ev[k]["text"], "start": ev[k]["start"], "end": ev[k]["end"]}
                         for k in ("trigger", "announced", "effective") if ev.get(k)]
            + [{"field": "item", "text": m["text"], "start": m["start"], "end": m["end"]} for m in ev["items"]]}
