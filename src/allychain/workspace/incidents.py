"""The crisis workflow: an incident from its opening to the after-action report.

An incident is opened by a steward or an analyst with the disrupted items, countries and
firms and an estimate of the shock in the model's disruption vocabulary (``shocks``: the
scenario keys of :mod:`allychain.model.disruption`, read by the scenario reader).  It
moves ``open → assessed → responding → closed``; every step is one entry of its timeline
(``incident_events``) and one audit record, written in the same transaction, with who and
when:

* :func:`assess` runs the scenario (:func:`allychain.simulate.outcome.scenario_outcome`)
  and the time to survive / time to recover of the disrupted nodes
  (:func:`allychain.optimize.tts_ttr`) and keeps what the model expected for the members;
* :func:`allocate` computes the emergency allocation under the agreements in force
  (:mod:`allychain.workspace.emergency`) for the shortfalls and releasable supply of the
  estimate; infeasible commitments are refused naming the smallest conflicting set;
* :func:`record` adds a decision or an action;
* :func:`close` ends it with the after-action report: the timeline, what the model
  expected, what happened (entered by hand) and the lessons.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

import pandas as pd

from allychain.errors import AllychainError, Conflict, InvalidRecord
from allychain.store import Repo, Store
from allychain.store.models import Incident, utcnow
from allychain.workspace import audit
from allychain.workspace.authz import Action, Principal, Scope, authorize, load_scoped
from allychain.workspace.guard import audited_refusals
from allychain.workspace.validation import reference_items

__all__ = ["open_incident", "open_in", "assess", "allocate", "record", "close", "get_incident", "list_incidents",
           "from_event", "NEXT_STATE"]

NEXT_STATE = {"assess": ("open", "assessed"), "allocate": ("assessed", "responding"), "close": (None, "closed")}
KEYS = ("title", "items", "countries", "firms", "shocks", "horizon", "members", "notes", "shortfalls", "supply",
        "source")


def _validate(body: Mapping[str, Any]) -> dict[str, Any]:
    """The incident's fields, checked; the shock estimate through the scenario reader."""
    from allychain.model.members import is_iso3
    from allychain.simulate.scenario import parse_scenario

    probs = [f"{k}: unknown key — expected one of {', '.join(KEYS)}" for k in body if k not in KEYS]
    title = str(body.get("title") or "").strip()
    if not title or len(title) > 200:
        probs.append(f"title: {body.get('title')!r} — expected a title of 1 to 200 characters")
    known = reference_items()
    lists = {}
    for key in ("items", "countries", "firms", "members"):
        v = body.get(key) or ([] if key != "members" else ["KOR", "NLD"])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            probs.append(f"{key}: {v!r} — expected a list of ids")
            v = []
        lists[key] = v
    probs += [f"items[{i}]: {x!r} — expected an item id of the built-in dataset"
              for i, x in enumerate(lists["items"]) if x not in known]
    probs += [f"{k}[{i}]: {x!r} — expected an ISO 3166 alpha-3 code" for k in ("countries", "members")
              for i, x in enumerate(lists[k]) if not is_iso3(x)]
    if not lists["items"] and not lists["countries"] and not lists["firms"]:
        probs.append("items, countries, firms: all empty — expected what the disruption hits")
    horizon = body.get("horizon", 180)
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= 3650:
        probs.append(f"horizon: {horizon!r} — expected whole steps (days) from 1 to 3650")
        horizon = 180
    shocks = body.get("shocks") or []
    if probs:
        raise InvalidRecord(f"the incident is invalid ({len(probs)} problem(s)); nothing stored: " + "; ".join(probs),
                            probs)
    try:
        parse_scenario({"name": title, "data": "builtin", "horizon": horizon, "shocks": shocks}, source="incident",
                       base=None)
    except AllychainError as exc:
        raise InvalidRecord(f"shocks: {exc}; nothing stored", [f"shocks: {exc}"]) from None
    source = body.get("source")
    if source is not None and not isinstance(source, Mapping):
        raise InvalidRecord(f"source: {source!r} — expected a mapping (the event the incident comes from); nothing "
                            "stored", ["source: expected a mapping"])
    return {"title": title, **lists, "horizon": horizon, "shocks": shocks, "notes": str(body.get("notes") or ""),
            "source": dict(source) if source else None}


