"""Repositories: the only code that queries the workspace tables.

A :class:`Repo` wraps one database transaction (see :meth:`Store.transaction`);
the services in :mod:`allychain.workspace` call its methods and never see SQL.
Objects returned stay readable after the transaction ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from allychain.errors import Conflict
from allychain.store.models import (
    ActionItem,
    Agreement,
    AgreementVersion,
    AuditEvent,
    AuditHead,
    DialogueSeries,
    Incident,
    IncidentEvent,
    Meeting,
    Organisation,
    Release,
    Submission,
    SubmissionVersion,
    Token,
    User,
    UserRole,
    WatchAlert,
    WatchAlertEvent,
    WatchDelivery,
    WatchIndicator,
)

__all__ = ["Repo", "Store"]


class Store:
    """A workspace database: its engine and a factory of transactions.

    Use :func:`allychain.store.open_store` to get one.
    """

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Repo]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        session = self._sessions()
        try:
            with session.begin():
                yield Repo(session)
        except IntegrityError as exc:
            raise Conflict(f"the change conflicts with stored data ({type(exc.orig).__name__})") from None
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


class Repo:
    """Queries and inserts of one transaction."""

    def __init__(self, session: Session) -> None:
        self.s = session

    # organisations -----------------------------------------------------------------
    def add_org(self, org: Organisation) -> Organisation:
        self.s.add(org)
        self.s.flush()
        return org

    def get_org(self, org_id: str) -> Organisation | None:
        return self.s.get(Organisation, org_id)

    def list_orgs(self, org_id: str | None = None) -> Sequence[Organisation]:
        q = select(Organisation).order_by(Organisation.id)
        if org_id is not None:
            q = q.where(Organisation.id == org_id)
        return self.s.scalars(q).all()

    # users and roles ---------------------------------------------------------------
    def add_user(self, user: User) -> User:
        self.s.add(user)
        self.s.flush()
        return user

    def get_user(self, user_id: int) -> User | None:
        return self.s.get(User, user_id)

    def user_by_name(self, name: str) -> User | None:
        return self.s.scalars(select(User).where(User.name == name)).first()

    def list_users(self, org_id: str | None = None) -> Sequence[User]:
        q = select(User).order_by(User.name)
        if org_id is not None:
            q = q.where(User.org_id == org_id)
        return self.s.scalars(q).all()

    def roles_of(self, user_id: int) -> list[str]:
        return sorted(self.s.scalars(select(UserRole.role).where(UserRole.user_id == user_id)).all())

    def grant(self, user_id: int, role: str, at: dt.datetime) -> bool:
        if self.s.get(UserRole, (user_id, role)) is not None:
            return False
        self.s.add(UserRole(user_id=user_id, role=role, granted_at=at))
        self.s.flush()
        return True

    def revoke_role(self, user_id: int, role: str) -> bool:
        row = self.s.get(UserRole, (user_id, role))
        if row is None:
            return False
        self.s.delete(row)
        self.s.flush()
        return True

    def count_users(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(User)) or 0)

    # tokens and sessions -----------------------------------------------------------
    def add_token(self, token: Token) -> Token:
        self.s.add(token)
        self.s.flush()
        return token

    def get_token(self, token_id: str) -> Token | None:
        return self.s.get(Token, token_id)

    def list_tokens(self, user_id: int, kind: str = "api") -> Sequence[Token]:
        q = select(Token).where(Token.user_id == user_id, Token.kind == kind).order_by(Token.created_at)
        return self.s.scalars(q).all()

    # submissions -------------------------------------------------------------------
    def add_submission(self, sub: Submission, version: SubmissionVersion) -> None:
        self.s.add(sub)
        self.s.flush()
        self.s.add(version)
        self.s.flush()

    def get_submission(self, sub_id: str, lock: bool = False) -> Submission | None:
        q = select(Submission).where(Submission.id == sub_id)
        if lock:
            q = q.with_for_update()
        return self.s.scalars(q).first()

    def by_idempotency_key(self, org_id: str, key: str) -> Submission | None:
        q = select(Submission).where(Submission.org_id == org_id, Submission.idempotency_key == key)
        return self.s.scalars(q).first()

    def list_submissions(self, org_id: str | None = None, kind: str | None = None,
                         include_withdrawn: bool = True) -> Sequence[Submission]:
        q = select(Submission).order_by(Submission.created_at, Submission.id)
        if org_id is not None:
            q = q.where(Submission.org_id == org_id)
        if kind is not None:
            q = q.where(Submission.kind == kind)
        if not include_withdrawn:
            q = q.where(Submission.withdrawn_at.is_(None))
        return self.s.scalars(q).all()

    def add_version(self, sub: Submission, version: SubmissionVersion) -> None:
        self.s.add(version)
        sub.current_version = version.version
        self.s.flush()

    def versions(self, sub_id: str) -> Sequence[SubmissionVersion]:
        q = select(SubmissionVersion).where(SubmissionVersion.submission_id == sub_id).order_by(
            SubmissionVersion.version)
        return self.s.scalars(q).all()

    def get_version(self, sub_id: str, version: int) -> SubmissionVersion | None:
        return self.s.get(SubmissionVersion, (sub_id, version))

    def current_versions(self, kind: str) -> Sequence[tuple[Submission, SubmissionVersion]]:
        """The latest version of every submission of ``kind`` not withdrawn."""
        q = (select(Submission, SubmissionVersion)
             .join(SubmissionVersion, (SubmissionVersion.submission_id == Submission.id)
                   & (SubmissionVersion.version == Submission.current_version))
             .where(Submission.kind == kind, Submission.withdrawn_at.is_(None))
             .order_by(Submission.org_id, Submission.created_at, Submission.id))
        return [(a, b) for a, b in self.s.execute(q).all()]

    def flush(self) -> None:
        self.s.flush()

    # releases of disclosure-controlled aggregates --------------------------------
    def add_release(self, rel: Release) -> Release:
        self.s.add(rel)
        self.s.flush()
        return rel

    def releases(self, kind: str | None = None, table: str | None = None) -> Sequence[Release]:
        """Releases, oldest first (of one ``kind`` / ``table`` when given)."""
        q = select(Release).order_by(Release.created_at, Release.seq)
        if kind is not None:
            q = q.where(Release.kind == kind)
        if table is not None:
            q = q.where(Release.table == table)
        return self.s.scalars(q).all()

    def get_release(self, release_id: str) -> Release | None:
        return self.s.get(Release, release_id)

    # agreements --------------------------------------------------------------------
    def add_agreement(self, agr: Agreement, version: AgreementVersion) -> None:
        self.s.add(agr)
        self.s.flush()
        self.s.add(version)
        self.s.flush()

    def get_agreement(self, agr_id: str, lock: bool = False) -> Agreement | None:
        q = select(Agreement).where(Agreement.id == agr_id)
        if lock:
            q = q.with_for_update()
        return self.s.scalars(q).first()

    def add_agreement_version(self, agr: Agreement, version: AgreementVersion) -> None:
        self.s.add(version)
        agr.current_version, agr.status = version.version, version.status
        self.s.flush()

    def agreement_versions(self, agr_id: str) -> Sequence[AgreementVersion]:
        q = select(AgreementVersion).where(AgreementVersion.agreement_id == agr_id).order_by(
            AgreementVersion.version)
        return self.s.scalars(q).all()

    def current_agreements(self, status: str | None = None) -> Sequence[tuple[Agreement, AgreementVersion]]:
        """Every agreement with its current version (of one ``status`` when given), by id."""
        q = (select(Agreement, AgreementVersion)
             .join(AgreementVersion, (AgreementVersion.agreement_id == Agreement.id)
                   & (AgreementVersion.version == Agreement.current_version))
             .order_by(Agreement.id))
        if status is not None:
            q = q.where(Agreement.status == status)
        return [(a, b) for a, b in self.s.execute(q).all()]

    # incidents ---------------------------------------------------------------------
    def add_incident(self, inc: Incident) -> Incident:
        self.s.add(inc)
        self.s.flush()
        return inc

    def get_incident(self, inc_id: str, lock: bool = False) -> Incident | None:
        q = select(Incident).where(Incident.id == inc_id)
        if lock:
            q = q.with_for_update()
        return self.s.scalars(q).first()

    def list_incidents(self, org_id: str | None = None) -> Sequence[Incident]:
        q = select(Incident).order_by(Incident.opened_at, Incident.id)
        if org_id is not None:
            q = q.where(Incident.org_id == org_id)
        return self.s.scalars(q).all()

    def add_incident_event(self, inc_id: str, fields: dict[str, Any]) -> IncidentEvent:
        last = self.s.scalar(select(func.max(IncidentEvent.seq)).where(IncidentEvent.incident_id == inc_id))
        ev = IncidentEvent(incident_id=inc_id, seq=int(last or 0) + 1, **fields)
        self.s.add(ev)
        self.s.flush()
        return ev

    def incident_events(self, inc_id: str) -> Sequence[IncidentEvent]:
        q = select(IncidentEvent).where(IncidentEvent.incident_id == inc_id).order_by(IncidentEvent.seq)
        return self.s.scalars(q).all()

    # dialogues ---------------------------------------------------------------------
    def add(self, obj: Any) -> Any:
        """Insert one new row (a dialogue series, meeting or action item)."""
        self.s.add(obj)
        self.s.flush()
        return obj

    def get_series(self, series_id: str) -> DialogueSeries | None:
        return self.s.get(DialogueSeries, series_id)

    def list_series(self) -> Sequence[DialogueSeries]:
        return self.s.scalars(select(DialogueSeries).order_by(DialogueSeries.id)).all()

    def get_meeting(self, meeting_id: str) -> Meeting | None:
        return self.s.get(Meeting, meeting_id)

    def meetings(self, series_id: str) -> Sequence[Meeting]:
        q = select(Meeting).where(Meeting.series_id == series_id).order_by(Meeting.date, Meeting.id)
        return self.s.scalars(q).all()

    def get_action(self, action_id: str, lock: bool = False) -> ActionItem | None:
        q = select(ActionItem).where(ActionItem.id == action_id)
        if lock:
            q = q.with_for_update()
        return self.s.scalars(q).first()

    def actions(self, series_id: str) -> Sequence[ActionItem]:
        q = select(ActionItem).where(ActionItem.series_id == series_id).order_by(ActionItem.due, ActionItem.id)
        return self.s.scalars(q).all()

    # watch: indicator series, alerts, deliveries -----------------------------------
    def watch_rows(self, series: Sequence[str] | None = None) -> Sequence[WatchIndicator]:
        """Indicator rows (of ``series`` when given), by series and date."""
        q = select(WatchIndicator).order_by(WatchIndicator.series, WatchIndicator.freq, WatchIndicator.date)
        if series is None:
            return self.s.scalars(q).all()
        names = sorted(set(series))
        out: list[WatchIndicator] = []
        for i in range(0, len(names), 500):   # bounded IN lists (SQLite and PostgreSQL limit bound parameters)
            out.extend(self.s.scalars(q.where(WatchIndicator.series.in_(names[i:i + 500]))).all())
        return out

    def watch_keys(self, series: Sequence[str]) -> list[tuple[int, str, str, str]]:
        """(id, series, freq, date) of the stored rows of ``series`` (plain tuples: no objects to track)."""
        names = sorted(set(series))
        q = select(WatchIndicator.id, WatchIndicator.series, WatchIndicator.freq, WatchIndicator.date)
        out: list[tuple[int, str, str, str]] = []
        for i in range(0, len(names), 500):
            out.extend((int(a), b, c, d) for a, b, c, d in self.s.execute(
                q.where(WatchIndicator.series.in_(names[i:i + 500]))).all())
        return out

    def watch_replace_rows(self, old_ids: Sequence[int], new: Sequence[dict[str, Any]]) -> None:
        """Delete the rows ``old_ids`` and insert ``new`` ones (the unique key holds at the end)."""
        table = cast(Table, WatchIndicator.__table__)
        ids = list(old_ids)
        for i in range(0, len(ids), 1000):
            self.s.execute(delete(table).where(table.c.id.in_(ids[i:i + 1000])))
        if new:
            self.s.execute(insert(table), list(new))
        self.s.flush()

    def watch_values(self, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """``columns`` of every stored indicator row (plain tuples), by series and date."""
        table = cast(Table, WatchIndicator.__table__)
        q = select(*[table.c[c] for c in columns]).order_by(table.c.series, table.c.freq, table.c.date)
        return [tuple(r) for r in self.s.execute(q).all()]

    def watch_series(self) -> list[tuple[str, str, int, str, str]]:
        """(series, freq, rows, first date, last date) of every stored series."""
        q = (select(WatchIndicator.series, WatchIndicator.freq, func.count(), func.min(WatchIndicator.date),
                    func.max(WatchIndicator.date))
             .group_by(WatchIndicator.series, WatchIndicator.freq).order_by(WatchIndicator.series))
        return [(a, b, int(c), d, e) for a, b, c, d, e in self.s.execute(q).all()]

    def get_alert(self, alert_id: str, lock: bool = False) -> WatchAlert | None:
        q = select(WatchAlert).where(WatchAlert.id == alert_id)
        if lock:
            q = q.with_for_update()
        return self.s.scalars(q).first()

    def alerts_for(self, series: Sequence[str], ids: Sequence[str], lock: bool = False) -> list[WatchAlert]:
        """Stored alerts on any of ``series`` or with any of ``ids`` (locked when asked), by date."""
        found: dict[str, WatchAlert] = {}
        for col, values in ((WatchAlert.series, sorted(set(series))), (WatchAlert.id, sorted(set(ids)))):
            for i in range(0, len(values), 500):
                q = select(WatchAlert).where(col.in_(values[i:i + 500]))
                if lock:
                    q = q.with_for_update()
                found.update((r.id, r) for r in self.s.scalars(q).all())
        return sorted(found.values(), key=lambda r: (r.date, r.id))

    def list_alerts(self, state: str | None = None, severity: str | None = None, series: str | None = None,
                    limit: int | None = None) -> Sequence[WatchAlert]:
        """Alerts, newest sighting first."""
        q = select(WatchAlert).order_by(WatchAlert.last_detected.desc(), WatchAlert.id)
        if state is not None:
            q = q.where(WatchAlert.state == state)
        if severity is not None:
            q = q.where(WatchAlert.severity == severity)
        if series is not None:
            q = q.where(WatchAlert.series == series)
        if limit is not None:
            q = q.limit(limit)
        return self.s.scalars(q).all()

    def add_alert_event(self, alert_id: str, fields: dict[str, Any]) -> WatchAlertEvent:
        last = self.s.scalar(select(func.max(WatchAlertEvent.seq)).where(WatchAlertEvent.alert_id == alert_id))
        ev = WatchAlertEvent(alert_id=alert_id, seq=int(last or 0) + 1, **fields)
        self.s.add(ev)
        self.s.flush()
        return ev

    def alert_events(self, alert_id: str) -> Sequence[WatchAlertEvent]:
        q = select(WatchAlertEvent).where(WatchAlertEvent.alert_id == alert_id).order_by(WatchAlertEvent.seq)
        return self.s.scalars(q).all()

    def deliveries(self, alert_id: str | None = None) -> Sequence[WatchDelivery]:
        q = select(WatchDelivery).order_by(WatchDelivery.id)
        if alert_id is not None:
            q = q.where(WatchDelivery.alert_id == alert_id)
        return self.s.scalars(q).all()

    # audit trail -------------------------------------------------------------------
    def audit_head(self) -> AuditHead:
        """The chain's head, locked until the transaction ends (appends queue here)."""
        head = self.s.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
        if head is None:
            raise Conflict("the audit head record is missing: the workspace database is damaged")
        return head

    def audit_append(self, head: AuditHead, fields: dict[str, Any]) -> None:
        self.s.add(AuditEvent(**fields))
        head.seq, head.hash = fields["seq"], fields["hash"]
        self.s.flush()

    def audit_events(self, after: int = 0, limit: int | None = None, actor: str | None = None,
                     action: str | None = None, since: str | None = None) -> Sequence[AuditEvent]:
        q = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
        if actor is not None:
            q = q.where(AuditEvent.actor == actor)
        if action is not None:
            q = q.where(AuditEvent.action == action)
        if since is not None:
            q = q.where(AuditEvent.at >= since)
        if limit is not None:
            q = q.limit(limit)
        return self.s.scalars(q).all()

    def count_events(self, action: str, actor: str, outcome: str, since: str) -> int:
        q = select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.actor == actor, AuditEvent.outcome == outcome,
            AuditEvent.at >= since)
        return int(self.s.scalar(q) or 0)

    def head_row(self) -> Any:
        return self.s.get(AuditHead, 1)
