"""``allychain watch …``: events read from text (see :mod:`allychain.watch`).

``watch extract FILE… | -`` reads plain text, HTML or PDF files (or standard input)
and prints their events: one JSON object per line (``--format jsonl``, the default),
one JSON array (``json``) or a table.  ``--link`` adds, per event, the members exposed
through all tiers (:func:`allychain.services.watch.link_event`).  A file that cannot be
read (too large, binary: status 3; missing or unreadable: status 4) is reported on
stderr and the others are still read; the exit status is then the highest of these.

``watch ingest FILE --layout comtrade|baci|long`` checks an indicator file whole and
merges it into the local store (:mod:`allychain.data.indicator_store`; ``--store DIR``,
else the user data folder); ``watch scan [--since DATE] [--format json]`` replays the
stored series and prints the alerts with the members exposed (JSON lines by default).
"""


from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from allychain.cli.agreement_cover import CoverDbOpt, CoverWsOpt

__all__ = ["app", "WatchFormat", "extract_cmd", "ingest_cmd", "scan_cmd", "deliver_cmd", "list_cmd", "backtest_cmd"]

app = typer.Typer(help="Watch: events (export controls, sanctions, fires, outages …) read from text.",
                  no_args_is_help=True)


class WatchFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    table = "table"


def _read(path: str, max_chars: int) -> tuple[str, str]:
    from allychain.watch import read_document

    if path == "-":
        return "stdin", read_document(sys.stdin.buffer.read(), "stdin", max_chars=max_chars)
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return path, read_document(p.read_bytes(), p.name, max_chars=max_chars)


def _row(ev: dict[str, Any]) -> dict[str, Any]:
    return {"document": ev["document"], "type": ev["type"], "items": ev["item_ids"],
            "unlinked": ev["unlinked_names"], "imposing": ev["imposing_ids"], "targeted": ev["targeted_ids"],
            "locations": ev["location_ids"], "firms": ev["firm_ids"], "announced": ev["announced_date"],
            "effective": ev["effective_date"]}


@app.command("extract")
def extract_cmd(
    files: list[str] = typer.Argument(..., help="Text, HTML or PDF files; '-' reads standard input."),
    date: str | None = typer.Option(None, "--date", help="Document date (YYYY-MM-DD) for relative dates such "
                                    "as 'next month' (default: a dateline in the first line, else none: such "
                                    "dates then stay unresolved, with a warning)."),
    data: str = typer.Option("builtin", "--data", "-d", help="Network whose items, firms and countries are linked."),
    fmt: WatchFormat = typer.Option(WatchFormat.jsonl, "--format", "-f", help="jsonl (one event per line), json "
                                    "(an array) or table."),
    link: bool = typer.Option(False, "--link", help="Add the members exposed to each event (through all tiers)."),
    members: str = typer.Option("KOR,NLD", "--members", "-m", help="Members for --link (codes, names, alliance)."),
    language: str = typer.Option("en", "--language", help="Lexicon language."),
    max_chars: int = typer.Option(1_000_000, "--max-chars", min=1, help="Longest document read (characters)."),
    time_budget: float = typer.Option(60.0, "--time-budget", min=0, help="Seconds per document after which the "
                                      "rest of it is not read (a warning says so)."),
) -> None:
    """Events in documents, with the character span of every field."""
    from allychain.cli.console import error, exit_code_for, warn
    from allychain.data.load import load
    from allychain.errors import MissingExtraError, TextInputError
    from allychain.watch import extract

    n = load(data)
    events: list[dict[str, Any]] = []
    status = 0
    for f in files:
        try:
            name, text = _read(f, max_chars)
            x = extract(n, text, date=date, language=language, document=name, max_chars=max_chars,
                        time_budget=time_budget)
        except MissingExtraError:
            raise
        except (TextInputError, OSError) as exc:
            error(str(exc))
            status = max(status, exit_code_for(exc))
            continue
        for w in x.warnings:
            warn(f"{name}: {w}")
        if link:
            from allychain.services.watch import link_events

            out = link_events(n, x.events, members)
        else:
            out = [e.to_dict() for e in x.events]
        for ev in out:
            events.append(ev)
            if fmt == WatchFormat.jsonl:
                sys.stdout.write(json.dumps(ev, ensure_ascii=False) + "\n")
        typer.echo(f"{name}: {len(x.events)} event(s) in {x.sentences} sentence(s), {x.seconds:.2f} s", err=True)
    if fmt == WatchFormat.json:
        sys.stdout.write(json.dumps(events, ensure_ascii=False, indent=2) + "\n")
    elif fmt == WatchFormat.table:
        import pandas as pd

        from allychain.cli.render import Format, emit

        rows = [dict(_row(e["event"] if link else e),
                     **({"exposed": e["exposed_members"]} if link else {})) for e in events]
        emit(pd.DataFrame(rows, columns=list(_row({k: None for k in (
            "document", "type", "item_ids", "unlinked_names", "imposing_ids", "targeted_ids", "location_ids",
            "firm_ids", "announced_date", "effective_date")})) + (["exposed"] if link else [])),
             Format.table, title="events")
    if status:
        raise typer.Exit(status)


