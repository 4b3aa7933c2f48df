"""``allychain workspace dialogue …``: dialogue series, meetings, action items, calendar, since-last-meeting.

Thin commands over :mod:`allychain.workspace.dialogues`, authenticated with
``$ALLYCHAIN_TOKEN`` and bound by the same permission matrix as the REST API.
"""

from __future__ import annotations

from pathlib import Path

import typer

from allychain.cli.render import Format, emit
from allychain.cli.workspace import DbOpt, FormatOpt, _me, _show, _store, app

__all__: list[str] = []

dialogue_app = typer.Typer(help="Dialogues: series, meetings, action items (overdue), calendar, since last meeting.",
                           no_args_is_help=True)
app.add_typer(dialogue_app, name="dialogue")


@dialogue_app.command("add")
def add_cmd(name: str = typer.Argument(...), kind: str = typer.Option(..., "--kind"),
            cadence: str = typer.Option("annual", "--cadence", help="annual, biennial, semiannual, quarterly, …"),
            parties: str = typer.Option("", "--parties", help="Comma-separated parties."),
            series_id: str | None = typer.Option(None, "--id"), db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Create a dialogue series."""
    from allychain.workspace.dialogues import create_series

    store = _store(db)
    body = {"name": name, "kind": kind, "cadence": cadence, "id": series_id,
            "parties": [x.strip() for x in parties.split(",") if x.strip()]}
    emit(create_series(store, _me(store), body), fmt, title="dialogue")


@dialogue_app.command("meeting")
def meeting_cmd(series_id: str = typer.Argument(...), date: str = typer.Option(..., "--date"),
                title: str = typer.Option(..., "--title"), agenda: list[str] = typer.Option([], "--agenda"),
                db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Add a meeting to a series."""
    from allychain.workspace.dialogues import add_meeting

    store = _store(db)
    emit(add_meeting(store, _me(store), series_id, {"date": date, "title": title, "agenda": agenda}), fmt,
         title="meeting")


@dialogue_app.command("action")
def action_cmd(series_id: str = typer.Argument(...), title: str = typer.Option(..., "--title"),
               owner: str = typer.Option(..., "--owner", help="Owner organisation id."),
               due: str = typer.Option(..., "--due"), meeting: str | None = typer.Option(None, "--meeting"),
               db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Add an action item."""
    from allychain.workspace.dialogues import add_action

    store = _store(db)
    emit(add_action(store, _me(store), series_id, {"title": title, "owner": owner, "due": due, "meeting": meeting}),
         fmt, title="action item")


@dialogue_app.command("status")
def status_cmd(action_id: str = typer.Argument(...), status: str = typer.Argument(..., help="done, dropped, open"),
               db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Mark an action item done, dropped or open."""
    from allychain.workspace.dialogues import set_action_status

    store = _store(db)
    emit(set_action_status(store, _me(store), action_id, status), fmt, title="action item")


@dialogue_app.command("show")
def show_cmd(series_id: str = typer.Argument(...), db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """A series: meetings and action items (overdue ones flagged)."""
    from allychain.workspace.dialogues import get_series

    store = _store(db)
    out = get_series(store, _me(store), series_id)
    if fmt == Format.json:
        emit(out, fmt)
        return
    _show([{k: m[k] for k in ("id", "date", "title")} for m in out["meetings"]], fmt, f"{out['name']}: meetings")
    _show([{k: a[k] for k in ("id", "title", "owner", "due", "status", "overdue")} for a in out["actions"]], fmt,
          "action items")


@dialogue_app.command("calendar")
def calendar_cmd(series_id: str = typer.Argument(...), out: Path = typer.Option(..., "--out", help=".ics file"),
                 db: str | None = DbOpt) -> None:
    """Write the meetings and due dates as iCalendar."""
    from allychain.workspace.dialogues import calendar

    store = _store(db)
    out.write_bytes(calendar(store, _me(store), series_id))
    typer.echo(f"calendar written to {out}", err=True)


@dialogue_app.command("since")
def since_cmd(meeting_id: str = typer.Argument(...), db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """What changed since the previous meeting: agreements, incidents, action items."""
    from allychain.workspace.dialogues import since_last_meeting

    store = _store(db)
    emit(since_last_meeting(store, _me(store), meeting_id), Format.json if fmt == Format.table else fmt)


@dialogue_app.command("briefing")
def briefing_cmd(meeting_id: str = typer.Argument(...),
                 out: Path = typer.Option(..., "--out", help="HTML file of the briefing pack (opens offline)."),
                 pdf: Path | None = typer.Option(None, "--pdf", help="Also write a PDF (needs allychain[pdf])."),
                 members: str | None = typer.Option(None, "--members", help="Members (default: the series' "
                                                    "country parties, else KOR,NLD)."),
                 data: str = typer.Option("builtin", "--data", help="Dataset of the analyses."),
                 decisions: bool = typer.Option(True, "--decisions/--no-decisions",
                                                help="Include unprotected nodes (TTS < TTR)."),
                 overwrite: bool = typer.Option(False, "--overwrite"), db: str | None = DbOpt) -> None:
    """The meeting's briefing pack: the report plus what changed since the previous meeting."""
    from allychain.data.load import load
    from allychain.model.members import is_iso3
    from allychain.report.briefing import build_briefing, render_html, write_briefing
    from allychain.workspace.dialogues import get_series, since_last_meeting

    store = _store(db)
    me = _me(store)
    since = since_last_meeting(store, me, meeting_id)
    series = get_series(store, me, since["meeting"]["series"])
    countries = [x for x in series["parties"] if is_iso3(x)]
    chosen = members or (",".join(countries) if len(countries) >= 1 else "KOR,NLD")
    pack = build_briefing(load(data), chosen, data_label=data, decisions=decisions, since_last=since,
                          title=f"{series['name']}: {since['meeting']['title']} ({since['meeting']['date']})")
    write_briefing(pack, out, overwrite=overwrite)
    typer.echo(f"briefing pack written to {out}", err=True)
    if pdf is not None:
        from allychain.report.pdf import html_to_pdf

        html_to_pdf(render_html(pack), pdf, overwrite=overwrite)
        typer.echo(f"PDF written to {pdf}", err=True)
