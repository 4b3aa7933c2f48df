"""``allychain workspace …``: the alliance workspace from the command line.

Commands that act for someone authenticate with ``$ALLYCHAIN_TOKEN`` (never a
command-line option, so tokens stay out of shell history); the database is
``--db URL``, else ``$ALLYCHAIN_DB``, else the embedded SQLite file in the user
data folder.  Every command goes through the same service functions — and the
same permission check — as the REST API.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from allychain.cli.console import FAILED, INVALID_INPUT
from allychain.cli.render import Format, emit
from allychain.errors import AllychainError, AuthenticationError, WorkspaceUnavailable

__all__ = ["app"]

app = typer.Typer(help="The alliance workspace: organisations, users, roles, confidential submissions, audit.",
                  no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
sub_app = typer.Typer(help="Submissions of one's organisation.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(sub_app, name="submissions")

DbOpt = typer.Option(None, "--db", help="Database URL or SQLite file (default: $ALLYCHAIN_DB, else the user data "
                                        "folder's workspace.db).", show_default=False)
FormatOpt = typer.Option(Format.table, "--format", "-f", help="Output format.")


def _store(db: str | None, migrate: bool = False) -> Any:
    from allychain.store import open_store

    return open_store(db, migrate=migrate)


def _me(store: Any) -> Any:
    from allychain.workspace.accounts import authenticate_token

    token = os.environ.get("ALLYCHAIN_TOKEN")
    if not token:
        raise AuthenticationError("set ALLYCHAIN_TOKEN to your API token (`allychain workspace init` prints the first "
                             "admin's; `allychain workspace user add` prints a new user's)")
    return authenticate_token(store, token, source="cli")


def _show(obj: Any, fmt: Format, title: str) -> None:
    import pandas as pd

    if isinstance(obj, list) and fmt != Format.json:
        obj = pd.DataFrame(obj)
    emit(obj, fmt, title=title)


@app.command("init")
def init_cmd(
    db: str | None = DbOpt,
    admin: str = typer.Option("admin", "--admin", help="Name of the first admin (created in an empty workspace)."),
    org: str = typer.Option("secretariat", "--org", help="Id of the secretariat organisation."),
    org_name: str = typer.Option("Secretariat", "--org-name", help="Name of the secretariat organisation."),
    fmt: Format = FormatOpt,
) -> None:
    """Create (or upgrade) the workspace database; in an empty one, the secretariat and its first admin.

    Prints the admin's API token once; keep it (export ALLYCHAIN_TOKEN=…).
    """
    from allychain.store import redact
    from allychain.workspace.accounts import bootstrap

    store = _store(db, migrate=True)
    with store.transaction() as repo:
        empty = repo.count_users() == 0
    out: dict[str, Any] = {"database": redact(store.url), "created_admin": empty}
    if empty:
        out.update(bootstrap(store, admin=admin, org_id=org, org_name=org_name))
        typer.echo("keep the token: it is shown only now (export ALLYCHAIN_TOKEN=…)", err=True)
    else:
        typer.echo("the workspace already has users; schema checked and up to date", err=True)
    emit(out, fmt, title="workspace")


@app.command("migrate")
def migrate_cmd(db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Upgrade an existing workspace database to this allychain's schema."""
    from allychain.store import make_engine, redact, resolve_url
    from allychain.store.migrate import current_revision, upgrade

    url = resolve_url(db)
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        if before is None:
            raise WorkspaceUnavailable(f"{redact(url)} has no workspace; create one with `allychain workspace init`")
        after = upgrade(engine)
    finally:
        engine.dispose()
    emit({"database": redact(url), "from_revision": before, "to_revision": after}, fmt, title="migrate")


@app.command("roles")
def roles_cmd(fmt: Format = FormatOpt) -> None:
    """The permission matrix: action × role (any: any organisation; own: one's own; -: not allowed)."""
    import pandas as pd

    from allychain.workspace.authz import ROLES, action_descriptions, matrix, role_org_kinds

    labels = {0: "-", 1: "own", 2: "any"}
    desc = action_descriptions()
    rows = [{"action": str(a), **{r: labels[int(s[r])] for r in ROLES}, "description": desc[a]}
            for a, s in matrix().items()]
    if fmt == Format.json:
        emit({"roles": {r: {"org_kinds": sorted(k)} for r, k in role_org_kinds().items()}, "matrix": rows}, fmt)
        return
    emit(pd.DataFrame(rows), fmt, title="permission matrix")


