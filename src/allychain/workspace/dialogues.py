"""Dialogues: series, meetings, action items, their calendar and what changed since the last meeting.

A dialogue series (an annual economic-security dialogue, a semiconductor dialogue, a 2+2
ministerial dialogue …) has parties and a cadence; its meetings have a date, participants,
an agenda and decisions; its action items an owner organisation, a due date, a status
(``open``, ``done``, ``dropped``) and links to items, agreements and incidents.  An open
item past its due date is **overdue**.  Every change is audited in its transaction.

:func:`since_last_meeting` builds, from the workspace alone (offline), what changed
between a meeting and the one before it: agreements put in force and expiring,
incidents opened and closed, action items done and overdue.  :func:`calendar` exports
the meetings and due dates as iCalendar (RFC 5545).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from typing import Any

from allychain.errors import InvalidRecord, NotFound
from allychain.store import Repo, Store
from allychain.store.models import ActionItem, DialogueSeries, Meeting, utcnow
from allychain.workspace import audit
from allychain.workspace.authz import Action, Principal, authorize, load_scoped
from allychain.workspace.guard import audited_refusals

__all__ = ["create_series", "add_meeting", "add_action", "set_action_status", "get_series", "list_series",
           "calendar", "since_last_meeting", "CADENCES"]

CADENCES = ("annual", "biennial", "semiannual", "quarterly", "monthly", "ad hoc")
EXPIRING_DAYS = 180


def _date(v: Any, where: str) -> str:
    try:
        return (v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))).isoformat()
    except ValueError:
        raise InvalidRecord(f"{where}: {v!r} — expected a date (YYYY-MM-DD); nothing stored") from None


def _text(body: Mapping[str, Any], key: str, limit: int = 200) -> str:
    v = str(body.get(key) or "").strip()
    if not v or len(v) > limit:
        raise InvalidRecord(f"{key}: {body.get(key)!r} — expected 1 to {limit} characters; nothing stored")
    return v


def _list(body: Mapping[str, Any], key: str) -> list[Any]:
    v = body.get(key) or []
    if not isinstance(v, list):
        raise InvalidRecord(f"{key}: {v!r} — expected a list; nothing stored")
    return v


def _series(repo: Repo, p: Principal | None, action: Action, series_id: str) -> DialogueSeries:
    return load_scoped(p, action, "dialogue series", series_id, lambda: repo.get_series(series_id))


def _series_meta(s: DialogueSeries) -> dict[str, Any]:
    return {"id": s.id, "organisation": s.org_id, "name": s.name, "kind": s.kind, "cadence": s.cadence,
            "parties": json.loads(s.parties)}


def _meeting_meta(m: Meeting) -> dict[str, Any]:
    return {"id": m.id, "series": m.series_id, "date": m.date, "title": m.title,
            "participants": json.loads(m.participants), "agenda": json.loads(m.agenda),
            "decisions": json.loads(m.decisions)}


def _action_meta(a: ActionItem, today: str) -> dict[str, Any]:
    return {"id": a.id, "series": a.series_id, "meeting": a.meeting_id, "title": a.title, "owner": a.owner_org,
            "due": a.due, "status": a.status, "overdue": a.status == "open" and a.due < today,
            "done_at": a.done_at.isoformat() if a.done_at else None, "links": json.loads(a.links)}


@audited_refusals(Action.DIALOGUE_MANAGE)
def create_series(store: Store, p: Principal | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """A dialogue series: ``name``, ``kind``, ``cadence`` (annual, biennial …), ``parties``."""
    authorize(p, Action.DIALOGUE_MANAGE)
    assert p is not None
    cadence = str(body.get("cadence") or "annual")
    if cadence not in CADENCES:
        raise InvalidRecord(f"cadence: {cadence!r} — expected one of {', '.join(CADENCES)}; nothing stored")
    parties = [str(x) for x in _list(body, "parties")]
    sid = str(body.get("id") or "d" + secrets.token_hex(5))[:40]
    s = DialogueSeries(id=sid, org_id=p.org_id, name=_text(body, "name"), kind=_text(body, "kind", 60),
                       cadence=cadence, parties=json.dumps(parties), created_at=utcnow(), created_by=p.user_id)
    with store.transaction() as repo:
        repo.add(s)
        audit.record(repo, p, Action.DIALOGUE_MANAGE, object_type="dialogue", object_id=sid, object_org=p.org_id,
                     step="series", name=s.name)
    return _series_meta(s)


@audited_refusals(Action.DIALOGUE_MANAGE)
def add_meeting(store: Store, p: Principal | None, series_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A meeting of the series: ``date``, ``title``, ``participants``, ``agenda``, ``decisions``."""
    with store.transaction() as repo:
        s = _series(repo, p, Action.DIALOGUE_MANAGE, series_id)
        assert p is not None
        m = Meeting(id="m" + secrets.token_hex(5), series_id=s.id, date=_date(body.get("date"), "date"),
                    title=_text(body, "title"), participants=json.dumps(_list(body, "participants")),
                    agenda=json.dumps(_list(body, "agenda")), decisions=json.dumps(_list(body, "decisions")),
                    created_at=utcnow(), created_by=p.user_id)
        repo.add(m)
        audit.record(repo, p, Action.DIALOGUE_MANAGE, object_type="meeting", object_id=m.id, object_org=s.org_id,
                     step="meeting", series=s.id, date=m.date)
        return _meeting_meta(m)


