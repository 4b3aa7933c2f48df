"""The audit trail as a service: read, verify, export — each behind the permission matrix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from allychain.store import Store
from allychain.workspace import audit
from allychain.workspace.authz import Action, Principal, authorize
from allychain.workspace.guard import audited_refusals

__all__ = ["read_events", "verify_chain", "export_chain"]


@audited_refusals(Action.AUDIT_READ)
def read_events(store: Store, p: Principal | None, after: int = 0, limit: int = 100, actor: str | None = None,
                action: str | None = None) -> list[dict[str, Any]]:
    """Audit records after ``after`` (at most ``limit``), oldest first; the read itself is audited."""
    authorize(p, Action.AUDIT_READ)
    limit = max(1, min(limit, 1000))
    with store.transaction() as repo:
        rows = [audit.event_dict(e) for e in repo.audit_events(after=after, limit=limit, actor=actor,
                                                                action=action)]
        audit.record(repo, p, Action.AUDIT_READ, object_type="audit", object_id=f"after:{after}",
                     records=len(rows))
    return rows


@audited_refusals(Action.AUDIT_VERIFY)
def verify_chain(store: Store, p: Principal | None) -> audit.Verification:
    """Check the whole chain (see :func:`allychain.workspace.audit.verify`); the check is recorded."""
    authorize(p, Action.AUDIT_VERIFY)
    result = audit.verify(store)
    if result.ok:  # a broken chain is reported, not extended
        with store.transaction() as repo:
            audit.record(repo, p, Action.AUDIT_VERIFY, object_type="audit", records=result.records)
    return result


@audited_refusals(Action.AUDIT_EXPORT)
def export_chain(store: Store, p: Principal | None) -> Iterator[dict[str, Any]]:
    """Every record, oldest first (JSON-ready dicts); the export is recorded first."""
    authorize(p, Action.AUDIT_EXPORT)
    with store.transaction() as repo:
        audit.record(repo, p, Action.AUDIT_EXPORT, object_type="audit")
    return audit.export(store)
