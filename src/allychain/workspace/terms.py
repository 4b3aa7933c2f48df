"""An agreement's terms: validation of the record and its commitments as allocation bounds (pure).

An agreement (a memorandum of understanding on key items) is a mapping::

    title: Korea–Netherlands MOU on neon supply
    parties: [KOR, NLD]                 # ISO 3166 alpha-3 codes or workspace organisation ids
    signed: 2026-05-01
    valid_from: 2026-05-01              # default: signed
    valid_to: 2029-04-30                # optional (open-ended)
    items: [neon]                       # key items covered (item ids of the built-in dataset)
    source: "MOU text, Ministry of Trade, Industry and Energy, 2026"
    commitments:
      - item: neon
        from: KOR                       # supplying party
        to: NLD                         # receiving party
        min: 40                         # units per shortage period, and/or
        min_share: 0.25                 # fraction (0-1) of the supplier's available output of the item
        max: 80                         # optional ceilings: max [units], max_share [0-1]
        priority: 2                     # weight of the receiver's unmet need in the allocation (default 1)
        notice_days: 14                 # notice before deliveries start
        trigger: incident               # what counts as a shortage: "incident" (a declared incident on
                                        # the item) or "alert:<rule id>"

:func:`validate_terms` returns the normalised terms or raises :class:`InvalidRecord`
listing every problem (where, value, what was expected).  :func:`commitment_table`
turns commitments into the rows of an :class:`~allychain.optimize.allocation.AllocationPlan`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from allychain.errors import InvalidRecord

__all__ = ["validate_terms", "commitment_table", "commitment_name", "merge_arcs", "split_names", "check_inputs",
           "unknown_output", "TERM_KEYS", "COMMITMENT_KEYS"]

TERM_KEYS = ("title", "parties", "signed", "valid_from", "valid_to", "items", "source", "commitments", "notes")
COMMITMENT_KEYS = ("item", "from", "to", "min", "max", "min_share", "max_share", "priority", "notice_days",
                   "trigger", "unit", "name")
TRIGGER = re.compile(r"^(incident|alert:[A-Za-z0-9_.:-]{1,80})$")
SHARE_TOLERANCE = 1e-9


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, value: Any, expected: str) -> None:
        self.items.append(f"{where}: {value!r} — expected {expected}")


def _date(v: Any, where: str, probs: _Problems, required: bool) -> dt.date | None:
    if v is None or v == "":
        if required:
            probs.add(where, v, "a date (YYYY-MM-DD)")
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        probs.add(where, v, "a date (YYYY-MM-DD)")
        return None


def _num(v: Any, where: str, probs: _Problems, low: float = 0.0, high: float = math.inf,
         expected: str = "a number >= 0") -> float | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        probs.add(where, v, expected)
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        probs.add(where, v, expected)
        return None
    if not (low <= x <= high) or math.isnan(x):
        probs.add(where, v, expected)
        return None
    return x


def _party(code: Any, orgs: Iterable[str]) -> bool:
    from allychain.model.members import is_iso3

    return isinstance(code, str) and (code in set(orgs) or (code.isupper() and is_iso3(code)))


def commitment_name(agreement_id: str, index: int, c: Mapping[str, Any]) -> str:
    """The name a commitment carries in allocations and conflict reports."""
    return str(c.get("name") or f"{agreement_id}#{index + 1}")


def validate_terms(body: Mapping[str, Any], orgs: Iterable[str], items: Iterable[str]) -> dict[str, Any]:
    """Check an agreement's terms; return them normalised (JSON-ready).

    Parameters
    ----------
    body
        The terms (see the module docs).
    orgs
        Organisation ids of the workspace (parties may be these or ISO alpha-3 codes).
    items
        Item ids that may be named (the reference dataset's).

    Raises
    ------
    InvalidRecord
        With every problem: unknown keys, parties or items, reversed dates, commitments
        whose parties are not parties of the agreement, shares of one supplier's output of
        an item that add up to more than 100 %.
    """
    probs = _Problems()
    if not isinstance(body, Mapping):
        raise InvalidRecord("an agreement is a mapping of title, parties, signed, … (see docs/agreements.md)")
    orgs, known_items = set(orgs), set(items)
    for k in body:
        if k not in TERM_KEYS:
            probs.add(str(k), "(key)", f"one of {', '.join(TERM_KEYS)}")
    title = str(body.get("title") or "").strip()
    if not title or len(title) > 200:
        probs.add("title", body.get("title"), "a title of 1 to 200 characters")
    parties = body.get("parties")
    if not isinstance(parties, list) or len(parties) < 2:
        probs.add("parties", parties, "a list of at least two parties (ISO alpha-3 codes or organisation ids)")
        parties = parties if isinstance(parties, list) else []
    for i, party in enumerate(parties):
        if not _party(party, orgs):
            probs.add(f"parties[{i}]", party, "an ISO 3166 alpha-3 country code (KOR) or the id of an organisation "
                                             "of the workspace; this party is unknown")
    if len(set(map(str, parties))) != len(parties):
        probs.add("parties", parties, "each party once")
    signed = _date(body.get("signed"), "signed", probs, True)
    valid_from = _date(body.get("valid_from"), "valid_from", probs, False) or signed
    valid_to = _date(body.get("valid_to"), "valid_to", probs, False)
    if valid_from and valid_to and valid_to < valid_from:
        probs.add("valid_to", str(valid_to), f"a date on or after valid_from ({valid_from}): the dates are reversed")
    if signed and valid_to and valid_to < signed:
        probs.add("valid_to", str(valid_to), f"a date on or after the signing date ({signed}): the dates are reversed")
    covered = body.get("items")
    if not isinstance(covered, list) or not covered:
        probs.add("items", covered, "a list of the key items covered (item ids)")
        covered = []
    for i, item in enumerate(covered):
        if item not in known_items:
            probs.add(f"items[{i}]", item, "an item id of the built-in dataset (see `allychain data items`)")
    source = str(body.get("source") or "").strip()
    if not source:
        probs.add("source", body.get("source"), "the source document (title, publisher, year or address)")
    raw = body.get("commitments") or []
    if not isinstance(raw, list):
        probs.add("commitments", raw, "a list of commitments")
        raw = []
    comms = [_commitment(c, f"commitments[{i}]", set(map(str, parties)), set(map(str, covered)), probs)
             for i, c in enumerate(raw)]
    _shares(comms, probs)
    if probs.items:
        raise InvalidRecord(f"the agreement is invalid ({len(probs.items)} problem(s)); nothing stored: "
                            + "; ".join(probs.items), probs.items)
    return {"title": title, "parties": [str(x) for x in parties], "signed": str(signed),
            "valid_from": str(valid_from), "valid_to": str(valid_to) if valid_to else None,
            "items": [str(x) for x in covered], "source": source, "notes": str(body.get("notes") or ""),
            "commitments": comms}


def _commitment(c: Any, where: str, parties: set[str], covered: set[str], probs: _Problems) -> dict[str, Any]:
    if not isinstance(c, Mapping):
        probs.add(where, c, "a mapping with item, from, to and min and/or min_share")
        return {}
    for k in c:
        if k not in COMMITMENT_KEYS:
            probs.add(f"{where}.{k}", "(key)", f"one of {', '.join(COMMITMENT_KEYS)}")
    for key in ("from", "to"):
        if c.get(key) not in parties:
            probs.add(f"{where}.{key}", c.get(key), "a party of the agreement")
    if c.get("from") is not None and c.get("from") == c.get("to"):
        probs.add(f"{where}.to", c.get("to"), "a party other than the supplier")
    if c.get("item") not in covered:
        probs.add(f"{where}.item", c.get("item"), "one of the agreement's items")
    out: dict[str, Any] = {"item": c.get("item"), "from": c.get("from"), "to": c.get("to")}
    for key in ("min", "max"):
        out[key] = _num(c.get(key), f"{where}.{key}", probs, expected="units >= 0")
    for key in ("min_share", "max_share"):
        out[key] = _num(c.get(key), f"{where}.{key}", probs, 0.0, 1.0,
                        "a fraction of the supplier's output from 0 to 1 (0.25 = 25 %)")
    if out["min"] is None and out["min_share"] is None:
        probs.add(where, dict(c), "a minimum volume (min) and/or a minimum share (min_share)")
    for lo, hi in (("min", "max"), ("min_share", "max_share")):
        if out[lo] is not None and out[hi] is not None and out[hi] < out[lo]:
            probs.add(f"{where}.{hi}", out[hi], f"at least {lo} ({out[lo]:g})")
    out["priority"] = _num(c.get("priority"), f"{where}.priority", probs, expected="a priority weight >= 0")
    days = _num(c.get("notice_days"), f"{where}.notice_days", probs, 0, 3650, "whole days from 0 to 3650")
    out["notice_days"] = int(days) if days is not None else None
    trig = str(c.get("trigger") or "incident")
    if not TRIGGER.match(trig):
        probs.add(f"{where}.trigger", trig, "'incident' (a declared incident on the item) or 'alert:<rule id>'")
    out["trigger"] = trig
    out["unit"] = str(c.get("unit") or "units")
    if c.get("name"):
        out["name"] = str(c["name"])[:100]
    return out


def _shares(comms: list[dict[str, Any]], probs: _Problems) -> None:
    """The minimum shares one supplier commits of one item may not exceed its whole output."""
    total: dict[tuple[str, str], list[float]] = {}
    for c in comms:
        if c.get("min_share") is not None:
            total.setdefault((str(c["from"]), str(c["item"])), []).append(float(c["min_share"]))
    for (sup, item), shares in total.items():
        if sum(shares) > 1.0 + SHARE_TOLERANCE:
            parts = " + ".join(f"{100 * s:g} %" for s in shares)
            probs.add(f"commitments ({sup} → {item})", f"{parts} = {100 * sum(shares):g} %",
                      f"at most 100 % of {sup}'s output of {item} committed in total")


def commitment_table(agreements: Iterable[tuple[str, Mapping[str, Any]]]) -> Any:
    """Commitments of ``(agreement id, terms)`` pairs as allocation commitment rows.

    Returns
    -------
    pandas.DataFrame
        ``name, from, to, item, min, max, min_share, max_share`` (units, fractions; NaN:
        none) plus ``agreement``, ``priority`` and ``trigger``.
    """
    import pandas as pd

    rows = []
    for agr_id, terms in agreements:
        for i, c in enumerate(terms.get("commitments", [])):
            rows.append({"name": commitment_name(agr_id, i, c), "from": c["from"], "to": c["to"], "item": c["item"],
                         **{k: math.nan if c.get(k) is None else float(c[k])
                            for k in ("min", "max", "min_share", "max_share", "priority")},
                         "agreement": agr_id, "trigger": c.get("trigger", "incident")})
    cols = ["name", "from", "to", "item", "min", "max", "min_share", "max_share", "priority", "agreement", "trigger"]
    return pd.DataFrame(rows, columns=cols)


def unknown_output(comm: Any) -> dict[tuple[str, str], float]:
    """For suppliers whose output is unknown: the least output that could honour their commitments.

    With minimum volumes :math:`m_j` and minimum shares :math:`s_j` of one supplier's output
    :math:`a` of an item, every commitment holds iff :math:`a \\ge \\sum m_j + a \\sum s_j`,
    i.e. :math:`a = \\sum m_j / (1 - \\sum s_j)` when :math:`\\sum s_j < 1`; with shares
    summing to 100 % or more no output can (the check then fails, naming them).
    """
    out: dict[tuple[str, str], float] = {}
    for (sup, item), g in comm.groupby(["from", "item"], sort=False):
        mins = float(g["min"].fillna(0).sum())
        shares = float(g["min_share"].fillna(0).sum())
        out[(str(sup), str(item))] = mins / (1.0 - shares) if shares < 1.0 - SHARE_TOLERANCE else max(mins, 1.0)
    return out


def merge_arcs(comm: Any, avail: Mapping[tuple[str, str], float]) -> Any:
    """Commitments in units, one row per (supplier, receiver, item).

    Within one commitment ``min`` and ``min_share`` are both floors (the larger binds:
    ``max(min, min_share × output)``) and ``max``/``max_share`` both ceilings; commitments
    of several agreements on the same flow add up (a ceiling only where all have one).
    The name joins theirs with `` + ``.
    """
    import pandas as pd

    cols = ["name", "from", "to", "item", "min", "max", "min_share", "max_share", "priority"]
    if comm.empty:
        return pd.DataFrame(columns=cols)
    a = [avail.get((str(f), str(i)), 0.0) for f, i in zip(comm["from"], comm["item"], strict=True)]
    floor = pd.concat([comm["min"], comm["min_share"] * a], axis=1).max(axis=1)
    ceiling = pd.concat([comm["max"], comm["max_share"] * a], axis=1).min(axis=1)
    unit = comm.assign(floor=floor, ceiling=ceiling)
    rows = []
    for (sup, to, item), g in unit.groupby(["from", "to", "item"], sort=False):
        pr = g["priority"] if "priority" in g else pd.Series(dtype=float)
        rows.append({"name": " + ".join(g["name"]), "from": sup, "to": to, "item": item,
                     "min": float(g["floor"].sum()) if g["floor"].notna().any() else math.nan,
                     "max": float(g["ceiling"].sum()) if g["ceiling"].notna().all() else math.nan,
                     "min_share": math.nan, "max_share": math.nan,
                     "priority": float(pr.max()) if pr.notna().any() else math.nan})
    return pd.DataFrame(rows, columns=cols)


def split_names(names: Iterable[str]) -> list[str]:
    """The individual commitment names behind merged rows (see :func:`merge_arcs`)."""
    return list(dict.fromkeys(n for name in names for n in str(name).split(" + ")))


def check_inputs(comm: Any, supply: Mapping[tuple[str, str], float]) -> tuple[Any, Any, Any]:
    """Shortfalls, supply and commitments of the LP that tests whether ``comm`` can all hold at once.

    Each supplier offers its output of the item (``supply``; the least sufficient one
    where it is unknown, see :func:`unknown_output`); each receiver's need is what its
    commitments demand (see :func:`merge_arcs`), so only the suppliers' outputs and the
    commitments' own bounds can conflict.
    """
    import pandas as pd

    least = unknown_output(comm)
    avail = {k: float(supply.get(k, least[k])) for k in least}
    sup = pd.DataFrame([{"member": m, "item": i, "stockpile": a} for (m, i), a in avail.items()],
                       columns=["member", "item", "stockpile"])
    bounds = merge_arcs(comm, avail)
    need = bounds.assign(amount=bounds["min"].fillna(0.0)).groupby(["to", "item"], as_index=False,
                                                                    sort=False)["amount"].sum()
    short = need.rename(columns={"to": "member"})
    short["amount"] = short["amount"].astype(float) * (1 + 1e-9) + 1e-9
    return short, sup, bounds[["name", "from", "to", "item", "min", "max", "min_share", "max_share"]]