def from_event(draft: Mapping[str, Any], shocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Incident fields from a watched event's draft (:func:`allychain.services.watch.incident_draft`).

    The event's title and items are taken over; its type, dates, document, the destinations an
    export measure restricts, exposed members, what was not assessed and the evidence spans are
    kept under ``source``.  The shock estimate is the analyst's (``shocks``).
    """
    keep = ("event_type", "announced", "effective", "document", "destinations", "exposed_members", "coverage",
            "evidence")
    return {"title": str(draft.get("title") or "")[:200], "items": list(draft.get("items") or []),
            "shocks": list(shocks or []), "source": {k: draft.get(k) for k in keep if k in draft}}


def _scenario(body: Mapping[str, Any]) -> Any:
    from allychain.simulate.scenario import parse_scenario

    return parse_scenario({"name": body["title"], "data": "builtin", "horizon": body["horizon"],
                           "shocks": body["shocks"], "alliances": {"members": body["members"]}},
                          source=f"incident {body['title']}", base=None)


def _meta(inc: Incident) -> dict[str, Any]:
    return {"id": inc.id, "organisation": inc.org_id, "title": inc.title, "state": inc.state,
            "opened_at": inc.opened_at.isoformat(), "closed_at": inc.closed_at.isoformat() if inc.closed_at else None,
            **json.loads(inc.body)}


def _event(repo: Repo, p: Principal, action: Action, inc: Incident, kind: str, body: dict[str, Any],
           **detail: Any) -> dict[str, Any]:
    """One timeline entry and its audit record, in the caller's transaction."""
    now = utcnow()
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    ev = repo.add_incident_event(inc.id, {"at": now, "user_id": p.user_id, "kind": kind, "body": text})
    import hashlib

    audit.record(repo, p, action, object_type="incident", object_id=inc.id, object_org=inc.org_id,
                 digest=hashlib.sha256(text.encode()).hexdigest(), event=ev.seq, kind=kind, state=inc.state, **detail)
    return {"seq": ev.seq, "at": now.isoformat(), "by": p.name, "kind": kind, **body}


def _load(repo: Repo, p: Principal | None, action: Action, inc_id: str, lock: bool = False) -> Incident:
    return load_scoped(p, action, "incident", inc_id, lambda: repo.get_incident(inc_id, lock=lock))


def _move(inc: Incident, step: str) -> str:
    need, to = NEXT_STATE[step]
    if inc.state == "closed" or (need is not None and inc.state not in (need, to)):
        raise Conflict(f"incident {inc.id} is {inc.state}; {step} needs it {need or 'not closed'}")
    before = inc.state
    inc.state = to if need is None or inc.state == need else inc.state
    return before


@audited_refusals(Action.INCIDENT_OPEN)
def open_incident(store: Store, p: Principal | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """Open an incident (state ``open``); invalid fields → :class:`InvalidRecord`, nothing stored."""
    authorize(p, Action.INCIDENT_OPEN)
    assert p is not None
    fields = _validate(body)
    for key in ("shortfalls", "supply"):
        if key in body:
            fields[key] = _table(body[key], key)
    with store.transaction() as repo:
        inc = _insert(repo, p, fields)
    return _meta(inc)


def _insert(repo: Repo, p: Principal, fields: dict[str, Any]) -> Incident:
    inc = Incident(id="i" + secrets.token_hex(6), org_id=p.org_id, title=fields["title"], state="open",
                   opened_at=utcnow(), opened_by=p.user_id, body=json.dumps(fields, sort_keys=True))
    repo.add_incident(inc)
    _event(repo, p, Action.INCIDENT_OPEN, inc, "opened", {"state": "open", "fields": fields})
    return inc


def open_in(repo: Repo, p: Principal | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """Open an incident in the caller's transaction (an escalated watch alert opens one with its own change).

    The same checks as :func:`open_incident`; invalid fields raise :class:`InvalidRecord`
    and the caller's transaction rolls back.
    """
    authorize(p, Action.INCIDENT_OPEN)
    assert p is not None
    return _meta(_insert(repo, p, _validate(body)))


def _table(rows: Any, key: str) -> list[dict[str, Any]]:
    cols = {"shortfalls": ("member", "item", "amount"), "supply": ("member", "item")}[key]
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) and all(c in r for c in cols) for r in rows):
        raise InvalidRecord(f"{key}: expected a list of {{{', '.join(cols)}, …}}; nothing stored")
    for i, r in enumerate(rows):
        for c in ("amount", "priority", "spare_capacity", "stockpile"):
            v = r.get(c)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or v != v):
                raise InvalidRecord(f"{key}[{i}].{c}: {v!r} — expected units >= 0; nothing stored")
    return [dict(r) for r in rows]


