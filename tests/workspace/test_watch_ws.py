"""Watch in the workspace (SQLite and PostgreSQL): series and alerts stored, one alert per event across scans,
the states with who and when, escalation opening exactly one incident, every change audited, the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("ruptures")
pytest.importorskip("statsmodels")

from allychain.testing import HF_BREAK as BREAK  # 2019-07
from allychain.testing import hf_imports_comtrade


def comtrade_file(path: Path, months: int = 60) -> Path:
    """Korea's monthly HF imports from Japan (70 % lower from 2019-07) and China (quiet), first ``months``."""
    return hf_imports_comtrade(path, months=months)


def scan_into(store: Any, p: Any, network: Any, since: str, kinds: set[str] | None = None) -> dict[str, Any]:
    """What `watch scan --db` does: the stored table, derived series, scan, link, store."""
    from allychain.services.watch_alerts import link_alert
    from allychain.watch.alerts import scan
    from allychain.watch.indicators import derive
    from allychain.workspace import watch as ws

    table = ws.indicator_table(store, p)
    if kinds is None or kinds - {"trade_value", "trade_quantity"}:
        table = pd.concat([table, derive(table)], ignore_index=True)
    cache = _DEPS.setdefault(id(network), {})       # the members' dependency tables, computed once
    return ws.store_alerts(store, p, [link_alert(network, a, "KOR,NLD", cache) for a in scan(table, since, kinds=kinds)])


_DEPS: dict[int, dict[str, Any]] = {}


def fake_alert(alert_id: str, **kw: Any) -> dict[str, Any]:
    """A linked alert as the scan gives it (Japanese HF into Korea, trade value halved)."""
    return {"alert_id": alert_id, "event_id": "e" + alert_id, "kind": "level_shift", "severity": "high",
            "date": "2019-07-01", "first_detected": "2019-08-01", "last_detected": "2019-08-01", "sightings": 1,
            "series": f"trade_value:import:KOR:JPN:281111:{alert_id}", "indicator": "trade_value", "flow": "import",
            "reporter": "KOR", "partner": "JPN", "hs_code": "281111", "item_ids": ["hydrogen-fluoride"],
            "size": -1.2, "size_unit": "log", "score": 9.5, "direction": "down", "evidence": {"before": 8e6},
            "detectors": ["level_shift"], "members": ["KOR", "NLD"], "members_exposed": ["KOR"],
            "destinations": ["KOR"], "coverage": HF_COVERAGE, **kw}


#: what the linking says of Korea's imports from Japan (services.watch_alerts): the series concerns Korea only
HF_COVERAGE = ("a bilateral series (KOR imports, partner JPN): it concerns KOR only; NLD not assessed from it (their "
               "own supply is not measured by it; indirect effects through the destination's output not assessed)")


