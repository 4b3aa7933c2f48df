"""The audit trail: append-only, hash-chained, written in the action's transaction.

Each record holds when (UTC, microseconds), who (user, organisation, how they
authenticated, from where), what (action, outcome, object type/id/organisation),
the SHA-256 digest of what was read or written, and a JSON detail without secrets.
Its ``hash`` is SHA-256 — or HMAC-SHA256 with ``$ALLYCHAIN_AUDIT_KEY`` when set — of
the canonical JSON of the record *including* its ``seq`` and the previous record's
hash, starting from a genesis value of 64 zeros.  The chain's head (last seq and
hash) lives in a one-row table that every append locks, so concurrent writers
form one line and cutting records off the end is detected too.

:func:`verify` recomputes the chain and names the first record that was altered,
removed, inserted or reordered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from allychain.store import Repo, Store
from allychain.workspace.authz import Principal

__all__ = ["record", "verify", "export", "Verification", "GENESIS", "canonical", "chain_hash", "timestamp",
           "event_dict"]

log = logging.getLogger(__name__)

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "actor_org", "auth", "action", "outcome", "object_type", "object_id",
          "object_org", "source", "digest", "detail", "prev_hash")


def timestamp(now: dt.datetime | None = None) -> str:
    """UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (sorts as text; no floats)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _key() -> bytes | None:
    key = os.environ.get("ALLYCHAIN_AUDIT_KEY")
    return key.encode("utf-8") if key else None


def chain_hash(fields: dict[str, Any], key: bytes | None = None) -> str:
    """The record's hash over its canonical fields (which include ``prev_hash`` and ``seq``)."""
    body = canonical({k: fields[k] for k in FIELDS})
    if key:
        return hmac.new(key, body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


def record(repo: Repo, principal: Principal | None, action: str, *, outcome: str = "ok",
           object_type: str | None = None, object_id: str | None = None, object_org: str | None = None,
           digest: str | None = None, source: str | None = None, actor: str | None = None,
           **detail: Any) -> int:
    """Append one record in ``repo``'s transaction (it commits or rolls back with the action).

    ``actor`` names the account when there is no principal (a failed login).  ``detail``
    must not hold secrets.  Returns the record's ``seq``.
    """
    head = repo.audit_head()
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": timestamp(),
        "actor": principal.name if principal else actor,
        "actor_org": principal.org_id if principal else None,
        "auth": principal.auth if principal else "none",
        "action": str(action),
        "outcome": outcome,
        "object_type": object_type,
        "object_id": object_id,
        "object_org": object_org,
        "source": source if source is not None else (principal.source if principal else None) or None,
        "digest": digest,
        "detail": canonical(detail).decode("utf-8"),
        "prev_hash": head.hash,
    }
    fields["hash"] = chain_hash(fields, _key())
    repo.audit_append(head, fields)
    return int(fields["seq"])


def record_alone(store: Store, principal: Principal | None, action: str, **kw: Any) -> None:
    """Record an event in a transaction of its own (refusals and failed logins, whose
    request transaction is rolled back)."""
    try:
        with store.transaction() as repo:
            record(repo, principal, action, **kw)
    except Exception:  # noqa: BLE001 - a failed refusal record must not hide the refusal itself
        log.exception("could not record the audit event %s", action)


def event_dict(ev: Any) -> dict[str, Any]:
    out = {k: getattr(ev, k) for k in FIELDS}
    out["detail"] = json.loads(ev.detail) if ev.detail else {}
    out["hash"] = ev.hash
    return out


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: ``ok``, records checked, and the first bad record."""

    ok: bool
    records: int
    head_seq: int
    bad_seq: int | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records, "head_seq": self.head_seq, "bad_seq": self.bad_seq,
                "reason": self.reason}


def _rows(store: Store, batch: int = 5000) -> Iterator[Any]:
    after = 0
    while True:
        with store.transaction() as repo:
            rows = repo.audit_events(after=after, limit=batch)
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(store: Store) -> Verification:
    """Recompute the chain from genesis; report the first record altered, removed or reordered."""
    key = _key()
    prev_hash, expected_seq, n = GENESIS, 1, 0
    for ev in _rows(store):
        fields = {k: getattr(ev, k) for k in FIELDS}
        if ev.seq != expected_seq:
            return Verification(False, n, expected_seq - 1, expected_seq,
                                f"record {expected_seq} is missing (the next stored record is {ev.seq})")
        if chain_hash(fields, key) != ev.hash:
            hint = " (or ALLYCHAIN_AUDIT_KEY differs from the one it was written with)" if ev.seq == 1 else ""
            return Verification(False, n, ev.seq, ev.seq,
                                f"record {ev.seq} was altered: its content does not match its hash{hint}")
        if ev.prev_hash != prev_hash:
            return Verification(False, n, ev.seq, ev.seq,
                                f"record {ev.seq} does not follow record {ev.seq - 1}: the chain was reordered "
                                "or a record was replaced")
        prev_hash, expected_seq, n = ev.hash, expected_seq + 1, n + 1
    with store.transaction() as repo:
        head = repo.head_row()
        head_seq, head_hash = (head.seq, head.hash) if head is not None else (None, None)
    if head_seq != n or head_hash != prev_hash:
        return Verification(False, n, n, n + 1,
                            f"the chain ends at record {n} but its head says record {head_seq}: records after "
                            f"{n} were removed (or the head was altered)")
    return Verification(True, n, n)


def export(store: Store) -> Iterator[dict[str, Any]]:
    """Every audit record in order, as dicts (for JSON lines)."""
    for ev in _rows(store):
        yield event_dict(ev)
