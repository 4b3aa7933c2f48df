"""``allychain workspace agreement add|list|show|amend|status|check|gaps|coverage``: the MOU registry.

Thin commands over :mod:`allychain.workspace.agreements` (registered on the ``workspace``
command group), authenticated with ``$ALLYCHAIN_TOKEN`` and bound by the same permission
matrix as the REST API.  Invalid terms exit 3 listing every problem (nothing stored);
commitments that could not all be honoured at once exit 1 naming the conflicting set.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import typer

from allychain.cli.console import FAILED, INVALID_INPUT
from allychain.cli.render import Format, emit
from allychain.cli.workspace import DbOpt, FormatOpt, _me, _show, _store, app
from allychain.errors import AllychainError, CommitmentConflict, InvalidRecord

__all__: list[str] = []

agreement_app = typer.Typer(help="Agreements (MOUs) on key items: register, put in force, check, gaps.",
                            no_args_is_help=True)
app.add_typer(agreement_app, name="agreement")

SupplyOpt = typer.Option(None, "--supply", help="CSV of supplier,item,available [units]: the suppliers' output in "
                                                "the shortage (default: the capacity submissions).")


def _terms(file: Path) -> dict[str, Any]:
    from allychain.data.spec import read_yaml

    doc = read_yaml(file, "agreement file")
    if not isinstance(doc, dict):
        raise AllychainError(f"{file}: expected a mapping of title, parties, signed, items, commitments, …")
    return doc


def _supply(file: Path | None) -> dict[tuple[str, str], float] | None:
    if file is None:
        return None
    try:
        rows = list(csv.DictReader(file.read_text(encoding="utf-8-sig").splitlines()))
    except OSError as exc:
        raise AllychainError(f"{file}: cannot read: {exc.strerror or exc}") from None
    out = {}
    for i, r in enumerate(rows, start=2):
        try:
            value = float(r["available"])
            if value < 0 or value != value:
                raise ValueError
            out[(r["supplier"].strip(), r["item"].strip())] = value
        except (KeyError, TypeError, ValueError, AttributeError):
            raise AllychainError(f"{file}, row {i}: expected columns supplier, item, available (units >= 0)") from None
    return out


def _refused(exc: Exception, fmt: Format) -> None:
    """Print a refusal (invalid terms → 3, conflicting commitments → 1) and exit."""
    if isinstance(exc, InvalidRecord):
        if fmt == Format.json:
            emit({"stored": False, "problems": exc.problems}, fmt)
        else:
            typer.echo(f"error: the agreement is invalid ({len(exc.problems)} problem(s)); nothing stored", err=True)
            for p in exc.problems:
                typer.echo(f"  - {p}", err=True)
        raise typer.Exit(INVALID_INPUT)
    assert isinstance(exc, CommitmentConflict)
    if fmt == Format.json:
        emit({"changed": False, "conflicting": exc.conflicting, "message": str(exc)}, fmt)
    else:
        typer.echo(f"error: refused: {exc}", err=True)
    raise typer.Exit(FAILED)


@agreement_app.command("add")
def add_cmd(file: Path = typer.Argument(..., help="Agreement terms (YAML; see docs/agreements.md)."),
            agreement_id: str | None = typer.Option(None, "--id", help="Id (default: generated)."),
            db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Register an agreement as a draft (stewards; analysts for their organisation)."""
    from allychain.workspace.agreements import register

    terms = _terms(file)
    store = _store(db)
    try:
        out = register(store, _me(store), terms, agreement_id or terms.pop("id", None))
    except InvalidRecord as exc:
        _refused(exc, fmt)
    emit(out, fmt, title="agreement")