WS_DB = typer.Option(None, "--db", help="Workspace database URL: series and alerts are stored there (with "
                     "$ALLYCHAIN_TOKEN; default: the local file store).")
WS_FLAG = typer.Option(False, "--workspace", help="Use the workspace database ($ALLYCHAIN_DB, else the embedded "
                       "one) instead of the local file store.")


def _ws_store(db: str | None) -> Any:
    from allychain.store import open_store

    return open_store(db)


def _ws_me(st: Any) -> Any:
    import os

    from allychain.errors import AuthenticationError
    from allychain.workspace.accounts import authenticate_token

    token = os.environ.get("ALLYCHAIN_TOKEN")
    if not token:
        raise AuthenticationError("set ALLYCHAIN_TOKEN to your workspace API token to use --db/--workspace")
    return authenticate_token(st, token, source="cli")


class Layout(StrEnum):
    long = "long"
    comtrade = "comtrade"
    baci = "baci"


class ScanFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    table = "table"


@app.command("ingest")
def ingest_cmd(
    file: Path = typer.Argument(..., help="CSV file (Comtrade or BACI extract, or the long layout)."),
    layout: Layout = typer.Option(Layout.long, "--layout", "-l", help="comtrade, baci or long."),
    store: Path | None = typer.Option(None, "--store", help="Store folder (default: the user data folder)."),
    db: str | None = WS_DB,
    workspace: bool = WS_FLAG,
) -> None:
    """Check an indicator file and merge it into the local store or the workspace (all or nothing)."""
    from allychain.cli.console import warn

    if db is not None or workspace:
        from allychain.workspace import watch as ws_watch

        st = _ws_store(db)
        out = ws_watch.ingest(st, _ws_me(st), file, layout.value)
        for w in out.pop("warnings"):
            warn(w)
        sys.stdout.write(json.dumps({**out, "workspace": True}) + "\n")
        return
    from allychain.data.indicator_store import ingest

    r = ingest(file, layout.value, store)
    for w in r.warnings:
        warn(str(w))
    sys.stdout.write(json.dumps({"file": r.file, "layout": r.layout, "rows_read": r.rows_read, "added": r.added,
                                 "replaced": r.replaced, "stored": r.stored, "warnings": len(r.warnings)}) + "\n")


_SCAN_FIELDS = ("alert_id", "event_id", "detectors", "date", "kind", "severity", "item_ids", "reporter", "partner", "flow", "indicator",
                "members_exposed", "destinations", "coverage", "size", "size_unit", "score", "first_detected",
                "last_detected", "sightings", "evidence", "exposure", "nodes")