def test_ingest_scan_dedup_across_scans_and_states(store: Any, people: dict[str, Any], builtin_network: Any,
                                                   tmp_path: Path) -> None:
    from allychain.workspace import audit
    from allychain.workspace import watch as ws

    analyst, steward = people["p"]["analyst_samsung"], people["p"]["steward"]
    early = comtrade_file(tmp_path / "early.csv", months=BREAK + 3)          # to 2019-09
    got = ws.ingest(store, analyst, early, "comtrade")
    assert got["rows_read"] == 2 * 2 * (BREAK + 3) and got["added"] == got["rows_read"] and got["replaced"] == 0
    again = ws.ingest(store, analyst, early, "comtrade")                     # idempotent: rows replaced, none added
    assert again["added"] == 0 and again["replaced"] == got["rows_read"] and again["stored"] == got["stored"]
    series = {s["series"]: s for s in ws.list_series(store, people["p"]["observer_asml"])}
    sid = "trade_value:import:KOR:JPN:281111:comtrade"
    assert series[sid]["periods"] == BREAK + 3 and series[sid]["last"] == "2019-09-01"

    first = scan_into(store, analyst, builtin_network, "2019-06-01", {"trade_value"})
    jpn = [a for a in ws.list_alerts(store, analyst) if a["series"] == sid]
    assert len(jpn) == 1 and jpn[0]["state"] == "open" and jpn[0]["severity"] == "high"
    # Korea's imports of Japanese HF: Korea's fabs need it and are exposed; the Dutch fabs need it too (NXP's
    # automotive chips in the built-in data), but Dutch imports are not in the series: not exposed through it
    assert jpn[0]["members_exposed"] == ["KOR"] and jpn[0]["state_by"] == "analyst-samsung"
    assert {r["member"]: r["status"] for r in jpn[0]["exposure"]} == {"KOR": "exposed", "NLD": "not_destination"}
    assert jpn[0]["coverage"] == HF_COVERAGE
    alert_id, seen = jpn[0]["alert_id"], jpn[0]["last_detected"]
    assert alert_id in first["created"]
    ws.acknowledge(store, steward, alert_id, "looking")

    # the same scan again: nothing new; then more data and another window: the same alert, updated, still acknowledged
    assert scan_into(store, analyst, builtin_network, "2019-06-01", {"trade_value"})["created"] == []
    ws.ingest(store, analyst, comtrade_file(tmp_path / "full.csv"), "comtrade")
    second = scan_into(store, analyst, builtin_network, "2019-08-01", {"trade_value"})
    jpn = [a for a in ws.list_alerts(store, analyst) if a["series"] == sid]
    assert len(jpn) == 1 and jpn[0]["alert_id"] == alert_id, second
    assert jpn[0]["state"] == "acknowledged" and jpn[0]["state_by"] == "steward"
    assert jpn[0]["last_detected"] > seen and alert_id in second["updated"]

    got = ws.get_alert(store, analyst, alert_id)
    assert [e["kind"] for e in got["timeline"]][:2] == ["created", "acknowledged"] and got["timeline"][-1]["kind"] in (
        "updated", "raised")
    assert got["timeline"][1]["by"] == "steward" and got["timeline"][1]["note"] == "looking"
    ws.dismiss(store, analyst, alert_id, "customs reclassification")
    with pytest.raises(Exception, match="dismissed; acknowledge needs it open"):
        ws.acknowledge(store, analyst, alert_id)
    actions = [e["action"] for e in audit.export(store)]
    assert actions.count("watch:ingest") == 3 and actions.count("watch:scan") == 3
    assert actions.count("watch:triage") == 2 and audit.verify(store).ok
    series_view = ws.get_series(store, analyst, sid)
    assert len(series_view["points"]) == 60 and [a["alert_id"] for a in series_view["alerts"]] == [alert_id]


def test_escalation_opens_exactly_one_linked_incident(store: Any, people: dict[str, Any]) -> None:
    from allychain.errors import Conflict, PermissionDenied
    from allychain.workspace import audit, incidents
    from allychain.workspace import watch as ws

    analyst, observer = people["p"]["analyst_samsung"], people["p"]["observer_samsung"]
    res = ws.store_alerts(store, analyst, [fake_alert("a1"), fake_alert("a2", severity="low")])
    assert res["created"] == ["a1", "a2"] and [a["alert_id"] for a in res["changed"]] == ["a1", "a2"]
    # a later scan that sees the same event under another id (another first date) updates it
    later = fake_alert("a1-other", series=fake_alert("a1")["series"], date="2019-06-01", first_detected="2019-09-01",
                       last_detected="2019-10-01", sightings=3)
    res = ws.store_alerts(store, analyst, [later])
    assert (res["created"], res["updated"], res["ids"]) == ([], ["a1"], {"a1-other": "a1"})
    with pytest.raises(PermissionDenied):
        ws.escalate(store, observer, "a1")
    out = ws.escalate(store, analyst, "a1", "Japanese licensing; watch Korea's etch lines")
    inc = out["incident"]
    assert out["state"] == "escalated" and out["incident_id"] == inc["id"] and out["state_by"] == "analyst-samsung"
    assert inc["items"] == ["hydrogen-fluoride"] and inc["countries"] == ["JPN"]
    assert inc["source"]["watch_alert"] == "a1" and inc["source"]["members_exposed"] == ["KOR"]
    assert inc["source"]["coverage"] == HF_COVERAGE       # what was not assessed travels with the incident
    with pytest.raises(Conflict, match=f"escalated \\(incident {inc['id']}\\)"):
        ws.escalate(store, analyst, "a1")
    with pytest.raises(Conflict):
        ws.dismiss(store, analyst, "a1")
    assert [i["id"] for i in incidents.list_incidents(store, analyst)] == [inc["id"]]
    recs = list(audit.export(store))
    esc = [r for r in recs if r["action"] == "watch:escalate"]
    assert [r["outcome"] for r in esc] == ["denied", "ok"] and esc[1]["object_id"] == "a1"
    assert esc[1]["detail"]["incident"] == inc["id"] and esc[1]["actor"] == "analyst-samsung"
    assert sum(r["action"] == "incident:open" and r["outcome"] == "ok" for r in recs) == 1
    assert audit.verify(store).ok