@agreement_app.command("amend")
def amend_cmd(agreement_id: str = typer.Argument(...), file: Path = typer.Argument(..., help="New terms (YAML)."),
              if_version: int | None = typer.Option(None, "--if-version", help="Fail if no longer at this version."),
              supply: Path | None = SupplyOpt, db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Store new terms as a new version (an agreement in force is checked first)."""
    from allychain.workspace.agreements import amend

    terms = _terms(file)
    terms.pop("id", None)
    store = _store(db)
    try:
        out = amend(store, _me(store), agreement_id, terms, if_version, _supply(supply))
    except (InvalidRecord, CommitmentConflict) as exc:
        _refused(exc, fmt)
    emit(out, fmt, title="agreement")


@agreement_app.command("status")
def status_cmd(agreement_id: str = typer.Argument(...),
               status: str = typer.Argument(..., help="in_force, suspended or expired."),
               reason: str = typer.Option("", "--reason", help="Why (kept in the audit trail)."),
               supply: Path | None = SupplyOpt, db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Put an agreement in force (refused if its commitments and those in force conflict), suspend or expire it."""
    from allychain.workspace.agreements import set_status

    store = _store(db)
    try:
        out = set_status(store, _me(store), agreement_id, status, reason, _supply(supply))
    except (InvalidRecord, CommitmentConflict) as exc:
        _refused(exc, fmt)
    emit(out, fmt, title="agreement")


@agreement_app.command("check")
def check_cmd(agreement_id: str = typer.Argument(...), supply: Path | None = SupplyOpt, db: str | None = DbOpt,
              fmt: Format = FormatOpt) -> None:
    """Could its commitments and those in force all be honoured at once? Exit 1 naming the conflicting set."""
    from allychain.workspace.agreements import check

    store = _store(db)
    out = check(store, _me(store), agreement_id, _supply(supply))
    if fmt == Format.json:
        emit(out, fmt)
    else:
        typer.echo(out["message"])
        for line in out["not_assessable"]:
            typer.echo(f"  not assessable: {line}", err=True)
    if not out["feasible"]:
        raise typer.Exit(FAILED)


@agreement_app.command("list")
def list_cmd(status: str | None = typer.Option(None, "--status", help="draft, in_force, suspended or expired."),
             item: str | None = typer.Option(None, "--item", help="Only agreements covering this item."),
             db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Agreements you may see (drafts: stewards and the registering organisation)."""
    from allychain.workspace.agreements import list_agreements

    store = _store(db)
    out = list_agreements(store, _me(store), status, item)
    if fmt != Format.json:
        out = [{"id": a["id"], "status": a["status"], "version": a["version"], "title": a["title"],
                "parties": ", ".join(a["parties"]), "items": ", ".join(a["items"]),
                "commitments": len(a["commitments"]), "valid_to": a["valid_to"]} for a in out]
    _show(out, fmt, "agreements")


@agreement_app.command("show")
def show_cmd(agreement_id: str = typer.Argument(...), version: int | None = typer.Option(None, "--version"),
             db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """One agreement: terms and versions."""
    from allychain.workspace.agreements import get_agreement

    store = _store(db)
    out = get_agreement(store, _me(store), agreement_id, version)
    if fmt == Format.json:
        emit(out, fmt)
        return
    _show(out["commitments"], fmt, f"{out['id']} v{out['shown_version']} ({out['status']}): {out['title']}")
    _show(out["versions"], fmt, "versions")


@agreement_app.command("gaps")
def gaps_cmd(members: str = typer.Option("KOR,NLD", "--members", help="Member countries or an alliance id."),
             data: str = typer.Option("builtin", "--data", help="Dataset of the public analysis."),
             covered: bool = typer.Option(False, "--covered", help="List covered items too."),
             db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """The members' critical dependencies (public data) that no agreement in force covers."""
    from allychain.data.load import load
    from allychain.workspace.agreements import gaps

    store = _store(db)
    out = gaps(store, _me(store), load(data), members, include_covered=covered)
    if fmt == Format.json:
        emit(out, fmt)
        return
    rows = [{**r, "agreements": ", ".join(r["agreements"])} for r in out["rows"]]
    _show(rows, fmt, f"critical dependencies of {', '.join(out['members'])} without an agreement in force")
    typer.echo(f"{out['gaps']} gap(s); 'not_assessable': the public data cannot tell whether the item is critical",
               err=True)


@agreement_app.command("coverage")
def coverage_cmd(db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Key items covered by agreements in force, and by whom."""
    from allychain.workspace.agreements import coverage

    store = _store(db)
    out = coverage(store, _me(store))
    if fmt != Format.json:
        out = [{**r, "parties": ", ".join(r["parties"])} for r in out]
    _show(out, fmt, "coverage")