@app.command("scan")
def scan_cmd(
    since: str | None = typer.Option(None, "--since", help="First as-of date replayed (YYYY-MM-DD; default: "
                                     "11 months before the newest date stored, i.e. the last 12 months)."),
    until: str | None = typer.Option(None, "--until", help="Last as-of date replayed (default: the latest)."),
    fmt: ScanFormat = typer.Option(ScanFormat.jsonl, "--format", "-f", help="jsonl, json or table."),
    members: str = typer.Option("KOR,NLD", "--members", "-m", help="Members assessed (codes, names, alliance)."),
    data: str = typer.Option("builtin", "--data", "-d", help="Network the alerts are linked to."),
    store: Path | None = typer.Option(None, "--store", help="Store folder (default: the user data folder)."),
    derived: bool = typer.Option(True, "--derived/--no-derived", help="Also scan unit values, shares and HHI."),
    db: str | None = WS_DB,
    workspace: bool = WS_FLAG,
    deliver_wait: float = typer.Option(60.0, "--deliver-wait", min=0, help="With a workspace: seconds to wait, "
                                       "after the alerts are printed, for their delivery (webhook, e-mail) before "
                                       "exiting; what is not done by then is not recorded."),
) -> None:
    """Alerts on the stored indicator series, with the members and nodes exposed."""
    import pandas as pd

    from allychain.data.indicator_store import load_indicators
    from allychain.data.load import load
    from allychain.errors import DataError
    from allychain.services.watch_alerts import link_alerts
    from allychain.watch.alerts import scan
    from allychain.watch.indicators import derive

    for d in (since, until):
        if d is not None and not _is_date(d):
            raise DataError(f"not an ISO date: {d!r}", expected="YYYY-MM-DD")
    st = me = None
    if db is not None or workspace:
        from allychain.workspace import watch as ws_watch
        from allychain.workspace.delivery import DeliveryConfig

        cfg = DeliveryConfig.from_env()   # a bad configuration fails before the scan
        st = _ws_store(db)
        me = _ws_me(st)
        table = ws_watch.indicator_table(st, me)
    else:
        table = load_indicators(store)
    if table.empty:
        typer.echo("the indicator store is empty: run 'allychain watch ingest FILE' first", err=True)
    if derived and len(table):
        table = pd.concat([table, derive(table)], ignore_index=True)
    if since is None and len(table):
        since = (pd.Timestamp(table["date"].max()) - pd.DateOffset(months=11)).strftime("%Y-%m-%d")
        typer.echo(f"replaying the as-of dates from {since} (--since to change)", err=True)
    alerts = link_alerts(load(data), scan(table, since, until), members)
    rows = [{k: a.get(k) for k in _SCAN_FIELDS} for a in alerts]
    sender = None
    if st is not None:
        from allychain.workspace.delivery import deliver_async

        res = ws_watch.store_alerts(st, me, alerts)
        for r in rows:
            r["alert_id"] = res["ids"].get(r["alert_id"], r["alert_id"])
            r["state"] = res["states"].get(r["alert_id"])
        typer.echo(f"workspace: {len(res['created'])} alert(s) created, {len(res['updated'])} updated, "
                   f"{res['unchanged']} unchanged", err=True)
        if res["changed"] and cfg.channels:
            sender = deliver_async(st, cfg, res["changed"])
    typer.echo(f"{len(rows)} alert(s)", err=True)
    if fmt == ScanFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=float) + "\n")
    elif fmt == ScanFormat.jsonl:
        for r in rows:
            sys.stdout.write(json.dumps(r, ensure_ascii=False, default=float) + "\n")
    else:
        from allychain.cli.render import Format, emit

        cols = ["date", "kind", "severity", "item_ids", "reporter", "partner", "indicator", "members_exposed",
                "size", "score"]
        emit(pd.DataFrame([{k: r[k] for k in cols} for r in rows], columns=cols), Format.table, title="alerts")
    if sender is not None:
        sys.stdout.flush()
        sender.join(deliver_wait)
        if sender.is_alive():
            typer.echo(f"delivery still running after {deliver_wait:g} s: left unfinished", err=True)


@app.command("deliver")
def deliver_cmd(db: str | None = WS_DB, workspace: bool = WS_FLAG) -> None:
    """Send again the stored alerts whose last delivery failed (webhook, e-mail; configured by the environment)."""
    from allychain.errors import AllychainError
    from allychain.workspace import watch as ws_watch
    from allychain.workspace.delivery import DeliveryConfig, redeliver

    if db is None and not workspace:
        raise AllychainError("deliveries are recorded in a workspace: give --db URL or --workspace")
    cfg = DeliveryConfig.from_env()
    if not cfg.channels:
        raise AllychainError("no delivery is configured: set ALLYCHAIN_WATCH_WEBHOOK_URL or ALLYCHAIN_SMTP_HOST and "
                             "ALLYCHAIN_SMTP_TO (see docs/watch.md)")
    st = _ws_store(db)
    out = redeliver(st, cfg, ws_watch.failed_deliveries(st, _ws_me(st)))
    typer.echo(f"{sum(r['status'] == 'delivered' for r in out)} of {len(out)} delivered", err=True)
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    if any(r["status"] == "failed" for r in out):
        raise typer.Exit(1)


