"""The workspace tables (SQLAlchemy 2 declarative models).

Schema changes go through the Alembic migrations in ``migrations/versions``; a
test compares these models with the migrated schema on SQLite and PostgreSQL.
Timestamps are timezone-aware UTC.  Audit records (``audit_events``) have no
foreign keys, so no cascade can ever remove them, and carry their own hash chain
(see :mod:`allychain.workspace.audit`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = ["Base", "Organisation", "User", "UserRole", "Token", "Submission", "SubmissionVersion", "AuditEvent",
           "AuditHead", "Release", "Agreement", "AgreementVersion", "Incident", "IncidentEvent", "DialogueSeries", "Meeting",
           "ActionItem", "WatchIndicator", "WatchAlert", "WatchAlertEvent", "WatchDelivery", "ORG_KINDS",
           "ALERT_STATES",
           "AGREEMENT_STATUSES", "INCIDENT_STATES", "utcnow"]

ORG_KINDS = ("government", "company", "university", "secretariat")
AGREEMENT_STATUSES = ("draft", "in_force", "expired", "suspended")
INCIDENT_STATES = ("open", "assessed", "responding", "closed")
ALERT_STATES = ("open", "acknowledged", "dismissed", "escalated")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every engine (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    __table_args__ = (CheckConstraint("kind IN ('government','company','university','secretariat')", name="kind"),)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Token(Base):
    """An API token or a dashboard session: only the SHA-256 of the secret is kept."""

    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    secret_hash: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (CheckConstraint("kind IN ('api','session')", name="kind"),)


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("org_id", "idempotency_key", name="uq_submissions_org_idempotency"),)


class SubmissionVersion(Base):
    """One immutable version of a submission: the file as uploaded and its digest."""

    __tablename__ = "submission_versions"
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    n_rows: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """One audit record; ``hash`` = H(prev_hash, canonical record).  Never updated or deleted."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(100))
    actor_org: Mapped[str | None] = mapped_column(String(64))
    auth: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    outcome: Mapped[str] = mapped_column(String(10))
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(100))
    object_org: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(100))
    digest: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_events_action_at", "action", "at"),)


class AuditHead(Base):
    """The chain's head (one row): locked by every append, so appends form one line."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


class Release(Base):
    """One published aggregate (disclosure-controlled) and what it was built from.

    ``published`` is what left (JSON rows, suppressed values null); ``record`` is the
    release-log entry of :class:`allychain.disclosure.Release` — it holds the true cell
    values (confidential, like the submissions) so that later releases are protected
    together with this one; ``sources`` lists the submission versions used.  Never
    updated or deleted.
    """

    __tablename__ = "releases"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    table: Mapped[str] = mapped_column(String(60))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    digest: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text)
    published: Mapped[str] = mapped_column(Text)
    record: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("table", "seq", name="uq_releases_table_seq"),
                      Index("ix_releases_kind_created_at", "kind", "created_at"))



class Agreement(Base):
    """An MOU or other agreement on key items: the record; its terms are in the versions.

    ``org_id`` is the organisation that registered it (the owner for ``own`` scopes);
    ``status`` mirrors the current version's status for listing.
    """

    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (CheckConstraint("status IN ('draft','in_force','expired','suspended')", name="status"),)


class AgreementVersion(Base):
    """One immutable version of an agreement's terms (canonical JSON) and its digest."""

    __tablename__ = "agreement_versions"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)


class Incident(Base):
    """A supply disruption handled as a workflow: open → assessed → responding → closed.

    ``body`` is the canonical JSON of the disrupted items/countries/firms and the shock
    estimate; what happened along the way is in ``incident_events``.
    """

    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    body: Mapped[str] = mapped_column(Text)
    __table_args__ = (CheckConstraint("state IN ('open','assessed','responding','closed')", name="state"),)


class IncidentEvent(Base):
    """One entry of an incident's timeline (transition, assessment, allocation, decision, report)."""

    __tablename__ = "incident_events"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)


class DialogueSeries(Base):
    """A dialogue series (an annual economic-security dialogue, a 2+2 ministerial …)."""

    __tablename__ = "dialogue_series"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60))
    cadence: Mapped[str] = mapped_column(String(20))
    parties: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Meeting(Base):
    """One meeting of a series: its date, participants and agenda (JSON lists)."""

    __tablename__ = "meetings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("dialogue_series.id"), index=True)
    date: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    participants: Mapped[str] = mapped_column(Text)
    agenda: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class ActionItem(Base):
    """An action item of a series (from a meeting): owner organisation, due date, status, links."""

    __tablename__ = "action_items"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("dialogue_series.id"), index=True)
    meeting_id: Mapped[str | None] = mapped_column(ForeignKey("meetings.id"))
    title: Mapped[str] = mapped_column(String(300))
    owner_org: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    due: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    links: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (CheckConstraint("status IN ('open','done','dropped')", name="status"),)


class WatchIndicator(Base):
    """One value of an indicator series (``schema/indicators.csv``); empty text for missing key parts.

    ``series`` is the readable series id of :func:`allychain.watch.indicators.series_id`; a
    series' rows share it and ``freq``.  ``value`` is NULL for a gap.
    """

    __tablename__ = "watch_indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    series: Mapped[str] = mapped_column(String(300), index=True)
    date: Mapped[str] = mapped_column(String(10))
    freq: Mapped[str] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(20))
    flow: Mapped[str] = mapped_column(String(10))
    reporter: Mapped[str] = mapped_column(String(3))
    partner: Mapped[str] = mapped_column(String(3))
    hs_code: Mapped[str] = mapped_column(String(6))
    item: Mapped[str] = mapped_column(String(500))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(200))
    stored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    __table_args__ = (UniqueConstraint("series", "freq", "date", name="uq_watch_indicators_series_freq_date"),)


class WatchAlert(Base):
    """An alert on an indicator series: one event, one row, updated by later scans.

    ``state`` moves ``open → acknowledged / dismissed / escalated`` (with who and when in
    ``state_by`` / ``state_at`` and the timeline in ``watch_alert_events``); ``body`` is the
    canonical JSON of the alert as linked to the chain (members exposed, evidence …).
    """

    __tablename__ = "watch_alerts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    series: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    date: Mapped[str] = mapped_column(String(10))
    first_detected: Mapped[str] = mapped_column(String(10))
    last_detected: Mapped[str] = mapped_column(String(10))
    sightings: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))
    state_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    body: Mapped[str] = mapped_column(Text)
    __table_args__ = (CheckConstraint("state IN ('open','acknowledged','dismissed','escalated')", name="state"),
                      CheckConstraint("severity IN ('low','medium','high')", name="severity"),
                      Index("ix_watch_alerts_state_last_detected", "state", "last_detected"))


class WatchAlertEvent(Base):
    """One entry of an alert's timeline: created, updated by a scan, a state change."""

    __tablename__ = "watch_alert_events"
    alert_id: Mapped[str] = mapped_column(ForeignKey("watch_alerts.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)


class WatchDelivery(Base):
    """One delivery of an alert to a channel (webhook, e-mail): attempts, outcome, the error if any.

    ``target`` is the webhook's address without credentials or the recipients; no secret is
    ever stored here.
    """

    __tablename__ = "watch_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("watch_alerts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(300))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str] = mapped_column(Text)
    __table_args__ = (CheckConstraint("channel IN ('webhook','email')", name="channel"),
                      CheckConstraint("status IN ('delivered','failed')", name="status"))
