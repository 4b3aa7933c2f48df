"""Dialogues: series, meetings, action items (overdue), iCalendar export, what changed since the last meeting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from allychain.errors import InvalidRecord, NotFound, PermissionDenied
from allychain.workspace import agreements as ag
from allychain.workspace import dialogues as dlg
from allychain.workspace.audit import verify


def test_dialogue_since_last_meeting_and_calendar(store: Any, people: dict[str, Any]) -> None:
    p = people["p"]
    steward = p["steward"]
    today = dt.date.today()
    day = lambda n: (today + dt.timedelta(days=n)).isoformat()  # noqa: E731
    series = dlg.create_series(store, steward, {"id": "semi", "name": "Korea–Netherlands semiconductor dialogue",
                                                "kind": "semiconductor dialogue", "cadence": "annual",
                                                "parties": ["KOR", "NLD"]})
    m1 = dlg.add_meeting(store, steward, "semi", {"date": day(-10), "title": "3rd round", "agenda": ["neon"]})
    m2 = dlg.add_meeting(store, steward, "semi", {"date": day(1), "title": "4th round"})
    done = dlg.add_action(store, steward, "semi", {"title": "Neon stock survey", "owner": "samsung",
                                                   "due": day(5), "meeting": m1["id"], "links": {"items": ["neon"]}})
    late = dlg.add_action(store, steward, "semi", {"title": "Export-control contact list", "owner": "asml",
                                                   "due": day(-1), "meeting": m1["id"]})
    dlg.set_action_status(store, steward, done["id"], "done")
    ag.register(store, steward, {"title": "KOR–NLD MOU on neon", "parties": ["KOR", "NLD"], "signed": day(-2),
                                 "valid_to": day(100), "items": ["neon"], "source": "MOU text",
                                 "commitments": [{"item": "neon", "from": "KOR", "to": "NLD", "min": 10}]}, "mou")
    ag.set_status(store, steward, "mou", "in_force")
    # between the 3rd and the 4th round: the MOU was signed, one action done, one overdue, the MOU expires soon
    since = dlg.since_last_meeting(store, p["observer_asml"], m2["id"])
    assert since["previous_meeting"] == day(-10)
    assert [a["id"] for a in since["agreements_in_force"]] == ["mou"]
    assert [a["id"] for a in since["agreements_expiring"]] == ["mou"]
    assert [a["id"] for a in since["actions_done"]] == [done["id"]]
    assert [a["id"] for a in since["actions_overdue"]] == [late["id"]]
    before = dlg.since_last_meeting(store, steward, m1["id"])  # nothing of it had happened by the 3rd round
    assert before["previous_meeting"] is None
    assert not before["agreements_in_force"] and not before["actions_done"] and not before["actions_overdue"]
    view = dlg.get_series(store, p["submitter_samsung"], "semi")
    assert view["overdue"] == [late["id"]] and len(view["meetings"]) == 2
    # iCalendar: the two meetings as all-day events, the two action items as to-dos with their due dates
    from icalendar import Calendar

    cal = Calendar.from_ical(dlg.calendar(store, p["observer_samsung"], "semi"))
    events = {str(e["summary"]): e.decoded("dtstart") for e in cal.walk("VEVENT")}
    assert events == {f"{series['name']}: 3rd round": dt.date.fromisoformat(day(-10)),
                      f"{series['name']}: 4th round": dt.date.fromisoformat(day(1))}
    todos = {str(t["status"]): t.decoded("due") for t in cal.walk("VTODO")}
    assert todos == {"COMPLETED": dt.date.fromisoformat(day(5)), "NEEDS-ACTION": dt.date.fromisoformat(day(-1))}
    assert verify(store).ok


def test_dialogue_roles_and_bad_input(store: Any, people: dict[str, Any]) -> None:
    p = people["p"]
    with pytest.raises(PermissionDenied):
        dlg.create_series(store, p["submitter_samsung"], {"name": "x", "kind": "y"})
    mine = dlg.create_series(store, p["analyst_samsung"], {"name": "2+2", "kind": "ministerial",
                                                           "cadence": "biennial"})
    with pytest.raises(NotFound):  # another organisation's analyst: as if it did not exist
        dlg.add_meeting(store, p["analyst_asml"], mine["id"], {"date": "2027-01-01", "title": "x"})
    for body, msg in (({"date": "2027-02-30", "title": "x"}, "date: '2027-02-30'"), ({"date": "2027-01-01"}, "title")):
        with pytest.raises(InvalidRecord) as err:
            dlg.add_meeting(store, p["analyst_samsung"], mine["id"], body)
        assert msg in str(err.value)
    with pytest.raises(InvalidRecord):
        dlg.add_action(store, p["analyst_samsung"], mine["id"], {"title": "t", "owner": "nobody", "due": "2027-01-01"})
    with pytest.raises(InvalidRecord):
        dlg.create_series(store, p["steward"], {"name": "x", "kind": "y", "cadence": "fortnightly"})
    assert dlg.get_series(store, p["steward"], mine["id"])["meetings"] == []


def test_cli_dialogue(tmp_path: Any) -> None:
    import json

    from icalendar import Calendar
    from typer.testing import CliRunner

    from allychain.cli.main import app
    from allychain.store import open_store
    from allychain.workspace import accounts

    db = f"sqlite:///{tmp_path / 'ws.db'}"
    store = open_store(db, migrate=True)
    boot = accounts.bootstrap(store)
    tok = accounts.add_user(store, accounts.authenticate_token(store, boot["token"]), "stew", "secretariat",
                            ["steward"])["token"]
    store.dispose()

    def run(*args: str) -> Any:
        res = CliRunner().invoke(app, ["workspace", "dialogue", *args, "--db", db], env={"ALLYCHAIN_TOKEN": tok})
        assert res.exit_code == 0, (res.output, res.exception)
        return res

    run("add", "2+2 ministerial dialogue", "--kind", "2+2", "--cadence", "biennial", "--id", "two")
    meeting = json.loads(run("meeting", "two", "--date", "2027-05-02", "--title", "Seoul", "--format", "json").stdout)
    run("action", "two", "--title", "Joint statement", "--owner", "secretariat", "--due", "2027-06-01",
        "--meeting", meeting["id"])
    run("calendar", "two", "--out", str(tmp_path / "two.ics"))
    cal = Calendar.from_ical((tmp_path / "two.ics").read_bytes())
    assert len(cal.walk("VEVENT")) == 1 and len(cal.walk("VTODO")) == 1
    since = json.loads(run("since", meeting["id"]).stdout)
    assert since["previous_meeting"] is None and since["actions_overdue"] == []


def test_meeting_briefing_pack_reports_what_changed(tmp_path: Any) -> None:
    """An agreement signed and an action item done between two meetings appear in the second meeting's pack,
    in its "since the last meeting" section; the pack loads nothing from the network; its PDF renders."""
    import re
    import shutil
    import subprocess

    from typer.testing import CliRunner

    from allychain.cli.main import app
    from allychain.report.pdf import pdf_available
    from allychain.store import open_store
    from allychain.workspace import accounts

    db = f"sqlite:///{tmp_path / 'ws.db'}"
    store = open_store(db, migrate=True)
    boot = accounts.bootstrap(store)
    stew = accounts.authenticate_token(store, accounts.add_user(
        store, accounts.authenticate_token(store, boot["token"]), "stew", "secretariat", ["steward"])["token"])
    today = dt.date.today()
    dlg.create_series(store, stew, {"id": "semi", "name": "Semiconductor dialogue", "kind": "dialogue",
                                    "parties": ["KOR", "NLD"]})
    m1 = dlg.add_meeting(store, stew, "semi", {"date": (today - dt.timedelta(days=30)).isoformat(), "title": "3rd"})
    m2 = dlg.add_meeting(store, stew, "semi", {"date": (today + dt.timedelta(days=2)).isoformat(), "title": "4th"})
    act = dlg.add_action(store, stew, "semi", {"title": "Neon stock survey", "owner": "secretariat",
                                               "due": today.isoformat(), "meeting": m1["id"]})
    dlg.set_action_status(store, stew, act["id"], "done")
    ag.register(store, stew, {"title": "Korea-Netherlands neon MOU", "parties": ["KOR", "NLD"],
                              "signed": today.isoformat(), "items": ["neon"], "source": "MOU text",
                              "commitments": [{"item": "neon", "from": "KOR", "to": "NLD", "min": 10}]}, "mou")
    ag.set_status(store, stew, "mou", "in_force")
    tok = accounts.create_token(store, stew, description="t", days=1)["token"]
    store.dispose()
    out, pdf = tmp_path / "pack.html", tmp_path / "pack.pdf"
    args = ["workspace", "dialogue", "briefing", m2["id"], "--out", str(out), "--no-decisions", "--db", db]
    if pdf_available():
        args += ["--pdf", str(pdf)]
    res = CliRunner().invoke(app, args, env={"ALLYCHAIN_TOKEN": tok})
    assert res.exit_code == 0, (res.output, res.exception)
    html = out.read_text(encoding="utf-8")
    section = html[html.index('id="since-last-meeting"'):html.index('id="chokepoints"')]
    assert "Korea-Netherlands neon MOU" in section and "Neon stock survey" in section
    assert f"previous meeting on {m1['date']}" in section
    assert not re.search(r'(src|href)="(https?:)?//', html)  # opens offline: nothing fetched from the network
    if not pdf_available():
        pytest.skip("WeasyPrint is not installed: the PDF half needs allychain[pdf]")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "pg")], check=True,
                   timeout=120)
    pages = sorted(tmp_path.glob("pg*.png"))
    assert pages and all(p.stat().st_size > 2_000 for p in pages)
