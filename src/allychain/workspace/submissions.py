"""Confidential submissions: upload, correct (new version), withdraw, list, read.

A submission belongs to its organisation and has immutable versions; a correction
is a new version, a withdrawal marks it withdrawn (it stops being used; the record
and its versions remain).  Every write and every read of the data is audited in the
same transaction.  A caller who may see only its own organisation's submissions and
asks for another's gets the same :class:`NotFound` as for a missing one.

:func:`current_rows` is the server-side entry point for disclosure control: the
current (latest, not withdrawn) rows of every organisation, with who contributed
them, for code that publishes only protected aggregates.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from typing import Any

from allychain.errors import Conflict, NotFound, PreconditionFailed
from allychain.store import Store
from allychain.store.models import Submission, SubmissionVersion, utcnow
from allychain.workspace import audit
from allychain.workspace.authz import Action, Principal, Scope, authorize, load_scoped
from allychain.workspace.guard import audited_refusals
from allychain.workspace.validation import KINDS, validate_submission

__all__ = ["submit", "correct", "withdraw", "list_submissions", "get_submission", "current_rows", "etag"]


def etag(sub_id: str, version: int) -> str:
    """The HTTP entity tag of a submission at ``version``."""
    return f'"{sub_id}.v{version}"'


def _meta(sub: Submission, versions: list[SubmissionVersion] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": sub.id, "organisation": sub.org_id, "kind": sub.kind, "version": sub.current_version,
        "created_at": sub.created_at.isoformat(),
        "withdrawn_at": sub.withdrawn_at.isoformat() if sub.withdrawn_at else None,
        "status": "withdrawn" if sub.withdrawn_at else "current", "etag": etag(sub.id, sub.current_version),
    }
    if versions is not None:
        out["versions"] = [{"version": v.version, "created_at": v.created_at.isoformat(), "filename": v.filename,
                            "digest": v.digest, "size_bytes": v.size_bytes, "rows": v.n_rows} for v in versions]
    return out


def _version(sub_id: str, number: int, p: Principal, data: bytes, filename: str, n_rows: int) -> SubmissionVersion:
    return SubmissionVersion(submission_id=sub_id, version=number, created_at=utcnow(), created_by=p.user_id,
                             filename=filename[:200], digest=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                             n_rows=n_rows, content=data.decode("utf-8-sig"))


def _load(repo: Any, p: Principal | None, action: Action, sub_id: str, lock: bool = False) -> Submission:
    return load_scoped(p, action, "submission", sub_id, lambda: repo.get_submission(sub_id, lock=lock))


@audited_refusals(Action.SUBMISSION_CREATE)
def submit(store: Store, p: Principal | None, kind: str, data: bytes, filename: str = "upload.csv",
           idempotency_key: str | None = None, reference: str = "builtin") -> dict[str, Any]:
    """Store a new submission of ``kind`` for the caller's organisation (validated first).

    With ``idempotency_key`` a retried request returns the submission the first one
    created (``created`` false) instead of storing a duplicate.

    Raises
    ------
    DataError
        Every problem of the file (nothing is stored).
    """
    authorize(p, Action.SUBMISSION_CREATE)
    assert p is not None
    if idempotency_key is not None:
        idempotency_key = idempotency_key[:100]
        with store.transaction() as repo:
            old = repo.by_idempotency_key(p.org_id, idempotency_key)
            if old is not None:
                return {**_meta(old), "created": False}
    df = validate_submission(kind, data, filename, reference)
    sub_id = "s" + secrets.token_hex(8)
    try:
        with store.transaction() as repo:
            now = utcnow()
            sub = Submission(id=sub_id, org_id=p.org_id, kind=kind, current_version=1, created_at=now,
                             created_by=p.user_id, idempotency_key=idempotency_key)
            ver = _version(sub_id, 1, p, data, filename, len(df))
            repo.add_submission(sub, ver)
            audit.record(repo, p, Action.SUBMISSION_CREATE, object_type="submission", object_id=sub_id,
                         object_org=p.org_id, digest=ver.digest, kind=kind, version=1, rows=len(df))
    except Conflict:
        if idempotency_key is None:
            raise
        with store.transaction() as repo:  # the same key raced in from a concurrent request: answer with its result
            old = repo.by_idempotency_key(p.org_id, idempotency_key)
        if old is None:
            raise
        return {**_meta(old), "created": False}
    return {**_meta(sub), "digest": ver.digest, "rows": len(df), "created": True}


@audited_refusals(Action.SUBMISSION_CORRECT)
def correct(store: Store, p: Principal | None, sub_id: str, data: bytes, filename: str = "upload.csv",
            expected_version: int | None = None, reference: str = "builtin") -> dict[str, Any]:
    """Store a corrected version; ``expected_version`` (from If-Match) must be the current one.

    Raises
    ------
    PreconditionFailed
        Someone stored another version since ``expected_version`` (no lost update).
    Conflict
        The submission is withdrawn.
    """
    with store.transaction() as repo:
        sub = _load(repo, p, Action.SUBMISSION_CORRECT, sub_id)
        kind = sub.kind
    assert p is not None
    df = validate_submission(kind, data, filename, reference)
    with store.transaction() as repo:
        sub = _load(repo, p, Action.SUBMISSION_CORRECT, sub_id, lock=True)
        if sub.withdrawn_at is not None:
            raise Conflict(f"submission {sub_id} is withdrawn; submit a new one instead")
        if expected_version is not None and expected_version != sub.current_version:
            raise PreconditionFailed(f"submission {sub_id} is at version {sub.current_version}, not "
                                     f"{expected_version}: read it again and reapply the correction")
        ver = _version(sub_id, sub.current_version + 1, p, data, filename, len(df))
        repo.add_version(sub, ver)
        audit.record(repo, p, Action.SUBMISSION_CORRECT, object_type="submission", object_id=sub_id,
                     object_org=sub.org_id, digest=ver.digest, kind=kind, version=ver.version, rows=len(df))
    return {**_meta(sub), "digest": ver.digest, "rows": len(df), "created": True}


@audited_refusals(Action.SUBMISSION_WITHDRAW)
def withdraw(store: Store, p: Principal | None, sub_id: str, expected_version: int | None = None) -> dict[str, Any]:
    """Mark a submission withdrawn (idempotent; the record and its versions remain)."""
    with store.transaction() as repo:
        sub = _load(repo, p, Action.SUBMISSION_WITHDRAW, sub_id, lock=True)
        if expected_version is not None and expected_version != sub.current_version:
            raise PreconditionFailed(f"submission {sub_id} is at version {sub.current_version}, not "
                                     f"{expected_version}")
        if sub.withdrawn_at is None:
            assert p is not None
            sub.withdrawn_at, sub.withdrawn_by = utcnow(), p.user_id
            repo.flush()
            audit.record(repo, p, Action.SUBMISSION_WITHDRAW, object_type="submission", object_id=sub_id,
                         object_org=sub.org_id, version=sub.current_version)
        return _meta(sub)


@audited_refusals(Action.SUBMISSION_LIST)
def list_submissions(store: Store, p: Principal | None, kind: str | None = None,
                     include_withdrawn: bool = True) -> list[dict[str, Any]]:
    """Submissions the caller may see (metadata only): its organisation's, or all for ``any``."""
    scope = authorize(p, Action.SUBMISSION_LIST)
    assert p is not None
    with store.transaction() as repo:
        subs = repo.list_submissions(None if scope is Scope.ANY else p.org_id, kind, include_withdrawn)
        return [_meta(s) for s in subs]