def _is_date(text: str) -> bool:
    import re

    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


@app.command("list")
def list_cmd(
    members: str = typer.Option("KOR,NLD", "--members", "-m", help="Members (codes, names, an alliance)."),
    data: str = typer.Option("builtin", "--data", "-d", help="Network whose dependencies are graded."),
    fmt: ScanFormat = typer.Option(ScanFormat.table, "--format", "-f", help="table, json or jsonl."),
    grades: str = typer.Option("A,B,C,D", "--grades", help="Grades shown, comma-separated."),
    tts: bool = typer.Option(True, "--tts/--no-tts", help="Grade by time to survive against time to recover "
                             "(runs the decision model; --no-tts: not assessed)."),
    db: str | None = CoverDbOpt,
    workspace: bool = CoverWsOpt,
) -> None:
    """The graded watchlist: items where one country supplies at least half of what a member needs, graded by
    dependency, time to survive vs time to recover, and agreement cover (with a workspace)."""
    from allychain.cli.agreement_cover import read_cover
    from allychain.data.load import load
    from allychain.errors import DataError
    from allychain.model.members import resolve_members
    from allychain.services.watchlist import GRADES, watchlist

    want = [g.strip().upper() for g in grades.split(",") if g.strip()]
    if not want or not set(want) <= set(GRADES):
        raise DataError(f"unknown grade in {grades!r}", expected="some of A,B,C,D")
    n = load(data)
    cover = read_cover(db, workspace, resolve_members(members, n))
    wl = watchlist(n, members, tts_ttr=tts, cover=cover)
    for m in wl.attrs.get("not_covered", []):
        typer.echo(f"{m}: not covered (the network records no inputs of its production)", err=True)
    wl = wl[wl["grade"].isin(want)]
    typer.echo(f"{len(wl)} item(s) on the watchlist", err=True)
    recs = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in wl.to_dict("records")]
    if fmt == ScanFormat.json:
        sys.stdout.write(json.dumps(recs, ensure_ascii=False, indent=2) + "\n")
    elif fmt == ScanFormat.jsonl:
        for r in recs:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    else:
        from allychain.cli.render import Format, emit

        emit(wl[["grade", "base_grade", "cadence", "member", "item_id", "top_country", "top_share", "unknown_share",
                 "tts_ttr", "agreement_cover", "tier", "hs_codes"]], Format.table, title="watchlist")


@app.command("backtest")
def backtest_cmd(
    events: Path = typer.Argument(..., help="CSV of documented events: event_id, date, reporter, and any of "
                                  "partner, flow, hs_code, item, description, source."),
    since: str | None = typer.Option(None, "--since", help="First as-of date replayed (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Last as-of date replayed."),
    store: Path | None = typer.Option(None, "--store", help="Store folder (default: the user data folder)."),
    fmt: ScanFormat = typer.Option(ScanFormat.table, "--format", "-f", help="table or json."),
) -> None:
    """Replay the stored series month by month (no look-ahead) and score the alerts against events."""
    import pandas as pd

    from allychain.data.indicator_store import load_indicators
    from allychain.errors import DataError
    from allychain.watch.backtest import backtest
    from allychain.watch.indicators import derive

    for d in (since, until):
        if d is not None and not _is_date(d):
            raise DataError(f"not an ISO date: {d!r}", expected="YYYY-MM-DD")
    if not events.is_file():
        raise DataError("no such file", file=str(events))
    ev = pd.read_csv(events, dtype=str, keep_default_na=False)
    table = load_indicators(store)
    if len(table):
        table = pd.concat([table, derive(table)], ignore_index=True)
    res = backtest(table, ev, since, until)
    if fmt in (ScanFormat.json, ScanFormat.jsonl):
        recs = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                for r in res.events.to_dict("records")]
        sys.stdout.write(json.dumps({"summary": res.summary(), "events": recs}, ensure_ascii=False, indent=2,
                                    default=float) + "\n")
    else:
        from allychain.cli.render import Format, emit

        emit(res.events[["event_id", "date", "first_alert", "lag_periods", "alert_kind", "severity",
                         "indicator"]], Format.table, title="backtest")
        typer.echo(json.dumps(res.summary(), default=float), err=True)


from allychain.cli.watch_lead import lead_cmd  # noqa: E402 - the lead command lives in its own module

app.command("lead")(lead_cmd)
