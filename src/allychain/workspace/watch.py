"""Watch in the workspace: indicator series and alerts in the database, with states and per-role access.

* :func:`ingest` checks an indicator file whole (:func:`allychain.watch.importers.read_indicators`)
  and stores its rows; a row with the key of a stored row replaces it, so re-ingesting a
  file changes nothing.  :func:`indicator_table` gives the stored table back for a scan.
* :func:`store_alerts` keeps the alerts of a scan (as linked to the chain by
  :func:`allychain.services.watch_alerts.link_alerts`): **one event, one alert** across scans —
  an alert is matched by its id, else by an alert of the same detector on the same series
  whose change date lies within two periods of its date, or that was last seen within
  two periods before it was first seen (the rule of :func:`allychain.watch.alerts.alerts_from`);
  a match is updated (last sighting, size, score, evidence, the highest severity), never
  duplicated, and keeps its state.
* States: ``open → acknowledged → dismissed | escalated`` and ``open → dismissed | escalated``
  (:data:`TRANSITIONS`), each with who and when, one timeline entry and one audit record
  in the same transaction.  :func:`escalate` opens a workspace incident linked to the
  alert in that same transaction (:func:`allychain.workspace.incidents.open_in`), so an
  alert opens at most one incident.

Every function checks the permission matrix (``watch:*`` actions) itself.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from allychain.errors import Conflict, InvalidRecord, NotFound
from allychain.store import Repo, Store
from allychain.store.models import WatchAlert, WatchAlertEvent, utcnow
from allychain.workspace import audit, incidents
from allychain.workspace.authz import Action, Principal, authorize
from allychain.workspace.guard import audited_refusals

__all__ = ["ingest", "indicator_table", "list_series", "get_series", "store_alerts", "list_alerts", "get_alert",
           "acknowledge", "dismiss", "escalate", "feed", "failed_deliveries", "TRANSITIONS", "alert_dict",
           "clean"]

#: step → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({"open"}), "acknowledged"),
    "dismiss": (frozenset({"open", "acknowledged"}), "dismissed"),
    "escalate": (frozenset({"open", "acknowledged"}), "escalated"),
}
_PERIOD_DAYS = {"M": 31, "Q": 92, "A": 366}
_TEXT_KEYS = ("freq", "kind", "flow", "reporter", "partner", "hs_code", "item", "unit", "source")


def clean(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become ``None`` (unknown stays unknown), numpy scalars plain numbers."""
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)) and callable(obj.item):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _canonical(obj: Any) -> str:
    return json.dumps(clean(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# -- indicator series -------------------------------------------------------------------------------------------

def _rows(table: pd.DataFrame) -> pd.DataFrame:
    """The table as stored: text columns with "" for missing parts, the series id, NaN values as NULL."""
    from allychain.watch.indicators import SERIES_KEY

    out = table[["date", *_TEXT_KEYS]].copy()
    for c in _TEXT_KEYS:
        out[c] = out[c].fillna("").astype(str)
    out["date"] = out["date"].astype(str)
    parts = [c for c in SERIES_KEY if c != "freq"]        # as allychain.watch.indicators.series_id
    out["series"] = out[parts[0]].str.cat([out[c] for c in parts[1:]], sep=":")
    out["value"] = pd.to_numeric(table["value"], errors="coerce").astype(object)
    out.loc[out["value"].isna(), "value"] = None
    return out


@audited_refusals(Action.WATCH_INGEST)
def ingest(store: Store, p: Principal | None, path: str | Path, layout: str = "long") -> dict[str, Any]:
    """Check ``path`` (in ``layout``) whole and store its rows (all or nothing).

    Returns ``file``, ``layout``, ``rows_read``, ``added``, ``replaced``, ``stored`` and
    ``warnings`` (the importer's messages: rows left out).

    Raises
    ------
    DataError
        The file's problems; nothing is stored.
    """
    from allychain.watch.importers import read_indicators

    authorize(p, Action.WATCH_INGEST)
    got = read_indicators(path, layout)
    rows = _rows(got.table).sort_values(["series", "freq", "date"], kind="stable")
    digest = hashlib.sha256(rows.to_csv(index=False).encode()).hexdigest()
    keys = set(zip(rows["series"], rows["freq"], rows["date"], strict=True))
    now = utcnow()
    names = list(rows.columns)
    new = [dict(zip(names, vals, strict=True), stored_at=now)
           for vals in zip(*(rows[c].to_numpy(dtype=object) for c in names), strict=True)]
    with store.transaction() as repo:
        old = [i for i, s_, f, d in repo.watch_keys(rows["series"].unique().tolist()) if (s_, f, d) in keys]
        repo.watch_replace_rows(old, new)
        stored = sum(n for _, _, n, _, _ in repo.watch_series())
        audit.record(repo, p, Action.WATCH_INGEST, object_type="watch_indicators", object_id=Path(path).name[:100],
                     digest=digest, layout=layout, rows=len(new), replaced=len(old))
    return {"file": str(path), "layout": layout, "rows_read": len(new), "added": len(new) - len(old),
            "replaced": len(old), "stored": stored, "warnings": [str(w) for w in got.warnings]}


@audited_refusals(Action.WATCH_SCAN)
def indicator_table(store: Store, p: Principal | None) -> pd.DataFrame:
    """The stored indicator table (``schema/indicators.csv``), for a scan."""
    from allychain.watch.indicators import COLUMNS, empty, validated

    authorize(p, Action.WATCH_SCAN)
    with store.transaction() as repo:
        recs = repo.watch_values(COLUMNS)
    if not recs:
        return empty()
    raw = pd.DataFrame(recs, columns=COLUMNS)
    raw["value"] = pd.to_numeric(raw["value"], errors="coerce")
    return validated(raw, "workspace")


@audited_refusals(Action.WATCH_READ)
def list_series(store: Store, p: Principal | None) -> list[dict[str, Any]]:
    """Stored series: id, frequency, number of periods, first and last date."""
    authorize(p, Action.WATCH_READ)
    with store.transaction() as repo:
        return [{"series": s, "freq": f, "periods": n, "first": a, "last": b} for s, f, n, a, b in repo.watch_series()]


@audited_refusals(Action.WATCH_READ)
def get_series(store: Store, p: Principal | None, series: str) -> dict[str, Any]:
    """One series: its key, its values (``None`` for a gap) and the alerts on it."""
    authorize(p, Action.WATCH_READ)
    with store.transaction() as repo:
        rows = repo.watch_rows([series])
        if not rows:
            raise NotFound(f"no series {series}")
        users = {u.id: u.name for u in repo.list_users()}
        alerts = [alert_dict(a, users) for a in repo.list_alerts(series=series)]
    first = rows[0]
    return {"series": series, **{k: getattr(first, k) for k in _TEXT_KEYS},
            "points": [{"date": r.date, "value": r.value} for r in rows], "alerts": alerts}


# -- alerts -----------------------------------------------------------------------------------------------------

def alert_dict(row: WatchAlert, users: Mapping[int, str]) -> dict[str, Any]:
    """The stored alert as JSON: the linked alert, its state, who changed it and when, the incident."""
    body = json.loads(row.body)
    return {**body, "alert_id": row.id, "event_id": row.event_id, "severity": row.severity, "date": row.date,
            "first_detected": row.first_detected, "last_detected": row.last_detected, "sightings": row.sightings,
            "state": row.state, "state_at": row.state_at.isoformat(),
            "state_by": users.get(row.state_by) if row.state_by is not None else None,
            "incident_id": row.incident_id, "updated_at": row.updated_at.isoformat()}


class _Stored:
    """The stored alerts a scan's alerts may match, fetched (and locked) in one query."""

    def __init__(self, repo: Repo, alerts: list[dict[str, Any]]) -> None:
        rows = repo.alerts_for([str(a["series"]) for a in alerts], [str(a["alert_id"]) for a in alerts], lock=True)
        self.by_id = {r.id: r for r in rows}
        self.by_key: dict[tuple[str, str], list[WatchAlert]] = {}
        for r in rows:
            self.add(r)

    def add(self, row: WatchAlert) -> None:
        self.by_id[row.id] = row
        same = self.by_key.setdefault((row.series, row.kind), [])
        same.append(row)
        same.sort(key=lambda r: r.date)

    def match(self, a: Mapping[str, Any], freq: str) -> WatchAlert | None:
        """The stored alert of the same event: same id, else the same detector on the series close in time."""
        row = self.by_id.get(str(a["alert_id"]))
        if row is not None:
            return row
        window = pd.Timedelta(days=_PERIOD_DAYS.get(freq, 31) * 2)
        date, first = pd.Timestamp(a["date"]), pd.Timestamp(a["first_detected"])
        near = [r for r in self.by_key.get((str(a["series"]), str(a["kind"])), [])
                if abs(pd.Timestamp(r.date) - date) <= window
                or pd.Timedelta(0) <= first - pd.Timestamp(r.last_detected) <= window]
        return near[-1] if near else None


def _rank(s: str) -> int:
    return ("low", "medium", "high").index(s)


def _update(repo: Repo, row: WatchAlert, a: dict[str, Any], p: Principal) -> str | None:
    """Merge a later sighting into a stored alert; the change kind (``updated``/``raised``) or ``None``."""
    newer = str(a["last_detected"]) > row.last_detected
    raised = _rank(str(a["severity"])) > _rank(row.severity)
    if not newer and not raised:
        return None
    body = json.loads(row.body)
    if newer:
        body.update({k: v for k, v in a.items() if k not in ("alert_id", "first_detected", "severity")})
        row.last_detected, row.date = str(a["last_detected"]), str(a["date"])
        row.sightings = max(row.sightings, int(a["sightings"]))
    if raised:
        row.severity = str(a["severity"])
    body["detectors"] = sorted(set(body.get("detectors", [])) | set(a.get("detectors", [])))
    row.body, row.updated_at = _canonical(body), utcnow()
    kind = "raised" if raised else "updated"
    repo.add_alert_event(row.id, {"at": row.updated_at, "user_id": p.user_id, "kind": kind, "body": _canonical(
        {"last_detected": row.last_detected, "severity": row.severity, "sightings": row.sightings,
         "size": a.get("size"), "score": a.get("score")})})
    return kind


def _new(repo: Repo, a: dict[str, Any], p: Principal) -> WatchAlert:
    now = utcnow()
    body = {k: v for k, v in a.items() if k not in ("alert_id", "event_id", "severity", "date", "first_detected",
                                                   "last_detected", "sightings", "state")}
    row = WatchAlert(id=str(a["alert_id"]), event_id=str(a.get("event_id") or a["alert_id"]), series=str(a["series"]),
                     kind=str(a["kind"]), severity=str(a["severity"]), date=str(a["date"]),
                     first_detected=str(a["first_detected"]), last_detected=str(a["last_detected"]),
                     sightings=int(a["sightings"]), state="open", state_at=now, state_by=p.user_id, incident_id=None,
                     created_at=now, updated_at=now, body=_canonical(body))
    repo.add(row)
    repo.add(WatchAlertEvent(alert_id=row.id, seq=1, at=now, user_id=p.user_id, kind="created",
                             body=_canonical({"state": "open", "severity": row.severity})))
    return row


@audited_refusals(Action.WATCH_SCAN)
def store_alerts(store: Store, p: Principal | None, alerts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Store a scan's alerts (linked dicts), deduplicated with the stored ones; one audit record for the scan.

    Returns ``created`` and ``updated`` (alert ids), ``raised`` (ids whose severity rose),
    ``unchanged`` (a count), ``changed``: the created and raised alerts as stored (what
    is delivered), ``ids`` (each given alert id → the stored alert's id) and ``states``.
    """
    authorize(p, Action.WATCH_SCAN)
    assert p is not None
    created: list[str] = []
    updated: list[str] = []
    raised: list[str] = []
    unchanged = 0
    ids: dict[str, str] = {}
    states: dict[str, str] = {}
    given = [clean(dict(a)) for a in alerts]
    with store.transaction() as repo:
        freq = {s: f for s, f, _, _, _ in repo.watch_series()}
        stored = _Stored(repo, given)
        for a in given:
            row = stored.match(a, freq.get(str(a["series"]), "M"))
            if row is None:
                row = _new(repo, a, p)
                stored.add(row)
                created.append(row.id)
                ids[str(a["alert_id"])], states[row.id] = row.id, row.state
                continue
            ids[str(a["alert_id"])], states[row.id] = row.id, row.state
            kind = _update(repo, row, a, p)
            if kind is None:
                unchanged += 1
            elif row.id not in updated:
                updated.append(row.id)
                if kind == "raised":
                    raised.append(row.id)
        touched = sorted(created + updated)
        audit.record(repo, p, Action.WATCH_SCAN, object_type="watch_alerts",
                     digest=hashlib.sha256(",".join(touched).encode()).hexdigest(), created=created,
                     updated=updated, unchanged=unchanged)
        users = {u.id: u.name for u in repo.list_users()}
        changed = [alert_dict(r, users) for r in (repo.get_alert(i) for i in created + raised) if r is not None]
    return {"created": created, "updated": updated, "raised": raised, "unchanged": unchanged, "changed": changed,
            "ids": ids, "states": states}


@audited_refusals(Action.WATCH_READ)
def list_alerts(store: Store, p: Principal | None, state: str | None = None, severity: str | None = None,
                limit: int = 500) -> list[dict[str, Any]]:
    """Stored alerts, newest sighting first (of one ``state`` / ``severity`` when given)."""
    from allychain.store.models import ALERT_STATES

    authorize(p, Action.WATCH_READ)
    if state is not None and state not in ALERT_STATES:
        raise InvalidRecord(f"state: {state!r} — expected one of {', '.join(ALERT_STATES)}")
    if severity is not None and severity not in ("low", "medium", "high"):
        raise InvalidRecord(f"severity: {severity!r} — expected low, medium or high")
    with store.transaction() as repo:
        users = {u.id: u.name for u in repo.list_users()}
        return [alert_dict(r, users) for r in repo.list_alerts(state, severity, limit=max(1, min(limit, 5000)))]


@audited_refusals(Action.WATCH_READ)
def get_alert(store: Store, p: Principal | None, alert_id: str) -> dict[str, Any]:
    """One alert with its timeline and its deliveries."""
    authorize(p, Action.WATCH_READ)
    with store.transaction() as repo:
        row = repo.get_alert(alert_id)
        if row is None:
            raise NotFound(f"no alert {alert_id}")
        users = {u.id: u.name for u in repo.list_users()}
        out = alert_dict(row, users)
        out["timeline"] = [{"seq": e.seq, "at": e.at.isoformat(), "by": users.get(e.user_id) if e.user_id else None,
                            "kind": e.kind, **json.loads(e.body)} for e in repo.alert_events(alert_id)]
        out["deliveries"] = [{"channel": d.channel, "target": d.target, "at": d.at.isoformat(), "attempts": d.attempts,
                              "status": d.status, "error": d.error} for d in repo.deliveries(alert_id)]
    return out


def _move(repo: Repo, p: Principal, action: Action, alert_id: str, step: str, note: str) -> WatchAlert:
    if len(note) > 2000:
        raise InvalidRecord("note: expected at most 2000 characters")
    row = repo.get_alert(alert_id, lock=True)
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    start, to = TRANSITIONS[step]
    if row.state not in start:
        raise Conflict(f"alert {alert_id} is {row.state}; {step} needs it {' or '.join(sorted(start))}")
    before = row.state
    row.state, row.state_at, row.state_by = to, utcnow(), p.user_id
    repo.add_alert_event(row.id, {"at": row.state_at, "user_id": p.user_id, "kind": to,
                                  "body": _canonical({"from_state": before, "state": to, "note": note.strip()})})
    audit.record(repo, p, action, object_type="watch_alert", object_id=alert_id, from_state=before, state=to,
                 incident=row.incident_id)
    return row


def _change(store: Store, p: Principal | None, action: Action, alert_id: str, step: str, note: str) -> dict[str, Any]:
    authorize(p, action)
    assert p is not None
    with store.transaction() as repo:
        row = _move(repo, p, action, alert_id, step, note)
        return alert_dict(row, {u.id: u.name for u in repo.list_users()})


@audited_refusals(Action.WATCH_TRIAGE)
def acknowledge(store: Store, p: Principal | None, alert_id: str, note: str = "") -> dict[str, Any]:
    """``open → acknowledged``: someone is looking at it."""
    return _change(store, p, Action.WATCH_TRIAGE, alert_id, "acknowledge", note)


@audited_refusals(Action.WATCH_TRIAGE)
def dismiss(store: Store, p: Principal | None, alert_id: str, note: str = "") -> dict[str, Any]:
    """``open | acknowledged → dismissed``: not a disruption (the note says why)."""
    return _change(store, p, Action.WATCH_TRIAGE, alert_id, "dismiss", note)


def incident_fields(alert: Mapping[str, Any], note: str = "", shocks: list[dict[str, Any]] | None = None
                    ) -> dict[str, Any]:
    """The fields of the incident an alert opens: its items, the supplying country, the members exposed."""
    from allychain.model.members import is_iso3
    from allychain.workspace.validation import reference_items

    known = reference_items()
    origin = alert.get("reporter") if alert.get("flow") == "export" else alert.get("partner")
    items = [i for i in alert.get("item_ids") or [] if i in known]
    pct = alert.get("size")
    title = (f"Watch alert ({alert.get('severity')}): {alert.get('indicator')} of "
             f"{', '.join(items) or alert.get('hs_code') or 'unnamed items'} "
             f"{alert.get('reporter')}{'←' if alert.get('flow') != 'export' else '→'}{alert.get('partner') or '?'} "
             f"from {alert.get('date')}")
    return {"title": title[:200], "items": items,
            "countries": [origin] if isinstance(origin, str) and is_iso3(origin) and origin != "WLD" else [],
            "members": list(alert.get("members") or ["KOR", "NLD"]), "shocks": list(shocks or []),
            "notes": note.strip(),
            "source": {"watch_alert": alert.get("alert_id"), "event_id": alert.get("event_id"),
                       "kind": alert.get("kind"), "date": alert.get("date"), "series": alert.get("series"),
                       "size": pct, "size_unit": alert.get("size_unit"),
                       "members_exposed": alert.get("members_exposed", []),
                       "coverage": alert.get("coverage")}}


@audited_refusals(Action.WATCH_ESCALATE)
def escalate(store: Store, p: Principal | None, alert_id: str, note: str = "",
             shocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``open | acknowledged → escalated``: opens one workspace incident linked to the alert (same transaction).

    Needs ``watch:escalate`` and ``incident:open``.  A second escalation is a
    :class:`Conflict` (the alert is already escalated): an alert opens at most one incident.
    """
    authorize(p, Action.WATCH_ESCALATE)
    authorize(p, Action.INCIDENT_OPEN)
    assert p is not None
    with store.transaction() as repo:
        row = repo.get_alert(alert_id, lock=True)
        if row is None:
            raise NotFound(f"no alert {alert_id}")
        if row.state not in TRANSITIONS["escalate"][0]:
            raise Conflict(f"alert {alert_id} is {row.state}" + (
                f" (incident {row.incident_id})" if row.incident_id else "") + "; escalate needs it open or acknowledged")
        users = {u.id: u.name for u in repo.list_users()}
        inc = incidents.open_in(repo, p, incident_fields(alert_dict(row, users), note, shocks))
        row.incident_id = inc["id"]
        row = _move(repo, p, Action.WATCH_ESCALATE, alert_id, "escalate", note)
        return {**alert_dict(row, users), "incident": inc}


@audited_refusals(Action.WATCH_SCAN)
def failed_deliveries(store: Store, p: Principal | None) -> dict[str, list[dict[str, Any]]]:
    """Channel → the alerts whose latest delivery on it failed (dismissed alerts left out), to send again."""
    authorize(p, Action.WATCH_SCAN)
    with store.transaction() as repo:
        last: dict[tuple[str, str], str] = {}
        for d in repo.deliveries():
            last[(d.alert_id, d.channel)] = d.status
        users = {u.id: u.name for u in repo.list_users()}
        out: dict[str, list[dict[str, Any]]] = {}
        for (alert_id, channel), status in sorted(last.items()):
            row = repo.get_alert(alert_id) if status == "failed" else None
            if row is not None and row.state != "dismissed":
                out.setdefault(channel, []).append(alert_dict(row, users))
    return out


@audited_refusals(Action.WATCH_READ)
def feed(store: Store, p: Principal | None, base_url: str = "", limit: int = 100) -> dict[str, Any]:
    """The alerts as a JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/), newest first.

    Each item's ``_allychain`` holds the alert as the REST API gives it.
    """
    rows = list_alerts(store, p, limit=limit)
    items = [{"id": a["alert_id"], "url": f"{base_url}/api/ws/watch/alerts/{a['alert_id']}",
              "title": f"[{a['severity']}] {a.get('kind')} on {a.get('series')} from {a['date']} ({a['state']})",
              "content_text": _summary(a), "date_published": a["first_detected"] + "T00:00:00Z",
              "date_modified": a["updated_at"], "tags": [a["severity"], a["state"], str(a.get("kind"))],
              "_allychain": a} for a in rows]
    return {"version": "https://jsonfeed.org/version/1.1", "title": "allychain watch alerts",
            "home_page_url": f"{base_url}/ws/watch", "feed_url": f"{base_url}/api/ws/watch/alerts/feed.json",
            "items": items}


def _summary(a: Mapping[str, Any]) -> str:
    exposed = ", ".join(a.get("members_exposed") or []) or "none assessed as exposed"
    return (f"{a.get('indicator')} {a.get('flow') or ''} {a.get('reporter')}/{a.get('partner')} "
            f"(HS {a.get('hs_code') or '-'}; items {', '.join(a.get('item_ids') or []) or '-'}): {a.get('kind')} of "
            f"{a.get('size')} {a.get('size_unit') or ''} dated {a['date']}, seen {a['sightings']} time(s), last "
            f"{a['last_detected']}. Members exposed: {exposed}." + _coverage_note(a))


def _coverage_note(a: Mapping[str, Any]) -> str:
    """What the linking did not assess (a bilateral series concerns its destination only), when it says so."""
    cov = a.get("coverage")
    return f" Coverage: {cov}." if isinstance(cov, str) and cov else ""