def test_concurrent_escalations_open_one_incident(store: Any, people: dict[str, Any]) -> None:
    """Two people escalating the same alert at once: the row lock lets one through, the other gets a conflict."""
    import threading

    from allychain.errors import Conflict
    from allychain.workspace import incidents
    from allychain.workspace import watch as ws

    ws.store_alerts(store, people["p"]["steward"], [fake_alert("c1")])
    gate, results = threading.Barrier(2), []

    def go(who: str) -> None:
        gate.wait()
        try:
            results.append(ws.escalate(store, people["p"][who], "c1")["incident_id"])
        except Conflict as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=go, args=(w,)) for w in ("steward", "analyst_samsung")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    incs = incidents.list_incidents(store, people["p"]["steward"])
    assert sorted(results, key=len) == ["Conflict", incs[0]["id"]] and len(incs) == 1


def test_watch_cli_with_a_workspace(people_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI on SQLite (the services under it are tested on both engines above)."""
    from allychain.cli.main import main

    db_url = f"sqlite:///{tmp_path / 'ws.db'}"
    token = people_cli(db_url)
    monkeypatch.setenv("ALLYCHAIN_TOKEN", token)
    for k in ("ALLYCHAIN_WATCH_WEBHOOK_URL", "ALLYCHAIN_SMTP_HOST"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("ALLYCHAIN_DATA_DIR", str(tmp_path / "local"))   # the local store must stay untouched
    f = comtrade_file(tmp_path / "kor_hf.csv")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["allychain", "watch", *args])
        with pytest.raises(SystemExit) as exc:
            main()
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err

    rc, out, err = run("ingest", str(f), "--layout", "comtrade", "--db", db_url)
    assert rc == 0, err
    assert json.loads(out)["workspace"] is True and json.loads(out)["added"] == 240
    assert not (tmp_path / "local" / "watch").exists()
    rc, out, err = run("scan", "--db", db_url, "--since", "2019-09-01", "--no-derived", "--format", "json")
    assert rc == 0, err
    first = json.loads(out)
    assert first and all(a["state"] == "open" for a in first) and "alert(s) created" in err
    from allychain.store import open_store
    from allychain.workspace import audit

    st = open_store(db_url)
    assert [r["detail"]["created"] for r in audit.export(st) if r["action"] == "watch:scan"] == [
        [a["alert_id"] for a in first]]
    st.dispose()
    monkeypatch.setenv("ALLYCHAIN_TOKEN", "not-a-token")
    rc, _, err = run("scan", "--db", db_url)
    assert rc == 5 and "Traceback" not in err


@pytest.fixture()
def people_cli() -> Any:
    """Migrate ``url``, create an analyst; its token."""
    def make(url: str) -> str:
        from allychain.store import open_store
        from allychain.workspace import accounts

        st = open_store(url, migrate=True)
        boot = accounts.bootstrap(st)
        admin = accounts.authenticate_token(st, boot["token"])
        accounts.add_org(st, admin, "samsung", "Samsung Electronics", "company", "KOR")
        tok = accounts.add_user(st, admin, "kim", "samsung", ["analyst"])["token"]
        st.dispose()
        return str(tok)

    return make