@audited_refusals(Action.DIALOGUE_MANAGE)
def add_action(store: Store, p: Principal | None, series_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """An action item: ``title``, ``owner`` (organisation id), ``due``, ``meeting``, ``links``."""
    with store.transaction() as repo:
        s = _series(repo, p, Action.DIALOGUE_MANAGE, series_id)
        assert p is not None
        owner = str(body.get("owner") or "")
        if repo.get_org(owner) is None:
            raise InvalidRecord(f"owner: {owner!r} — expected the id of an organisation of the workspace")
        meeting = body.get("meeting")
        if meeting is not None and (repo.get_meeting(str(meeting)) is None
                                    or repo.get_meeting(str(meeting)).series_id != s.id):  # type: ignore[union-attr]
            raise InvalidRecord(f"meeting: {meeting!r} — expected a meeting of series {s.id}")
        links = body.get("links") or {}
        if not isinstance(links, Mapping) or any(k not in ("items", "agreements", "incidents") for k in links):
            raise InvalidRecord("links: expected a mapping of items, agreements, incidents (lists of ids)")
        a = ActionItem(id="t" + secrets.token_hex(5), series_id=s.id, meeting_id=meeting, title=_text(body, "title", 300),
                       owner_org=owner, due=_date(body.get("due"), "due"), status="open", links=json.dumps(dict(links)),
                       created_at=utcnow())
        repo.add(a)
        audit.record(repo, p, Action.DIALOGUE_MANAGE, object_type="action_item", object_id=a.id, object_org=owner,
                     step="action", series=s.id, due=a.due)
        return _action_meta(a, utcnow().date().isoformat())


@audited_refusals(Action.DIALOGUE_MANAGE)
def set_action_status(store: Store, p: Principal | None, action_id: str, status: str) -> dict[str, Any]:
    """Mark an action item ``done``, ``dropped`` or ``open`` again."""
    if status not in ("open", "done", "dropped"):
        raise InvalidRecord(f"status: {status!r} — expected open, done or dropped")
    with store.transaction() as repo:
        a = repo.get_action(action_id, lock=True)
        if a is None:
            authorize(p, Action.DIALOGUE_MANAGE)
            raise NotFound(f"no action item {action_id}")
        s = _series(repo, p, Action.DIALOGUE_MANAGE, a.series_id)
        assert p is not None
        before, a.status = a.status, status
        a.done_at = utcnow() if status == "done" else None
        repo.flush()
        audit.record(repo, p, Action.DIALOGUE_MANAGE, object_type="action_item", object_id=a.id,
                     object_org=s.org_id, step="status", from_status=before, status=status)
        return _action_meta(a, utcnow().date().isoformat())


@audited_refusals(Action.DIALOGUE_READ)
def list_series(store: Store, p: Principal | None) -> list[dict[str, Any]]:
    authorize(p, Action.DIALOGUE_READ)
    with store.transaction() as repo:
        return [_series_meta(s) for s in repo.list_series()]


@audited_refusals(Action.DIALOGUE_READ)
def get_series(store: Store, p: Principal | None, series_id: str, today: str | None = None) -> dict[str, Any]:
    """A series with its meetings and action items (``overdue``: open and past due)."""
    today = today or utcnow().date().isoformat()
    with store.transaction() as repo:
        s = _series(repo, p, Action.DIALOGUE_READ, series_id)
        actions = [_action_meta(a, today) for a in repo.actions(series_id)]
        return {**_series_meta(s), "meetings": [_meeting_meta(m) for m in repo.meetings(series_id)],
                "actions": actions, "overdue": [a["id"] for a in actions if a["overdue"]]}


@audited_refusals(Action.DIALOGUE_READ)
def calendar(store: Store, p: Principal | None, series_id: str) -> bytes:
    """The series' meetings (all-day events) and action items (to-dos with their due date) as iCalendar."""
    from icalendar import Calendar, Event, Todo

    out = get_series(store, p, series_id)
    cal = Calendar()
    cal.add("prodid", "-//allychain//workspace dialogues//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", out["name"])
    stamp = utcnow()
    for m in out["meetings"]:
        ev = Event()
        day = dt.date.fromisoformat(m["date"])
        ev.add("uid", f"{m['id']}@allychain")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"{out['name']}: {m['title']}")
        ev.add("dtstart", day)
        ev.add("dtend", day + dt.timedelta(days=1))
        if m["agenda"]:
            ev.add("description", "Agenda: " + "; ".join(map(str, m["agenda"])))
        cal.add_component(ev)
    for a in out["actions"]:
        todo = Todo()
        todo.add("uid", f"{a['id']}@allychain")
        todo.add("dtstamp", stamp)
        todo.add("summary", f"{a['title']} ({a['owner']})")
        todo.add("due", dt.date.fromisoformat(a["due"]))
        todo.add("status", {"open": "NEEDS-ACTION", "done": "COMPLETED", "dropped": "CANCELLED"}[a["status"]])
        cal.add_component(todo)
    return bytes(cal.to_ical())


