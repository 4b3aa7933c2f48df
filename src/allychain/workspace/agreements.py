"""The registry of agreements (MOUs) on key items: register, amend, put in force, check, gaps.

An agreement is registered as a draft by a steward or an analyst (for its own
organisation); every change of its terms or status is a new immutable version, audited in
the same transaction with the digest of the canonical terms.  Putting an agreement in
force (or amending one in force) first runs the **consistency check**: the commitments of
every agreement in force plus this one must be honourable at once in the emergency
allocation LP (:func:`allychain.optimize.allocate`); otherwise the change is refused with
:class:`CommitmentConflict` naming the smallest conflicting set.

Drafts are seen only by those who may amend them (stewards, the registering organisation's analysts); agreements in force,
suspended or expired are published to every role.  The suppliers' outputs used by the
check are, in this order, those given by the caller (a scenario's or an incident's
estimate) or the current capacity submissions of the supplying organisation or country
(server side); where neither is known the check asks whether *any* output could honour
the commitments and says so.  Figures from submissions never reach a caller who may not
read them: such a caller gets the names of the conflicting commitments only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from allychain.errors import CommitmentConflict, Conflict, InfeasibleError, InvalidRecord, NotFound, PreconditionFailed
from allychain.store import Repo, Store
from allychain.store.models import AGREEMENT_STATUSES, Agreement, AgreementVersion, utcnow
from allychain.workspace import audit
from allychain.workspace.authz import Action, Principal, Scope, authorize, load_scoped, scope_of
from allychain.workspace.guard import audited_refusals
from allychain.workspace.terms import check_inputs, commitment_table, split_names, validate_terms
from allychain.workspace.validation import reference_items

__all__ = ["register", "amend", "set_status", "list_agreements", "get_agreement", "check", "coverage", "gaps",
           "in_force_commitments", "supply_from_submissions"]

log = logging.getLogger(__name__)

TRANSITIONS = {"draft": {"in_force", "expired"}, "in_force": {"suspended", "expired"},
               "suspended": {"in_force", "expired"}, "expired": set()}


def _canonical(terms: Mapping[str, Any]) -> tuple[str, str]:
    text = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _meta(agr: Agreement, terms: Mapping[str, Any], versions: list[AgreementVersion] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": agr.id, "organisation": agr.org_id, "title": agr.title, "status": agr.status,
                           "version": agr.current_version, "created_at": agr.created_at.isoformat(),
                           "etag": f'"{agr.id}.v{agr.current_version}"', **terms}
    if versions is not None:
        out["versions"] = [{"version": v.version, "created_at": v.created_at.isoformat(), "status": v.status,
                            "digest": v.digest} for v in versions]
    return out


def _visible(p: Principal, agr: Agreement) -> bool:
    """Drafts: whoever may amend them (stewards; the registering organisation's analysts); the rest is published."""
    scope = scope_of(p.roles, Action.AGREEMENT_AMEND)
    return agr.status != "draft" or scope is Scope.ANY or (scope is Scope.OWN and agr.org_id == p.org_id)


def _load(repo: Repo, p: Principal | None, action: Action, agr_id: str, lock: bool = False) -> Agreement:
    return load_scoped(p, action, "agreement", agr_id, lambda: repo.get_agreement(agr_id, lock=lock), visible=_visible)


def _terms(repo: Repo, agr: Agreement) -> dict[str, Any]:
    ver = repo.agreement_versions(agr.id)[-1]
    return dict(json.loads(ver.body))


def _validate(repo: Repo, body: Mapping[str, Any]) -> dict[str, Any]:
    return validate_terms(body, [o.id for o in repo.list_orgs()], reference_items())


@audited_refusals(Action.AGREEMENT_CREATE)
def register(store: Store, p: Principal | None, body: Mapping[str, Any], agreement_id: str | None = None
             ) -> dict[str, Any]:
    """Register an agreement as a draft (version 1) for the caller's organisation.

    Raises
    ------
    InvalidRecord
        Every problem of the terms (nothing stored).
    Conflict
        ``agreement_id`` is taken.
    """
    authorize(p, Action.AGREEMENT_CREATE)
    assert p is not None
    agr_id = agreement_id or "a" + secrets.token_hex(6)
    if not agr_id.replace("-", "").replace("_", "").isalnum() or len(agr_id) > 40:
        raise InvalidRecord(f"id: {agr_id!r} — expected up to 40 letters, digits, '-' or '_'")
    with store.transaction() as repo:
        terms = _validate(repo, body)
        if repo.get_agreement(agr_id) is not None:
            raise Conflict(f"an agreement {agr_id} exists already; amend it instead")
        text, digest = _canonical(terms)
        now = utcnow()
        agr = Agreement(id=agr_id, org_id=p.org_id, title=terms["title"], status="draft", current_version=1,
                        created_at=now, created_by=p.user_id)
        repo.add_agreement(agr, AgreementVersion(agreement_id=agr_id, version=1, created_at=now,
                                                 created_by=p.user_id, status="draft", digest=digest, body=text))
        audit.record(repo, p, Action.AGREEMENT_CREATE, object_type="agreement", object_id=agr_id,
                     object_org=p.org_id, digest=digest, version=1, status="draft",
                     commitments=len(terms["commitments"]))
        return _meta(agr, terms)


@audited_refusals(Action.AGREEMENT_AMEND)
def amend(store: Store, p: Principal | None, agr_id: str, body: Mapping[str, Any],
          expected_version: int | None = None, supply: Mapping[tuple[str, str], float] | None = None
          ) -> dict[str, Any]:
    """Store new terms as a new version (same status); an agreement in force is checked first.

    Raises
    ------
    PreconditionFailed
        ``expected_version`` is not the current one (no lost update).
    CommitmentConflict
        In force, and the new commitments could not all be honoured with the others in force.
    """
    with store.transaction() as repo:
        agr = _load(repo, p, Action.AGREEMENT_AMEND, agr_id, lock=True)
        assert p is not None
        if agr.status == "expired":
            raise Conflict(f"agreement {agr_id} has expired; register a new one")
        if expected_version is not None and expected_version != agr.current_version:
            raise PreconditionFailed(f"agreement {agr_id} is at version {agr.current_version}, not "
                                     f"{expected_version}: read it again and reapply the change")
        terms = _validate(repo, body)
        result = _consistency(repo, p, agr_id, terms, supply) if agr.status == "in_force" else None
        if result is None or result["feasible"]:
            return _new_version(repo, p, Action.AGREEMENT_AMEND, agr, terms, agr.status, check=result)
        org = agr.org_id
    _refused(store, p, Action.AGREEMENT_AMEND, agr_id, org, result)


def _new_version(repo: Repo, p: Principal, action: Action, agr: Agreement, terms: dict[str, Any], status: str,
                 check: dict[str, Any] | None = None, reason: str = "") -> dict[str, Any]:
    text, digest = _canonical(terms)
    ver = AgreementVersion(agreement_id=agr.id, version=agr.current_version + 1, created_at=utcnow(),
                           created_by=p.user_id, status=status, digest=digest, body=text)
    before = agr.status
    agr.title = terms["title"]
    repo.add_agreement_version(agr, ver)
    detail: dict[str, Any] = {"version": ver.version, "status": status, "from_status": before}
    if reason:
        detail["reason"] = reason[:500]
    if check is not None:
        detail["check"] = {"feasible": check["feasible"], "supply_basis": check["supply_basis"]}
    audit.record(repo, p, action, object_type="agreement", object_id=agr.id, object_org=agr.org_id,
                 digest=digest, **detail)
    out = _meta(agr, terms)
    if check is not None:
        out["check"] = check
    return out


@audited_refusals(Action.AGREEMENT_STATUS)
def set_status(store: Store, p: Principal | None, agr_id: str, status: str, reason: str = "",
               supply: Mapping[tuple[str, str], float] | None = None) -> dict[str, Any]:
    """Move an agreement to ``status`` (draft → in_force → suspended/expired …), as a new version.

    Putting it in force runs :func:`check` first and is refused if any commitment of it and
    of the agreements in force could not be honoured at once, or if its validity has ended.

    Raises
    ------
    InvalidRecord
        Unknown status.
    Conflict
        A transition the lifecycle does not allow, or validity ended.
    CommitmentConflict
        The consistency check failed (the conflicting set is named).
    """
    if status not in AGREEMENT_STATUSES:
        raise InvalidRecord(f"status: {status!r} — expected one of {', '.join(AGREEMENT_STATUSES)}")
    with store.transaction() as repo:
        agr = _load(repo, p, Action.AGREEMENT_STATUS, agr_id, lock=True)
        assert p is not None
        if status not in TRANSITIONS[agr.status]:
            allowed = ", ".join(sorted(TRANSITIONS[agr.status])) or "none (expired is final)"
            raise Conflict(f"agreement {agr_id} is {agr.status}; it can move to: {allowed}")
        terms = _terms(repo, agr)
        result = None
        if status == "in_force":
            today = utcnow().date().isoformat()
            if terms.get("valid_to") and terms["valid_to"] < today:
                raise Conflict(f"agreement {agr_id} was valid until {terms['valid_to']}; it cannot be put in force")
            result = _consistency(repo, p, agr_id, terms, supply)
        if result is None or result["feasible"]:
            return _new_version(repo, p, Action.AGREEMENT_STATUS, agr, terms, status, check=result, reason=reason)
        org = agr.org_id
    _refused(store, p, Action.AGREEMENT_STATUS, agr_id, org, result)


def _refused(store: Store, p: Principal, action: Action, agr_id: str, org: str, result: dict[str, Any]) -> NoReturn:
    """Record the refusal (after the request's transaction ended, in one of its own) and raise it."""
    audit.record_alone(store, p, action, outcome="refused", object_type="agreement", object_id=agr_id,
                       object_org=org, conflicting=result["conflicting"], supply_basis=result["supply_basis"])
    raise CommitmentConflict(result["message"], result["conflicting"])


@audited_refusals(Action.AGREEMENT_LIST)
def list_agreements(store: Store, p: Principal | None, status: str | None = None,
                    item: str | None = None) -> list[dict[str, Any]]:
    """Agreements the caller may see (drafts only to stewards and their organisation), current terms."""
    authorize(p, Action.AGREEMENT_LIST)
    assert p is not None
    with store.transaction() as repo:
        out = []
        for agr, ver in repo.current_agreements(status):
            terms = json.loads(ver.body)
            if _visible(p, agr) and (item is None or item in terms["items"]):
                out.append(_meta(agr, terms))
        return out


@audited_refusals(Action.AGREEMENT_READ)
def get_agreement(store: Store, p: Principal | None, agr_id: str, version: int | None = None) -> dict[str, Any]:
    """One agreement: its versions and the terms of ``version`` (default: current)."""
    with store.transaction() as repo:
        agr = _load(repo, p, Action.AGREEMENT_READ, agr_id)
        versions = list(repo.agreement_versions(agr_id))
        ver = versions[-1] if version is None else next((v for v in versions if v.version == version), None)
        if ver is None:
            raise NotFound(f"agreement {agr_id} has no version {version}")
        out = _meta(agr, json.loads(ver.body), versions)
        out["shown_version"] = ver.version
        return out


def in_force_commitments(repo: Repo, exclude: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(agreement id, terms) of every agreement in force (server side)."""
    return [(a.id, json.loads(v.body)) for a, v in repo.current_agreements("in_force") if a.id != exclude]


def supply_from_submissions(repo: Repo, suppliers: Iterable[tuple[str, str]]) -> tuple[dict[tuple[str, str], float],
                                                                                     list[str]]:
    """Output of each (supplier, item) from the current capacity submissions (server side).

    A supplier that is an organisation counts its own rows; a country counts every
    organisation's rows located there.  Per organisation and item the latest period is used.
    Returns the outputs found and the digests of the submission versions read.
    """
    from allychain.data.csvread import parse_text_csv
    from allychain.model.validate import coerce_table

    wanted = set(suppliers)
    if not wanted:
        return {}, []
    items = {i for _, i in wanted}
    out: dict[tuple[str, str], float] = {}
    digests = []
    for sub, ver in repo.current_versions("capacity"):
        df, _ = coerce_table("capacity", parse_text_csv(ver.content.encode("utf-8"), ver.filename), ver.filename)
        df = df[df["item"].isin(items)]
        if df.empty:
            continue
        digests.append(ver.digest)
        latest = df[df["period"].astype(str) == df.groupby("item")["period"].transform(lambda s: max(map(str, s)))]
        for rec in latest.to_dict("records"):
            for who in (sub.org_id, str(rec["country"])):
                if (who, rec["item"]) in wanted:
                    out[(who, rec["item"])] = out.get((who, rec["item"]), 0.0) + float(rec["value"])
    return out, digests


def _consistency(repo: Repo, p: Principal, agr_id: str, terms: Mapping[str, Any],
                 supply: Mapping[tuple[str, str], float] | None) -> dict[str, Any]:
    """Run the allocation LP over the commitments in force plus ``terms``; audited by the caller's action."""
    from allychain.optimize import allocate

    comm = commitment_table([*in_force_commitments(repo, exclude=agr_id), (agr_id, terms)])
    pairs = set(zip(comm["from"].astype(str), comm["item"].astype(str), strict=True))
    basis = "given"
    digests: list[str] = []
    if supply is None:
        supply, digests = supply_from_submissions(repo, pairs)
        basis = "submissions" if supply else "none"
    unknown = sorted(f"{s} {i}" for s, i in pairs if (s, i) not in supply)
    out: dict[str, Any] = {"agreement": agr_id, "commitments": len(comm), "supply_basis": basis,
                           "not_assessable": [f"no output known for {u}: checked whether any output could honour "
                                              "its commitments" for u in unknown]}
    if comm.empty:
        return {**out, "feasible": True, "conflicting": [], "message": "no commitments to check"}
    short, sup, bounds = check_inputs(comm, supply)
    try:
        allocate(short, sup, bounds)
    except InfeasibleError as exc:
        confidential = basis == "submissions" and scope_of(p.roles, Action.SUBMISSION_AGGREGATE) is Scope.NONE
        names = sorted(split_names(exc.conflicting))
        msg = str(exc).removeprefix("allocation: ")
        if confidential:
            msg = ("the commitments conflict: " + "; ".join(names) + " — together they exceed a supplier's "
                   "output as submitted (confidential). Relax or drop one of them.")
        return {**out, "feasible": False, "conflicting": names, "message": msg, "submission_digests": len(digests)}
    return {**out, "feasible": True, "conflicting": [],
            "message": f"all {len(comm)} commitments in force (with this agreement's) can be honoured at once"}


@audited_refusals(Action.AGREEMENT_CHECK)
def check(store: Store, p: Principal | None, agr_id: str,
          supply: Mapping[tuple[str, str], float] | None = None) -> dict[str, Any]:
    """Can this agreement's commitments and those in force all be honoured at once? (Nothing changes.)"""
    with store.transaction() as repo:
        agr = _load(repo, p, Action.AGREEMENT_CHECK, agr_id)
        assert p is not None
        result = _consistency(repo, p, agr_id, _terms(repo, agr), supply)
        audit.record(repo, p, Action.AGREEMENT_CHECK, object_type="agreement", object_id=agr_id,
                     object_org=agr.org_id, feasible=result["feasible"], supply_basis=result["supply_basis"],
                     conflicting=result["conflicting"])
        return result


@audited_refusals(Action.AGREEMENT_GAPS)
def coverage(store: Store, p: Principal | None) -> list[dict[str, Any]]:
    """Which key items the agreements in force cover, and by whom (one row per item and commitment)."""
    authorize(p, Action.AGREEMENT_GAPS)
    rows = []
    with store.transaction() as repo:
        for agr_id, terms in in_force_commitments(repo):
            comms = terms["commitments"]
            for item in terms["items"]:
                mine = [c for c in comms if c["item"] == item]
                for c in mine or [{}]:
                    rows.append({"item": item, "agreement": agr_id, "parties": terms["parties"],
                                 "supplier": c.get("from"), "receiver": c.get("to"), "min": c.get("min"),
                                 "min_share": c.get("min_share"), "trigger": c.get("trigger"),
                                 "valid_to": terms["valid_to"]})
    return rows


@audited_refusals(Action.AGREEMENT_GAPS)
def gaps(store: Store, p: Principal | None, network: Any, members: str | Iterable[str],
         critical_share: float | None = None, include_covered: bool = False) -> dict[str, Any]:
    """The alliance's critical dependencies (public analysis) and whether an agreement in force covers each.

    Returns
    -------
    dict
        ``members``, ``critical_share`` (percent) and ``rows``: item, name, the largest
        foreign supplier and its share (percent), ``status`` (``gap``, ``covered`` or
        ``not_assessable`` — the public data cannot tell whether the item is critical),
        and the agreements covering it.  Without ``include_covered`` only gaps and
        not-assessable items are listed.
    """
    from allychain.analysis import dependencies
    from allychain.analysis.dependencies import CRITICAL_SHARE
    from allychain.model.members import resolve_members

    authorize(p, Action.AGREEMENT_GAPS)
    crit = CRITICAL_SHARE if critical_share is None else float(critical_share)
    mem = resolve_members(members, network)
    dep = dependencies(network, mem, critical_share=crit)
    by_item: dict[str, list[str]] = {}
    with store.transaction() as repo:
        for agr_id, terms in in_force_commitments(repo):
            for item in terms["items"]:
                by_item.setdefault(item, []).append(agr_id)
    rows = []
    for rec in dep.to_dict("records"):
        crit_flag = rec.get("critical")
        if crit_flag is not True and rec.get("status") != "not_assessable":
            continue
        agreements = by_item.get(str(rec["item_id"]), [])
        status = "covered" if agreements else ("gap" if crit_flag is True else "not_assessable")
        if status == "covered" and not include_covered:
            continue
        rows.append({"item": rec["item_id"], "name": _known(rec.get("item_name")), "status": status,
                     "top_foreign_country": _known(rec.get("top_foreign_country")),
                     "top_foreign_share": _known(rec.get("top_foreign_share")), "agreements": agreements})
    return {"members": mem, "critical_share": crit, "rows": rows,
            "gaps": sum(r["status"] == "gap" for r in rows)}


def _known(v: Any) -> Any:
    """A value, or None where it is missing (NaN): unknown stays unknown, and JSON has no NaN."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