@org_app.command("add")
def org_add(
    org_id: str = typer.Argument(..., help="Short id (lower case), e.g. samsung or motie."),
    name: str = typer.Option(..., "--name", help="Full name."),
    kind: str = typer.Option(..., "--kind", help="government, company, university or secretariat."),
    country: str | None = typer.Option(None, "--country", help="ISO 3166 alpha-3 code."),
    db: str | None = DbOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Add an organisation (admin)."""
    from allychain.workspace.accounts import add_org

    store = _store(db)
    emit(add_org(store, _me(store), org_id, name, kind, country.upper() if country else None), fmt,
         title="organisation")


@org_app.command("list")
def org_list(db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Organisations you may see."""
    from allychain.workspace.accounts import list_orgs

    store = _store(db)
    _show(list_orgs(store, _me(store)), fmt, "organisations")


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name (login)."),
    org: str = typer.Option(..., "--org", help="Organisation id."),
    role: list[str] = typer.Option(..., "--role", help="Role (repeat for several)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read a dashboard password from stdin."),
    days: int = typer.Option(90, "--token-days", help="Lifetime of the first API token (days)."),
    db: str | None = DbOpt,
    fmt: Format = typer.Option(Format.json, "--format", "-f", help="Output format."),
) -> None:
    """Add a user (admin); prints JSON with the user's first API token, shown only now."""
    from allychain.workspace.accounts import add_user

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    store = _store(db)
    emit(add_user(store, _me(store), name, org, role, password=password, token_days=days), fmt, title="user")


@user_app.command("list")
def user_list(org: str | None = typer.Option(None, "--org"), db: str | None = DbOpt,
              fmt: Format = FormatOpt) -> None:
    """Users (admin)."""
    from allychain.workspace.accounts import list_users

    store = _store(db)
    _show(list_users(store, _me(store), org), fmt, "users")


@user_app.command("grant")
def user_grant(name: str = typer.Argument(...), role: str = typer.Argument(...), db: str | None = DbOpt,
               fmt: Format = FormatOpt) -> None:
    """Give a role to a user (admin)."""
    from allychain.workspace.accounts import grant_role

    store = _store(db)
    emit(grant_role(store, _me(store), name, role), fmt, title="roles")


@user_app.command("revoke")
def user_revoke(name: str = typer.Argument(...), role: str = typer.Argument(...), db: str | None = DbOpt,
                fmt: Format = FormatOpt) -> None:
    """Take a role from a user (admin)."""
    from allychain.workspace.accounts import revoke_role

    store = _store(db)
    emit(revoke_role(store, _me(store), name, role), fmt, title="roles")


@token_app.command("create")
def token_create(
    user: str | None = typer.Option(None, "--user", help="For another user (admin); default: yourself."),
    description: str = typer.Option("", "--description", help="What the token is for."),
    days: int = typer.Option(90, "--days", help="Lifetime in days (1-366)."),
    db: str | None = DbOpt,
    fmt: Format = typer.Option(Format.json, "--format", "-f", help="Output format."),
) -> None:
    """Create an API token; the secret is printed only now."""
    from allychain.workspace.accounts import create_token

    store = _store(db)
    emit(create_token(store, _me(store), user, description, days), fmt, title="token")


@token_app.command("list")
def token_list(user: str | None = typer.Option(None, "--user"), db: str | None = DbOpt,
               fmt: Format = FormatOpt) -> None:
    """API tokens (never their secrets)."""
    from allychain.workspace.accounts import list_tokens

    store = _store(db)
    _show(list_tokens(store, _me(store), user), fmt, "tokens")


@token_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(..., help="Token id (the part after 'ally_')."),
                 db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Revoke an API token (it stays listed, with the time of revocation)."""
    from allychain.workspace.accounts import revoke_token

    store = _store(db)
    emit(revoke_token(store, _me(store), token_id), fmt, title="token")


@audit_app.command("verify")
def audit_verify(db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Check the hash chain; exit 1 naming the first altered, removed or reordered record."""
    from allychain.workspace.trail import verify_chain

    store = _store(db)
    result = verify_chain(store, _me(store))
    if fmt == Format.json:
        emit(result.to_dict(), fmt)
    elif result.ok:
        typer.echo(f"audit chain verifies: {result.records} records")
    if not result.ok:
        typer.echo(f"error: audit chain broken at record {result.bad_seq}: {result.reason}", err=True)
        raise typer.Exit(FAILED)


