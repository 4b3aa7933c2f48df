"""Organisations, users, roles, API tokens, passwords and dashboard sessions.

Passwords are hashed with argon2id (argon2-cffi); API tokens and session secrets
are random, shown once and kept only as SHA-256 digests, always with an expiry;
revoking sets ``revoked_at`` (the row stays, for the record).  A token reads
``ally_<id>_<secret>``: the id finds the row, the secret is compared in constant
time.  Every change here is audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from typing import Any

from allychain.errors import AuthenticationError, Conflict, NotFound, TooManyAttempts, WorkspaceError
from allychain.store import Store
from allychain.store.models import ORG_KINDS, Organisation, Token, User, utcnow
from allychain.workspace import audit
from allychain.workspace.authz import ROLES, Action, Principal, Scope, authorize, role_org_kinds
from allychain.workspace.guard import audited_refusals

__all__ = ["bootstrap", "add_org", "list_orgs", "add_user", "list_users", "grant_role", "revoke_role",
           "create_token", "list_tokens", "revoke_token", "authenticate_token", "login", "authenticate_session",
           "logout", "whoami", "TOKEN_DAYS", "SESSION_HOURS", "MAX_FAILED_LOGINS", "LOCKOUT_MINUTES"]

log = logging.getLogger(__name__)

TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366
SESSION_HOURS = 12
MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD = 12
_ORG_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
_TOKEN = re.compile(r"^ally_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current (RFC 9106 low-memory) parameters


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret(repo: Any, user_id: int, kind: str, lifetime: dt.timedelta, description: str) -> tuple[Token, str]:
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = repo.add_token(Token(id=token_id, user_id=user_id, kind=kind, secret_hash=_digest(secret),
                               description=description[:200], created_at=now, expires_at=now + lifetime))
    return row, f"ally_{token_id}_{secret}"


def _token_dict(t: Token) -> dict[str, Any]:
    return {"id": t.id, "description": t.description, "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat(), "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None}


def _principal(repo: Any, user: User, auth: str, source: str, token_id: str | None = None) -> Principal:
    return Principal(user_id=user.id, name=user.name, org_id=user.org_id, roles=frozenset(repo.roles_of(user.id)),
                     auth=auth, source=source, token_id=token_id)


def _check_role(repo: Any, role: str, org: Organisation) -> None:
    if role not in ROLES:
        raise WorkspaceError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    kinds = role_org_kinds()[role]
    if kinds and org.kind not in kinds:
        raise WorkspaceError(f"role {role} is only for {' or '.join(sorted(kinds))} organisations; "
                             f"{org.id} is a {org.kind}")


def _check_org(org_id: str, kind: str, country: str | None) -> None:
    if not _ORG_ID.match(org_id):
        raise WorkspaceError(f"organisation id {org_id!r}: expected 2-64 lower-case letters, digits, '-' or '_'")
    if kind not in ORG_KINDS:
        raise WorkspaceError(f"organisation kind {kind!r}: expected one of {', '.join(ORG_KINDS)}")
    if country is not None:
        from allychain.model.members import is_iso3

        if not is_iso3(country):
            raise WorkspaceError(f"country {country!r}: expected an ISO 3166 alpha-3 code such as KOR or NLD")


def _check_password(password: str | None) -> str | None:
    if password is None:
        return None
    if len(password) < MIN_PASSWORD:
        raise WorkspaceError(f"the password is too short: at least {MIN_PASSWORD} characters are needed")
    return str(_hasher().hash(password))


def bootstrap(store: Store, admin: str = "admin", org_id: str = "secretariat", org_name: str = "Secretariat",
              country: str | None = None, password: str | None = None, source: str = "cli") -> dict[str, Any]:
    """Create the secretariat and its first admin in an empty workspace; returns the admin's token (once).

    Raises
    ------
    Conflict
        If the workspace already has users.
    """
    _check_org(org_id, "secretariat", country)
    if not _USER.match(admin):
        raise WorkspaceError(f"user name {admin!r}: expected 2-100 letters, digits, '.', '_', '@' or '-'")
    pw_hash = _check_password(password)
    with store.transaction() as repo:
        if repo.count_users():
            raise Conflict("the workspace already has users; ask an admin for an account")
        now = utcnow()
        org = repo.get_org(org_id) or repo.add_org(Organisation(id=org_id, name=org_name, kind="secretariat",
                                                                country=country, created_at=now))
        user = repo.add_user(User(name=admin, org_id=org.id, password_hash=pw_hash, disabled=False,
                                  created_at=now))
        repo.grant(user.id, "admin", now)
        tok, secret = _new_secret(repo, user.id, "api", dt.timedelta(days=TOKEN_DAYS), "created by workspace init")
        audit.record(repo, None, "workspace:init", actor=admin, object_type="user", object_id=admin,
                     object_org=org.id, source=source, roles=["admin"], token_id=tok.id)
    return {"user": admin, "organisation": org_id, "roles": ["admin"], "token": secret, "token_id": tok.id,
            "expires_at": tok.expires_at.isoformat()}


@audited_refusals(Action.ORG_CREATE)
def add_org(store: Store, p: Principal | None, org_id: str, name: str, kind: str,
            country: str | None = None) -> dict[str, Any]:
    authorize(p, Action.ORG_CREATE)
    _check_org(org_id, kind, country)
    with store.transaction() as repo:
        if repo.get_org(org_id) is not None:
            raise Conflict(f"organisation {org_id} already exists")
        org = repo.add_org(Organisation(id=org_id, name=name, kind=kind, country=country, created_at=utcnow()))
        audit.record(repo, p, Action.ORG_CREATE, object_type="organisation", object_id=org_id, object_org=org_id,
                     kind=kind, country=country, name=name)
    return _org_dict(org)


def _org_dict(o: Organisation) -> dict[str, Any]:
    return {"id": o.id, "name": o.name, "kind": o.kind, "country": o.country, "created_at": o.created_at.isoformat()}


@audited_refusals(Action.ORG_LIST)
def list_orgs(store: Store, p: Principal | None) -> list[dict[str, Any]]:
    scope = authorize(p, Action.ORG_LIST)
    assert p is not None
    with store.transaction() as repo:
        return [_org_dict(o) for o in repo.list_orgs(None if scope is Scope.ANY else p.org_id)]


@audited_refusals(Action.USER_CREATE)
def add_user(store: Store, p: Principal | None, name: str, org_id: str, roles: list[str],
             password: str | None = None, token_days: int = TOKEN_DAYS) -> dict[str, Any]:
    """Create a user with ``roles`` and a first API token (returned once, in ``token``)."""
    authorize(p, Action.USER_CREATE)
    authorize(p, Action.ROLE_GRANT)
    if not _USER.match(name):
        raise WorkspaceError(f"user name {name!r}: expected 2-100 letters, digits, '.', '_', '@' or '-'")
    pw_hash = _check_password(password)
    with store.transaction() as repo:
        org = repo.get_org(org_id)
        if org is None:
            raise NotFound(f"no organisation {org_id}; create it first with `allychain workspace org add`")
        for role in roles:
            _check_role(repo, role, org)
        if repo.user_by_name(name) is not None:
            raise Conflict(f"user {name} already exists")
        now = utcnow()
        user = repo.add_user(User(name=name, org_id=org_id, password_hash=pw_hash, disabled=False, created_at=now))
        for role in roles:
            repo.grant(user.id, role, now)
        tok, secret = _new_secret(repo, user.id, "api", _lifetime(token_days), "first token")
        audit.record(repo, p, Action.USER_CREATE, object_type="user", object_id=name, object_org=org_id,
                     roles=sorted(roles), token_id=tok.id, password_set=pw_hash is not None)
    return {"user": name, "organisation": org_id, "roles": sorted(roles), "token": secret, "token_id": tok.id,
            "expires_at": tok.expires_at.isoformat()}


@audited_refusals(Action.USER_LIST)
def list_users(store: Store, p: Principal | None, org_id: str | None = None) -> list[dict[str, Any]]:
    authorize(p, Action.USER_LIST)
    with store.transaction() as repo:
        return [{"user": u.name, "organisation": u.org_id, "roles": repo.roles_of(u.id), "disabled": u.disabled,
                 "created_at": u.created_at.isoformat()} for u in repo.list_users(org_id)]


def _user(repo: Any, name: str) -> User:
    user = repo.user_by_name(name)
    if user is None:
        raise NotFound(f"no user {name}")
    return user


def _by_id(repo: Any, user_id: int) -> User:
    user = repo.get_user(user_id)
    if user is None:
        raise AuthenticationError("the account no longer exists")
    return user


@audited_refusals(Action.ROLE_GRANT)
def grant_role(store: Store, p: Principal | None, name: str, role: str) -> dict[str, Any]:
    authorize(p, Action.ROLE_GRANT)
    with store.transaction() as repo:
        user = _user(repo, name)
        org = repo.get_org(user.org_id)
        assert org is not None  # users.org_id is a foreign key
        _check_role(repo, role, org)
        changed = repo.grant(user.id, role, utcnow())
        if changed:
            audit.record(repo, p, Action.ROLE_GRANT, object_type="user", object_id=name, object_org=user.org_id,
                         role=role)
        return {"user": name, "roles": repo.roles_of(user.id), "changed": changed}


@audited_refusals(Action.ROLE_REVOKE)
def revoke_role(store: Store, p: Principal | None, name: str, role: str) -> dict[str, Any]:
    authorize(p, Action.ROLE_REVOKE)
    with store.transaction() as repo:
        user = _user(repo, name)
        changed = repo.revoke_role(user.id, role)
        if changed:
            audit.record(repo, p, Action.ROLE_REVOKE, object_type="user", object_id=name, object_org=user.org_id,
                         role=role)
        return {"user": name, "roles": repo.roles_of(user.id), "changed": changed}


def _lifetime(days: int) -> dt.timedelta:
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise WorkspaceError(f"token lifetime {days} days: expected 1 to {MAX_TOKEN_DAYS}")
    return dt.timedelta(days=days)


@audited_refusals(Action.TOKEN_CREATE)
def create_token(store: Store, p: Principal | None, user: str | None = None, description: str = "",
                 days: int = TOKEN_DAYS) -> dict[str, Any]:
    """A new API token for ``user`` (default: the caller); the secret is in ``token``, shown only now."""
    authorize(p, Action.TOKEN_CREATE)
    assert p is not None
    with store.transaction() as repo:
        target = _user(repo, user) if user else _by_id(repo, p.user_id)
        authorize(p, Action.TOKEN_CREATE, user_id=target.id)
        tok, secret = _new_secret(repo, target.id, "api", _lifetime(days), description)
        audit.record(repo, p, Action.TOKEN_CREATE, object_type="token", object_id=tok.id, object_org=target.org_id,
                     user=target.name, expires_at=tok.expires_at.isoformat())
    return {"user": target.name, "token": secret, **_token_dict(tok)}


@audited_refusals(Action.TOKEN_LIST)
def list_tokens(store: Store, p: Principal | None, user: str | None = None) -> list[dict[str, Any]]:
    authorize(p, Action.TOKEN_LIST)
    assert p is not None
    with store.transaction() as repo:
        target = _user(repo, user) if user else _by_id(repo, p.user_id)
        authorize(p, Action.TOKEN_LIST, user_id=target.id)
        return [{"user": target.name, **_token_dict(t)} for t in repo.list_tokens(target.id)]


@audited_refusals(Action.TOKEN_REVOKE)
def revoke_token(store: Store, p: Principal | None, token_id: str) -> dict[str, Any]:
    authorize(p, Action.TOKEN_REVOKE)
    with store.transaction() as repo:
        tok = repo.get_token(token_id)
        if tok is None or tok.kind != "api":
            raise NotFound(f"no token {token_id}")
        authorize(p, Action.TOKEN_REVOKE, user_id=tok.user_id)
        owner = _by_id(repo, tok.user_id)
        if tok.revoked_at is None:
            tok.revoked_at = utcnow()
            repo.flush()
            audit.record(repo, p, Action.TOKEN_REVOKE, object_type="token", object_id=tok.id,
                         object_org=owner.org_id, user=owner.name)
        return {"user": owner.name, **_token_dict(tok)}


def _valid(tok: Token | None, secret: str, kind: str) -> bool:
    if tok is None or tok.kind != kind:
        return False
    if not hmac.compare_digest(tok.secret_hash, _digest(secret)):
        return False
    return tok.revoked_at is None and tok.expires_at > utcnow()


def authenticate_token(store: Store, token: str | None, source: str = "", kind: str = "api") -> Principal:
    """The principal of an API token (or a session secret with ``kind="session"``).

    Raises
    ------
    AuthenticationError
        Missing, malformed, unknown, expired or revoked (the message does not say
        which, and never repeats the token).
    """
    if not token:
        raise AuthenticationError("this needs credentials: send 'Authorization: Bearer <token>' or log in")
    m = _TOKEN.match(token.strip())
    with store.transaction() as repo:
        tok = repo.get_token(m.group(1)) if m else None
        user = repo.get_user(tok.user_id) if tok is not None else None
        if m is None or not _valid(tok, m.group(2), kind) or user is None or user.disabled:
            what = "session" if kind == "session" else "token"
            raise AuthenticationError(f"the {what} is not valid (unknown, expired or revoked); "
                                      + ("log in again" if kind == "session" else "ask for a new one"))
        assert tok is not None
        return _principal(repo, user, "session" if kind == "session" else f"token:{tok.id}", source, tok.id)


def login(store: Store, name: str, password: str, source: str = "") -> tuple[Principal, str]:
    """Check a password and open a dashboard session; returns the principal and the session secret.

    Failed logins are audited; after :data:`MAX_FAILED_LOGINS` within
    :data:`LOCKOUT_MINUTES` the account refuses logins until the window passes.
    """
    since = audit.timestamp(utcnow() - dt.timedelta(minutes=LOCKOUT_MINUTES))
    with store.transaction() as repo:
        failures = repo.count_events("auth:login", name[:100], "failed", since)
    if failures >= MAX_FAILED_LOGINS:
        audit.record_alone(store, None, "auth:login", actor=name[:100], outcome="refused", source=source,
                           reason="too many failed attempts")
        raise TooManyAttempts(f"too many failed logins for this account; try again in {LOCKOUT_MINUTES} minutes")
    hasher = _hasher()
    with store.transaction() as repo:
        user = repo.user_by_name(name)
        ok = False
        if user is not None and user.password_hash and not user.disabled:
            try:
                ok = bool(hasher.verify(user.password_hash, password))
            except Exception:  # noqa: BLE001 - argon2's VerifyMismatchError / InvalidHash: a failed login
                ok = False
        else:
            try:  # same work for unknown accounts, so timing does not reveal which names exist
                hasher.verify(_DUMMY_HASH(), password)
            except Exception:  # noqa: BLE001
                pass
        if ok and user is not None:
            tok, secret = _new_secret(repo, user.id, "session", dt.timedelta(hours=SESSION_HOURS), "dashboard")
            p = _principal(repo, user, "session", source, tok.id)
            audit.record(repo, p, "auth:login", object_type="session", object_id=tok.id, object_org=user.org_id,
                         method="password")
            return p, secret
    audit.record_alone(store, None, "auth:login", actor=name[:100], outcome="failed", source=source,
                       method="password")
    raise AuthenticationError("wrong user name or password")


_dummy: list[str] = []


def _DUMMY_HASH() -> str:  # noqa: N802 - a lazily computed constant
    if not _dummy:
        _dummy.append(str(_hasher().hash(secrets.token_urlsafe(16))))
    return _dummy[0]


def authenticate_session(store: Store, secret: str | None, source: str = "") -> Principal:
    return authenticate_token(store, secret, source, kind="session")


def logout(store: Store, p: Principal) -> None:
    with store.transaction() as repo:
        tok = repo.get_token(p.token_id) if p.token_id else None
        if tok is not None and tok.revoked_at is None:
            tok.revoked_at = utcnow()
            repo.flush()
        audit.record(repo, p, "auth:logout", object_type="session", object_id=p.token_id, object_org=p.org_id)


@audited_refusals(Action.SELF_READ)
def whoami(store: Store, p: Principal | None) -> dict[str, Any]:
    authorize(p, Action.SELF_READ)
    assert p is not None
    return {"user": p.name, "organisation": p.org_id, "roles": sorted(p.roles), "auth": p.auth}