@audited_refusals(Action.INCIDENT_UPDATE)
def assess(store: Store, p: Principal | None, inc_id: str, network: Any) -> dict[str, Any]:
    """Run the scenario and the TTS/TTR of the disrupted nodes; keep what the model expects (→ ``assessed``)."""
    from allychain.optimize import tts_ttr
    from allychain.simulate.outcome import scenario_outcome

    with store.transaction() as repo:
        fields = json.loads(_load(repo, p, Action.INCIDENT_UPDATE, inc_id).body)
    outcome = scenario_outcome(_scenario(fields), network)
    summary = outcome["summary"]
    expected: dict[str, Any] = {"total": summary["total"], "unit": outcome["unit"],
                                "members": {m: summary.get("regions", {}).get(m) for m in fields["members"]}}
    nodes = [f"{c}/{i}" for s in fields["shocks"] for c in s.get("countries", []) for i in s.get("items", [])]
    nodes += [n for s in fields["shocks"] for n in s.get("nodes", [])]
    try:
        spans = [int(s.get("duration") or 0) + int((s.get("recovery") or {}).get("steps") or 0)
                 for s in fields["shocks"] if s.get("duration")]
        ttr = float(max(spans)) if spans else None  # the estimate's time to recover, else the nodes' own
        tts = tts_ttr(network, {inc_id: nodes}, ttr=ttr).table if nodes else None
        expected["tts_ttr"] = (None if tts is None else
                               json.loads(tts.drop(columns=["unprotected"]).to_json(orient="records")))
        expected["tts_ttr_note"] = "" if nodes else "not assessable: the shocks name no country × item nodes"
    except AllychainError as exc:
        expected["tts_ttr"], expected["tts_ttr_note"] = None, f"not assessable: {exc}"
    with store.transaction() as repo:
        inc = _load(repo, p, Action.INCIDENT_UPDATE, inc_id, lock=True)
        assert p is not None
        before = _move(inc, "assess")
        ev = _event(repo, p, Action.INCIDENT_UPDATE, inc, "assessment",
                    {"from_state": before, "state": inc.state, "expected": expected}, step="assess")
    return {**_meta(inc), "assessment": ev}


@audited_refusals(Action.INCIDENT_ALLOCATE)
def allocate(store: Store, p: Principal | None, inc_id: str, shortfalls: list[dict[str, Any]] | None = None,
             supply: list[dict[str, Any]] | None = None, fairness: bool = False) -> dict[str, Any]:
    """The emergency allocation under the agreements in force (→ ``responding``).

    ``shortfalls`` and ``supply`` default to the incident's estimate.  Returns the
    allocation tables and the plan (YAML export format).

    Raises
    ------
    CommitmentConflict
        The commitments in force could not all be honoured with this supply; names the set.
    """
    from allychain.errors import CommitmentConflict, InfeasibleError
    from allychain.optimize.allocation import allocate_plan, plan_to_dict
    from allychain.workspace.emergency import registry_plan
    from allychain.workspace.terms import split_names

    with store.transaction() as repo:
        inc = _load(repo, p, Action.INCIDENT_ALLOCATE, inc_id, lock=True)
        assert p is not None
        fields = json.loads(inc.body)
        short = _table(shortfalls if shortfalls is not None else fields.get("shortfalls", []), "shortfalls")
        sup = _table(supply if supply is not None else fields.get("supply", []), "supply")
        if not short:
            raise InvalidRecord(f"incident {inc_id} has no shortfalls estimated: give member, item, amount rows")
        plan = registry_plan(repo, pd.DataFrame(short), pd.DataFrame(sup), items=fields["items"] or None,
                             fairness=fairness, name=f"incident {inc_id}")
        try:
            result = allocate_plan(plan)
        except InfeasibleError as exc:
            names = sorted(split_names(exc.conflicting))
            conflict: CommitmentConflict | None = CommitmentConflict(str(exc), names)
        else:
            conflict = None
            before = _move(inc, "allocate")
            body = {"from_state": before, "state": inc.state, "result": result.to_dict(),
                    "plan": plan_to_dict(plan, f"emergency allocation of incident {inc_id}")}
            ev = _event(repo, p, Action.INCIDENT_ALLOCATE, inc, "allocation", body, step="allocate",
                        commitments=len(plan.commitments))
    if conflict is not None:
        audit.record_alone(store, p, Action.INCIDENT_ALLOCATE, outcome="refused", object_type="incident",
                           object_id=inc_id, conflicting=conflict.conflicting)
        raise conflict
    return {**_meta(inc), "allocation": ev}