@audited_refusals(Action.SUBMISSION_READ)
def get_submission(store: Store, p: Principal | None, sub_id: str, version: int | None = None) -> dict[str, Any]:
    """A submission with its versions and the data of ``version`` (default: current) — audited."""
    with store.transaction() as repo:
        sub = _load(repo, p, Action.SUBMISSION_READ, sub_id)
        versions = list(repo.versions(sub_id))
        number = sub.current_version if version is None else version
        ver = next((v for v in versions if v.version == number), None)
        if ver is None:
            raise NotFound(f"submission {sub_id} has no version {number}")
        audit.record(repo, p, Action.SUBMISSION_READ, object_type="submission", object_id=sub_id,
                     object_org=sub.org_id, digest=ver.digest, version=number)
        return {**_meta(sub, versions), "data": {"version": number, "filename": ver.filename,
                                                  "digest": ver.digest, "csv": ver.content}}


@audited_refusals(Action.SUBMISSION_AGGREGATE)
def current_rows(store: Store, p: Principal | None, kind: str) -> Any:
    """The current rows of every organisation's submissions of ``kind`` (server side only).

    For disclosure control: the latest version of each submission not withdrawn,
    typed by the boundary tier, with columns ``organisation``, ``organisation_kind``,
    ``organisation_country``, ``submission_id`` and ``version`` added.  The read is
    audited with the digest of every version it used.

    Returns
    -------
    pandas.DataFrame
        One row per submitted row (columns of ``schema/submissions.csv`` for ``kind``).
    """
    import pandas as pd

    from allychain import schema
    from allychain.data.csvread import parse_text_csv
    from allychain.model.validate import ROW, coerce_table

    authorize(p, Action.SUBMISSION_AGGREGATE)
    if kind not in KINDS:
        raise NotFound(f"no submission kind {kind!r}; expected one of {', '.join(KINDS)}")
    frames = []
    with store.transaction() as repo:
        pairs = repo.current_versions(kind)
        orgs = {o.id: o for o in repo.list_orgs()}
        digests = []
        for sub, ver in pairs:
            raw = parse_text_csv(ver.content.encode("utf-8"), ver.filename)
            df, _ = coerce_table(kind, raw, ver.filename)
            df = df.drop(columns=[ROW])[schema.columns(kind)]
            org = orgs[sub.org_id]
            df = df.assign(organisation=org.id, organisation_kind=org.kind, organisation_country=org.country,
                           submission_id=sub.id, version=ver.version)
            frames.append(df)
            digests.append(ver.digest)
        combined = hashlib.sha256(io.StringIO("\n".join(digests)).getvalue().encode()).hexdigest()
        audit.record(repo, p, Action.SUBMISSION_AGGREGATE, object_type="submissions", object_id=kind,
                     digest=combined, submissions=len(pairs), organisations=len({s.org_id for s, _ in pairs}))
    cols = [*schema.columns(kind), "organisation", "organisation_kind", "organisation_country", "submission_id",
            "version"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
