"""``allychain workspace incident open|assess|allocate|record|close|list|show``: the crisis workflow.

Thin commands over :mod:`allychain.workspace.incidents` (registered on the ``workspace``
command group), authenticated with ``$ALLYCHAIN_TOKEN`` and bound by the permission matrix.
Invalid fields exit 3 (nothing stored); commitments that cannot all be honoured exit 1
naming the conflicting set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from allychain.cli.console import FAILED, INVALID_INPUT
from allychain.cli.render import Format, emit
from allychain.cli.workspace import DbOpt, FormatOpt, _me, _show, _store, app
from allychain.errors import AllychainError, CommitmentConflict, InvalidRecord

__all__: list[str] = []

incident_app = typer.Typer(help="Incidents: open → assessed → responding → closed, with the after-action report.",
                           no_args_is_help=True)
app.add_typer(incident_app, name="incident")


def _fail(exc: Exception, fmt: Format) -> None:
    code = INVALID_INPUT if isinstance(exc, InvalidRecord) else FAILED
    if fmt == Format.json:
        emit({"changed": False, "problems": getattr(exc, "problems", []),
              "conflicting": getattr(exc, "conflicting", []), "message": str(exc)}, fmt)
    else:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code)


@incident_app.command("open")
def open_cmd(file: Path = typer.Argument(..., help="Incident fields (YAML): title, items, countries, firms, "
                                                 "shocks, horizon, members, shortfalls, supply."),
             db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Open an incident (stewards, analysts)."""
    from allychain.data.spec import read_yaml
    from allychain.workspace.incidents import open_incident

    doc = read_yaml(file, "incident file")
    if not isinstance(doc, dict):
        raise AllychainError(f"{file}: expected a mapping of title, items, countries, shocks, …")
    store = _store(db)
    try:
        out = open_incident(store, _me(store), doc)
    except InvalidRecord as exc:
        _fail(exc, fmt)
    emit(out, fmt, title="incident")


@incident_app.command("assess")
def assess_cmd(incident_id: str = typer.Argument(...),
               data: str = typer.Option("builtin", "--data", help="Dataset the scenario runs on."),
               db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Run the scenario and the TTS/TTR of the disrupted nodes (open → assessed)."""
    from allychain.data.load import load
    from allychain.workspace.incidents import assess

    store = _store(db)
    out = assess(store, _me(store), incident_id, load(data))
    if fmt == Format.json:
        emit(out, fmt)
        return
    exp = out["assessment"]["expected"]
    typer.echo(f"incident {incident_id}: {out['state']}; expected total loss {exp['total']['total_loss']:.4g} "
               f"({exp['unit']})")
    _show([{"member": m, **(v or {})} for m, v in exp["members"].items()], fmt, "expected, by member")
    if exp.get("tts_ttr"):
        _show(exp["tts_ttr"], fmt, "time to survive / recover")
    elif exp.get("tts_ttr_note"):
        typer.echo(f"TTS/TTR {exp['tts_ttr_note']}", err=True)


@incident_app.command("allocate")
def allocate_cmd(incident_id: str = typer.Argument(...),
                 fairness: bool = typer.Option(False, "--fairness/--no-fairness", help="Max-min fair first."),
                 plan_out: Path | None = typer.Option(None, "--plan-out", help="Also write the plan as YAML "
                                                      "(for `allychain optimize allocate`)."),
                 db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Emergency allocation under the agreements in force (assessed → responding)."""
    from allychain.workspace.incidents import allocate

    store = _store(db)
    try:
        out = allocate(store, _me(store), incident_id, fairness=fairness)
    except (InvalidRecord, CommitmentConflict) as exc:
        _fail(exc, fmt)
    if plan_out is not None:  # JSON is YAML: the plan reads back with `allychain optimize allocate`
        import json

        plan_out.write_text(json.dumps(out["allocation"]["plan"], indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        typer.echo(f"plan written to {plan_out}", err=True)
    if fmt == Format.json:
        emit(out, fmt)
        return
    res = out["allocation"]["result"]
    typer.echo(res["message"])
    _show(res["allocation"], fmt, "shipments")
    _show(res["commitments"], fmt, "commitments in force")


@incident_app.command("record")
def record_cmd(incident_id: str = typer.Argument(...), text: str = typer.Argument(...),
               kind: str = typer.Option("decision", "--kind", help="decision, action or note."),
               db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Record a decision, an action or a note on the incident's timeline."""
    from allychain.workspace.incidents import record

    store = _store(db)
    emit(record(store, _me(store), incident_id, kind, text), fmt, title="recorded")


@incident_app.command("close")
def close_cmd(incident_id: str = typer.Argument(...),
              happened: str = typer.Option(..., "--happened", help="What happened (entered by hand)."),
              lessons: str = typer.Option(..., "--lessons", help="The lessons."),
              db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Close the incident; prints the after-action report."""
    from allychain.workspace.incidents import close

    store = _store(db)
    try:
        out = close(store, _me(store), incident_id, happened, lessons)
    except InvalidRecord as exc:
        _fail(exc, fmt)
    if fmt == Format.json:
        emit(out["report"], fmt)
        return
    rep: dict[str, Any] = out["report"]
    _show(rep["timeline"], fmt, f"after-action report: {rep['title']} — timeline")
    typer.echo(f"model expected: total loss {((rep['expected'] or {}).get('total') or {}).get('total_loss')}")
    typer.echo(f"allocation: {rep['allocation']}")
    typer.echo(f"what happened: {rep['happened']}")
    typer.echo(f"lessons: {rep['lessons']}")


@incident_app.command("list")
def list_cmd(db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Incidents and their state."""
    from allychain.workspace.incidents import list_incidents

    store = _store(db)
    out = list_incidents(store, _me(store))
    if fmt != Format.json:
        out = [{k: r[k] for k in ("id", "state", "title", "opened_at", "closed_at")} for r in out]
    _show(out, fmt, "incidents")


@incident_app.command("show")
def show_cmd(incident_id: str = typer.Argument(...), db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """An incident with its timeline."""
    from allychain.workspace.incidents import get_incident

    store = _store(db)
    out = get_incident(store, _me(store), incident_id)
    if fmt == Format.json:
        emit(out, fmt)
        return
    _show([{k: e.get(k) for k in ("seq", "at", "by", "kind", "state", "text")} for e in out["timeline"]], fmt,
          f"incident {incident_id} ({out['state']}): {out['title']}")