@audited_refusals(Action.INCIDENT_UPDATE)
def record(store: Store, p: Principal | None, inc_id: str, kind: str, text: str) -> dict[str, Any]:
    """Record a decision or an action on the incident's timeline."""
    if kind not in ("decision", "action", "note"):
        raise InvalidRecord(f"kind: {kind!r} — expected decision, action or note")
    if not text.strip() or len(text) > 5000:
        raise InvalidRecord("text: expected 1 to 5000 characters")
    with store.transaction() as repo:
        inc = _load(repo, p, Action.INCIDENT_UPDATE, inc_id, lock=True)
        assert p is not None
        if inc.state == "closed":
            raise Conflict(f"incident {inc_id} is closed")
        return _event(repo, p, Action.INCIDENT_UPDATE, inc, kind, {"text": text.strip()}, step=kind)


@audited_refusals(Action.INCIDENT_UPDATE)
def close(store: Store, p: Principal | None, inc_id: str, happened: str, lessons: str) -> dict[str, Any]:
    """Close the incident with its after-action report (timeline, expected vs happened, lessons)."""
    if not happened.strip() or not lessons.strip():
        raise InvalidRecord("an after-action report needs what happened and the lessons (both entered by hand)")
    with store.transaction() as repo:
        inc = _load(repo, p, Action.INCIDENT_UPDATE, inc_id, lock=True)
        assert p is not None
        before = _move(inc, "close")
        inc.closed_at = utcnow()
        report = {"from_state": before, "state": "closed", "happened": happened.strip(), "lessons": lessons.strip()}
        _event(repo, p, Action.INCIDENT_UPDATE, inc, "closed", report, step="close")
        return {**_meta(inc), "report": _report(repo, inc)}


def _report(repo: Repo, inc: Incident) -> dict[str, Any]:
    """The after-action report: timeline, what the model expected, what happened, lessons."""
    users = {u.id: u.name for u in repo.list_users()}
    timeline = [{"seq": e.seq, "at": e.at.isoformat(), "by": users.get(e.user_id), "kind": e.kind,
                 **json.loads(e.body)} for e in repo.incident_events(inc.id)]
    last = {e["kind"]: e for e in timeline}
    brief = [{k: e[k] for k in ("seq", "at", "by", "kind")} | ({"text": e["text"]} if "text" in e else {})
             | ({"state": e["state"]} if "state" in e else {}) for e in timeline]
    return {"incident": inc.id, "title": inc.title, "timeline": brief,
            "expected": last.get("assessment", {}).get("expected"),
            "allocation": (last.get("allocation") or {}).get("result", {}).get("message"),
            "happened": last.get("closed", {}).get("happened"), "lessons": last.get("closed", {}).get("lessons")}


@audited_refusals(Action.INCIDENT_READ)
def get_incident(store: Store, p: Principal | None, inc_id: str) -> dict[str, Any]:
    """An incident with its timeline (and its after-action report once closed)."""
    with store.transaction() as repo:
        inc = _load(repo, p, Action.INCIDENT_READ, inc_id)
        users = {u.id: u.name for u in repo.list_users()}
        out = _meta(inc)
        out["timeline"] = [{"seq": e.seq, "at": e.at.isoformat(), "by": users.get(e.user_id), "kind": e.kind,
                            **json.loads(e.body)} for e in repo.incident_events(inc_id)]
        if inc.state == "closed":
            out["report"] = _report(repo, inc)
        return out


@audited_refusals(Action.INCIDENT_LIST)
def list_incidents(store: Store, p: Principal | None) -> list[dict[str, Any]]:
    """Incidents (their fields and state, without the timeline)."""
    scope = authorize(p, Action.INCIDENT_LIST)
    assert p is not None
    with store.transaction() as repo:
        return [_meta(i) for i in repo.list_incidents(None if scope is Scope.ANY else p.org_id)]