@audit_app.command("export")
def audit_export(out: Path | None = typer.Option(None, "--out", help="File to write (default: stdout)."),
                 db: str | None = DbOpt) -> None:
    """Write every record as JSON lines (with its hash), for safekeeping elsewhere."""
    import json

    from allychain.workspace.trail import export_chain

    store = _store(db)
    rows = export_chain(store, _me(store))
    if out is None:
        for r in rows:
            sys.stdout.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
        return
    tmp = out.with_name(out.name + ".part")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    tmp.replace(out)
    typer.echo(f"{n} audit records written to {out}", err=True)


@audit_app.command("list")
def audit_list(after: int = typer.Option(0, "--after"), limit: int = typer.Option(50, "--limit"),
               db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Audit records after a sequence number (stewards, admins)."""
    from allychain.workspace.trail import read_events

    store = _store(db)
    rows = read_events(store, _me(store), after=after, limit=limit)
    _show([{k: r[k] for k in ("seq", "at", "actor", "actor_org", "action", "outcome", "object_type", "object_id",
                              "object_org")} for r in rows] if fmt != Format.json else rows, fmt, "audit")


@app.command("submit")
def submit_cmd(
    file: Path = typer.Argument(..., help="CSV file (capacity, inventory or sourcing table)."),
    kind: str = typer.Option(..., "--kind", help="capacity, inventory or sourcing."),
    correct: str | None = typer.Option(None, "--correct", help="Submission id: store a corrected version."),
    if_version: int | None = typer.Option(None, "--if-version", help="With --correct: fail if the submission "
                                                                        "is no longer at this version."),
    db: str | None = DbOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Submit a confidential table for your organisation (needs ALLYCHAIN_TOKEN of a submitter)."""
    from allychain.errors import DataError
    from allychain.workspace import submissions

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise AllychainError(f"{file}: cannot read: {exc.strerror or exc}") from None
    store = _store(db)
    me = _me(store)
    try:
        if correct:
            out = submissions.correct(store, me, correct, data, file.name, expected_version=if_version)
            if out["kind"] != kind:
                raise AllychainError(f"submission {correct} is a {out['kind']} table, not {kind}")
        else:
            out = submissions.submit(store, me, kind, data, file.name)
    except DataError as exc:
        if fmt == Format.json:
            emit({"stored": False, "problems": [p.to_dict() for p in exc.problems]}, fmt)
        else:
            typer.echo(f"error: {file}: {len(exc.problems)} problem(s); nothing stored", err=True)
            for p in exc.problems[:50]:
                typer.echo(f"  - {p}", err=True)
            if len(exc.problems) > 50:
                typer.echo(f"  … and {len(exc.problems) - 50} more (--format json lists every problem)", err=True)
        raise typer.Exit(INVALID_INPUT) from None
    emit(out, fmt, title="submission")


@sub_app.command("list")
def submissions_list(kind: str | None = typer.Option(None, "--kind"), db: str | None = DbOpt,
                     fmt: Format = FormatOpt) -> None:
    """Submissions you may see (metadata)."""
    from allychain.workspace.submissions import list_submissions

    store = _store(db)
    _show(list_submissions(store, _me(store), kind), fmt, "submissions")


@sub_app.command("show")
def submissions_show(sub_id: str = typer.Argument(...), version: int | None = typer.Option(None, "--version"),
                     db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """One submission with its versions; the data of a version (audited)."""
    from allychain.workspace.submissions import get_submission

    store = _store(db)
    out = get_submission(store, _me(store), sub_id, version)
    if fmt == Format.json:
        emit(out, fmt)
        return
    _show(out["versions"], fmt, f"submission {sub_id} ({out['kind']}, {out['status']})")
    typer.echo(out["data"]["csv"], nl=False)


@sub_app.command("withdraw")
def submissions_withdraw(sub_id: str = typer.Argument(...), db: str | None = DbOpt,
                         fmt: Format = FormatOpt) -> None:
    """Withdraw a submission (it stops being used; the record remains)."""
    from allychain.workspace.submissions import withdraw

    store = _store(db)
    emit(withdraw(store, _me(store), sub_id), fmt, title="submission")
