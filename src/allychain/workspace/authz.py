"""The permission matrix (data) and the one place it is enforced.

``permissions.csv`` holds one row per action and one column per role; a cell is
``any`` (any organisation's object), ``own`` (objects of the caller's own
organisation — or, for tokens and the account, the caller's own) or ``-``.
``roles.csv`` lists the roles and the organisation kinds that may hold them.
:class:`Action` names every action; the matrix must list exactly these, so a typo
or a new action without a row fails at import.

:func:`authorize` is the single check: the REST API's dependency, the dashboard,
the CLI and every service function call it.  A caller whose roles grant the
action nowhere gets :class:`PermissionDenied` (403); one who may act only on its
own organisation's objects and asks for another's gets :class:`NotFound` (404),
exactly as for an object that does not exist.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Protocol, TypeVar

from allychain.errors import AuthenticationError, NotFound, PermissionDenied

__all__ = ["Action", "Scope", "Principal", "ROLES", "authorize", "load_scoped", "scope_of", "matrix",
           "role_org_kinds", "role_descriptions"]


class Action(enum.StrEnum):
    ROLES = "workspace:roles"
    SELF_READ = "self:read"
    ORG_LIST = "org:list"
    ORG_CREATE = "org:create"
    USER_LIST = "user:list"
    USER_CREATE = "user:create"
    ROLE_GRANT = "role:grant"
    ROLE_REVOKE = "role:revoke"
    TOKEN_CREATE = "token:create"
    TOKEN_LIST = "token:list"
    TOKEN_REVOKE = "token:revoke"
    SUBMISSION_CREATE = "submission:create"
    SUBMISSION_LIST = "submission:list"
    SUBMISSION_READ = "submission:read"
    SUBMISSION_CORRECT = "submission:correct"
    SUBMISSION_WITHDRAW = "submission:withdraw"
    SUBMISSION_AGGREGATE = "submission:aggregate"
    AGGREGATE_PUBLISH = "aggregate:publish"
    AGGREGATE_READ = "aggregate:read"
    RELEASE_LIST = "release:list"
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    AUDIT_EXPORT = "audit:export"
    AGREEMENT_CREATE = "agreement:create"
    AGREEMENT_AMEND = "agreement:amend"
    AGREEMENT_STATUS = "agreement:status"
    AGREEMENT_LIST = "agreement:list"
    AGREEMENT_READ = "agreement:read"
    AGREEMENT_CHECK = "agreement:check"
    AGREEMENT_GAPS = "agreement:gaps"
    INCIDENT_OPEN = "incident:open"
    INCIDENT_LIST = "incident:list"
    INCIDENT_READ = "incident:read"
    INCIDENT_UPDATE = "incident:update"
    INCIDENT_ALLOCATE = "incident:allocate"
    DIALOGUE_MANAGE = "dialogue:manage"
    DIALOGUE_READ = "dialogue:read"
    WATCH_INGEST = "watch:ingest"
    WATCH_SCAN = "watch:scan"
    WATCH_READ = "watch:read"
    WATCH_TRIAGE = "watch:triage"
    WATCH_ESCALATE = "watch:escalate"


class Scope(enum.IntEnum):
    NONE = 0
    OWN = 1
    ANY = 2


_CELL = {"-": Scope.NONE, "own": Scope.OWN, "any": Scope.ANY}


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def _roles() -> tuple[tuple[str, frozenset[str], str], ...]:
    return tuple((r["role"], frozenset(k for k in r["org_kinds"].split(";") if k), r["description"])
                 for r in _read("roles.csv"))


ROLES: tuple[str, ...] = tuple(r for r, _, _ in _roles())


@lru_cache(maxsize=1)
def matrix() -> dict[Action, dict[str, Scope]]:
    """Action → role → scope, read from permissions.csv and checked against :class:`Action`."""
    out: dict[Action, dict[str, Scope]] = {}
    for rec in _read("permissions.csv"):
        try:
            action = Action(rec["action"])
        except ValueError:
            raise RuntimeError(f"permissions.csv: unknown action {rec['action']!r}") from None
        cells = {}
        for role in ROLES:
            cell = (rec.get(role) or "").strip()
            if cell not in _CELL:
                raise RuntimeError(f"permissions.csv: action {action}, role {role}: {cell!r} is not any, own or -")
            cells[role] = _CELL[cell]
        out[action] = cells
    missing = set(Action) - set(out)
    if missing:
        raise RuntimeError(f"permissions.csv has no row for {', '.join(sorted(missing))}")
    return out


def role_org_kinds() -> dict[str, frozenset[str]]:
    """Role → organisation kinds that may hold it (empty: any kind)."""
    return {r: kinds for r, kinds, _ in _roles()}


def role_descriptions() -> dict[str, str]:
    return {r: d for r, _, d in _roles()}


def action_descriptions() -> dict[Action, str]:
    return {Action(r["action"]): r["description"] for r in _read("permissions.csv")}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user of one organisation with roles, and how they proved it.

    ``auth`` is the authentication method (``token:<id>``, ``session``, ``password``);
    an identity provider (OpenID Connect) would produce the same object.
    """

    user_id: int
    name: str
    org_id: str
    roles: frozenset[str]
    auth: str
    source: str = ""
    token_id: str | None = field(default=None, compare=False)


def scope_of(roles: frozenset[str] | set[str], action: Action) -> Scope:
    """The widest scope any of ``roles`` has on ``action``."""
    row = matrix()[action]
    return max((row.get(r, Scope.NONE) for r in roles), default=Scope.NONE)


def authorize(principal: Principal | None, action: Action, *, org: str | None = None,
              user_id: int | None = None) -> Scope:
    """Check that ``principal`` may perform ``action`` (on an object of ``org`` / owned by ``user_id``).

    Returns
    -------
    Scope
        ``ANY`` or ``OWN``: what the caller may see, for scoped listings.

    Raises
    ------
    AuthenticationError
        No principal (401).
    PermissionDenied
        The caller's roles grant the action nowhere (403).
    NotFound
        The caller may act only on its own objects and this one is not (404, like a
        missing object: existence is confidential too).
    """
    if principal is None:
        raise AuthenticationError("this needs credentials: send 'Authorization: Bearer <token>' or log in")
    scope = scope_of(principal.roles, action)
    if scope is Scope.NONE:
        roles = ", ".join(sorted(principal.roles)) or "no role"
        raise PermissionDenied(f"{action} is not permitted for {roles}")
    if scope is Scope.OWN:
        if org is not None and org != principal.org_id:
            raise NotFound("no such object")
        if user_id is not None and user_id != principal.user_id:
            raise NotFound("no such object")
    return scope


class _Owned(Protocol):
    @property
    def org_id(self) -> str: ...


_T = TypeVar("_T", bound=_Owned)


def load_scoped(principal: Principal | None, action: Action, what: str, obj_id: str,
                get: Callable[[], _T | None], *,
                visible: Callable[[Principal, _T], bool] | None = None) -> _T:
    """Load one object for ``action``: the action is checked first (401/403), then the object.

    A missing object, one ``visible`` hides from the caller, and another organisation's
    object asked for by an own-scoped caller all raise the same :class:`NotFound`
    (``"no <what> <obj_id>"``): existence is confidential too.
    """
    authorize(principal, action)
    assert principal is not None  # authorize raised otherwise
    obj = get()
    if obj is None or (visible is not None and not visible(principal, obj)):
        raise NotFound(f"no {what} {obj_id}")
    try:
        authorize(principal, action, org=obj.org_id)
    except NotFound:
        raise NotFound(f"no {what} {obj_id}") from None
    return obj