@audited_refusals(Action.DIALOGUE_READ)
def since_last_meeting(store: Store, p: Principal | None, meeting_id: str) -> dict[str, Any]:
    """What changed between the previous meeting of the series (exclusive) and this one (inclusive).

    Returns agreements put in force in the window and those expiring within
    :data:`EXPIRING_DAYS` days of the meeting, incidents opened and closed, action items
    of the series done in the window and overdue at the meeting's date.
    """
    authorize(p, Action.DIALOGUE_READ)
    with store.transaction() as repo:
        m = repo.get_meeting(meeting_id)
        if m is None:
            raise NotFound(f"no meeting {meeting_id}")
        earlier = [x.date for x in repo.meetings(m.series_id) if x.date < m.date]
        prev = max(earlier) if earlier else None

        def within(when: dt.datetime | None) -> bool:
            return when is not None and (prev is None or when.date().isoformat() > prev) and \
                when.date().isoformat() <= m.date

        horizon = (dt.date.fromisoformat(m.date) + dt.timedelta(days=EXPIRING_DAYS)).isoformat()
        signed: list[dict[str, Any]] = []
        expiring: list[dict[str, Any]] = []
        for agr, ver in repo.current_agreements():
            terms = json.loads(ver.body)
            for v in repo.agreement_versions(agr.id):
                if v.status == "in_force" and within(v.created_at) and agr.id not in {x["id"] for x in signed}:
                    signed.append({"id": agr.id, "title": agr.title, "in_force_since": v.created_at.isoformat()})
            if agr.status == "in_force" and terms.get("valid_to") and m.date <= terms["valid_to"] <= horizon:
                expiring.append({"id": agr.id, "title": agr.title, "valid_to": terms["valid_to"]})
        incidents = repo.list_incidents()
        opened = [{"id": i.id, "title": i.title, "state": i.state} for i in incidents if within(i.opened_at)]
        closed = [{"id": i.id, "title": i.title} for i in incidents if within(i.closed_at)]
        actions = [_action_meta(a, m.date) for a in repo.actions(m.series_id)]
        done = [a for a in actions if a["status"] == "done" and a["done_at"]
                and (prev is None or a["done_at"][:10] > prev) and a["done_at"][:10] <= m.date]
        overdue = [a for a in actions if a["status"] == "open" and a["due"] < m.date]
    return {"meeting": _meeting_meta(m), "previous_meeting": prev,
            "agreements_in_force": signed, "agreements_expiring": expiring, "incidents_opened": opened,
            "incidents_closed": closed, "actions_done": done, "actions_overdue": overdue}
