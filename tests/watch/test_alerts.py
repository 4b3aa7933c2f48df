"""Alerts: severity rules, one alert per event, linking to exposed members (hand-checked), the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("ruptures")
pytest.importorskip("statsmodels")

import allychain  # noqa: E402
from allychain.services.watch_alerts import link_alerts  # noqa: E402
from allychain.testing import HF_BREAK as BREAK  # noqa: E402  2019-07: Japan's licensing of HF exports to Korea
from allychain.testing import HF_MONTHS as IDX  # noqa: E402
from allychain.testing import hf_imports_comtrade  # noqa: E402
from allychain.watch.alerts import Alert, scan  # noqa: E402
from allychain.watch.importers import read_indicators  # noqa: E402
from allychain.watch.indicators import derive  # noqa: E402


def comtrade_file(tmp_path: Path, fall: float = 0.3) -> Path:
    """Korea's monthly HF imports from Japan (falls to ``fall`` × from 2019-07) and China (quiet)."""
    return hf_imports_comtrade(tmp_path / "kor_hf.csv", fall=fall)


def test_one_event_one_alert_per_series_and_severity(tmp_path: Path) -> None:
    t = read_indicators(comtrade_file(tmp_path), "comtrade").table
    table = pd.concat([t, derive(t)], ignore_index=True)
    alerts = scan(table, since="2019-01-01")
    by = {(a.indicator, a.partner): a for a in alerts}
    assert len(by) == len(alerts)                                   # never two alerts on one series here
    a = by["trade_value", "JPN"]
    assert a.kind == "level_shift" and a.severity == "high"          # a 70 % fall ≥ the 50 % rule
    assert abs(IDX.get_loc(pd.Timestamp(a.date)) - BREAK) <= 1
    assert IDX.get_loc(pd.Timestamp(a.first_detected)) - BREAK <= 1
    assert a.sightings >= 2 and a.item_ids == ["hydrogen-fluoride"]
    quiet = by.get(("trade_value", "CHN"))                           # the quiet partner: at most a low anomaly
    assert quiet is None or (quiet.severity == "low" and quiet.kind == "seasonal_anomaly"), quiet
    share = by["import_share", "JPN"]
    assert share.direction == "down" and share.severity == "high"
    # the value, quantity, share and HHI moves of one reporter and HS code are one event
    assert len({x.event_id for x in alerts if abs(IDX.get_loc(pd.Timestamp(x.date)) - BREAK) <= 1}) == 1
    # rescanning gives the same alerts and ids
    assert [x.to_dict() for x in scan(table, since="2019-01-01")] == [x.to_dict() for x in alerts]


def test_small_fall_is_not_high(tmp_path: Path) -> None:
    t = read_indicators(comtrade_file(tmp_path, fall=0.7), "comtrade").table
    a = [x for x in scan(t, since="2019-01-01") if x.indicator == "trade_value" and x.partner == "JPN"]
    assert a and a[0].severity == "medium"                          # a 30 % fall: ≥ 25 %, < 50 %


def _alert(**kw: object) -> Alert:
    base = dict(alert_id="x", kind="level_shift", severity="high", date="2022-03-01", first_detected="2022-04-01",
                last_detected="2022-04-01", sightings=1, series="s", indicator="trade_value", flow="import",
                reporter="KOR", partner="UKR", hs_code="280429", item_ids=["neon"], size=-1.0, size_unit="log ratio",
                score=9.0, direction="down")
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def test_linking_hand_checked_on_the_builtin_chain() -> None:
    """Hand-checked in data/builtin: KOR's wafer fabrication needs neon (neon is_type_of electronic-gases
    goes_into wafer-fabrication, tier 1) and HF (goes_into etch-and-clean goes_into wafer-fabrication,
    tier 2); the Netherlands makes automotive chips (NXP, 10 % of 2023 revenue) whose wafer fabrication needs
    both one tier further down (neon tier 2, HF tier 3).  Ukraine holds 45 % of semiconductor-grade neon (Reuters
    2022); Japan 70 % of high-purity HF (2019 estimates; Korea's makers of 2020 are named without shares)."""
    n = allychain.load("builtin")
    neon_from_ukr = _alert(reporter="NLD", partner="UKR")         # a Dutch import series of rare gases
    hf_export_jpn = _alert(reporter="JPN", partner="KOR", flow="export", hs_code="281111",
                           item_ids=["hydrogen-fluoride"])
    neon_total = _alert(reporter="NLD", partner="WLD")
    a, b, c = link_alerts(n, [neon_from_ukr, hf_export_jpn, neon_total], "KOR,NLD")
    ex = {r["member"]: r for r in a["exposure"]}
    # the Dutch imports from Ukraine fell: the series concerns the Netherlands only
    assert a["members_exposed"] == ["NLD"] and a["destinations"] == ["NLD"]
    assert ex["NLD"]["tier"] == 2 and ex["NLD"]["status"] == "exposed"
    assert ex["NLD"]["via"].endswith("goes_into wafer-fabrication goes_into automotive-chips")
    # KOR needs neon (tier 1) and Ukraine holds 45 %, but Korea's own imports are not what the series measures
    assert ex["KOR"]["tier"] == 1 and ex["KOR"]["origin_share"] == pytest.approx(45.0)
    assert "electronic-gases" in ex["KOR"]["via"]
    assert ex["KOR"]["status"] == "not_destination" and "NLD's imports of the item from UKR only" in ex["KOR"]["reason"]
    exb = {r["member"]: r for r in b["exposure"]}
    # Japan's exports to Korea: the Korean fabs' supply (HF → etch and clean → wafer fabrication, tier 2)
    assert b["members_exposed"] == ["KOR"] and b["destinations"] == ["KOR"]
    assert exb["KOR"]["tier"] == 2 and exb["NLD"]["tier"] == 3 and exb["NLD"]["status"] == "not_destination"
    assert exb["KOR"]["origin"] == ["JPN"] and exb["KOR"]["origin_share"] == pytest.approx(70.0)
    assert "etch-and-clean" in exb["KOR"]["via"]
    assert {d["item_id"] for d in b["downstream"]} >= {"etch-and-clean", "wafer-fabrication"}
    # a reporter's total names no supplier: KOR needs neon but cannot be assessed, never "no risk"
    exc = {r["member"]: r for r in c["exposure"]}
    assert exc["KOR"]["status"] == "not_assessable" and exc["KOR"]["origin_share"] is None
    # the reporter's own total: the Dutch imports fell, so the Netherlands, which needs neon, is exposed
    assert c["members_exposed"] == ["NLD"] and exc["NLD"]["origin"] == [] and c["destinations"] == []
    assert "not assessable for KOR" in c["coverage"]


def test_bilateral_series_exposes_its_reporter_only() -> None:
    """Korea's imports of HF from Japan fell (2019): Korea needs HF (tier 2) and is exposed.  The Dutch fabs
    need HF too (tier 3) and Japan holds 70 % of it, but the series says nothing of Dutch imports: NLD is
    not a destination, and the alert says so; it is not listed as exposed.  A series of a reporter that is
    no member (Taiwan's imports from Japan) exposes no member.  Japan's total exports (no partner) keep the
    world-share verdict: Japan's 70 % exposes both members."""
    n = allychain.load("builtin")
    hf = {"hs_code": "281111", "item_ids": ["hydrogen-fluoride"]}
    kor, twn, total = link_alerts(n, [_alert(reporter="KOR", partner="JPN", **hf),
                                      _alert(reporter="TWN", partner="JPN", **hf),
                                      _alert(reporter="JPN", partner="WLD", flow="export", **hf)], "KOR,NLD")
    ex = {r["member"]: r for r in kor["exposure"]}
    assert kor["members_exposed"] == ["KOR"] and kor["destinations"] == ["KOR"]
    assert ex["KOR"]["status"] == "exposed" and ex["KOR"]["tier"] == 2
    assert ex["NLD"]["status"] == "not_destination" and ex["NLD"]["required"] and ex["NLD"]["tier"] == 3
    assert ex["NLD"]["origin_share"] == pytest.approx(70.0)
    assert "not assessed" in ex["NLD"]["reason"] and "indirect effects" in ex["NLD"]["reason"]
    assert "concerns KOR only" in kor["coverage"] and "NLD not assessed" in kor["coverage"]
    assert twn["members_exposed"] == [] and {r["status"] for r in twn["exposure"]} == {"not_destination"}
    ext = {r["member"]: r for r in total["exposure"]}
    assert total["destinations"] == [] and total["members_exposed"] == ["KOR", "NLD"]
    assert ext["NLD"]["origin_share"] == pytest.approx(70.0) and ext["NLD"]["reason"].startswith("needed; the origin")


def test_linking_names_site_nodes_on_a_site_network() -> None:
    n = allychain.load(str(Path(allychain.__file__).parent / "data" / "examples" / "three_tier"))
    a = _alert(item_ids=["photoresist"], hs_code="370790", partner="JPN")
    (x,) = link_alerts(n, [a], ["KOR", "NLD"])
    roles = {d["node_id"]: d["role"] for d in x["nodes"]}
    assert roles["resist-jp"] == "makes" and roles["resist-us"] == "makes"     # the two resist sites
    assert roles["fab-kr"] == "consumes" and roles["atp-kr"] == "downstream"  # resist → memory fab → modules
    ex = {r["member"]: r for r in x["exposure"]}
    assert ex["KOR"]["required"] and ex["KOR"]["status"] == "exposed"         # KOR's fab needs resist
    # Korea's imports from Japan: the Dutch fab needs resist, but its supply is not what the series measures
    assert ex["NLD"]["status"] == "not_destination" and ex["NLD"]["via"] == "photoresist goes_into logic"
    assert x["members_exposed"] == ["KOR"]
    # Japan's exports to all destinations: the capacity share exposes both
    (w,) = link_alerts(n, [_alert(item_ids=["photoresist"], hs_code="370790", reporter="JPN", partner="WLD",
                                  flow="export")], ["KOR", "NLD"])
    exw = {r["member"]: r for r in w["exposure"]}
    assert exw["NLD"]["status"] == "exposed" and w["members_exposed"] == ["KOR", "NLD"]
    assert exw["NLD"]["origin_share"] == pytest.approx(100 * 18 / (18 + 6))  # resist-jp 18 of 24 capacity (nodes.csv)


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    import sys

    from allychain.cli.main import main

    monkeypatch.setattr(sys, "argv", ["allychain", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_cli_ingest_and_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ALLYCHAIN_DATA_DIR", str(tmp_path / "data"))
    f = comtrade_file(tmp_path)
    rc, out, err = _run(monkeypatch, capsys, "watch", "ingest", str(f), "--layout", "comtrade")
    assert rc == 0, err
    assert json.loads(out.strip().splitlines()[-1])["stored"] == 240
    rc, out, err = _run(monkeypatch, capsys, "watch", "ingest", str(f), "--layout", "comtrade")
    assert json.loads(out.strip().splitlines()[-1])["replaced"] == 240   # idempotent: rows replaced
    bad = tmp_path / "bad.csv"
    bad.write_text(f.read_text() + "M,202001,KOR,M,CHN,281111,5,-1\n")
    rc, out, err = _run(monkeypatch, capsys, "watch", "ingest", str(bad), "--layout", "comtrade")
    assert rc != 0 and "row 122" in err and "negative" in err and "Traceback" not in err
    stored = (tmp_path / "data" / "watch" / "indicators.csv").read_text()
    assert stored.count("\n") == 241                                    # nothing half-ingested
    rc, out, err = _run(monkeypatch, capsys, "watch", "scan", "--since", "2019-05-01", "--format", "json")
    assert rc == 0, err
    alerts = json.loads(out)
    need = {"date", "kind", "severity", "item_ids", "reporter", "partner", "members_exposed", "evidence"}
    assert alerts and all(need <= set(a) for a in alerts)
    jp = [a for a in alerts if a["partner"] == "JPN" and a["indicator"] == "trade_value"]
    # Korea's imports of Japanese HF: Korea's fabs need it; the Dutch fabs need it too (NXP's automotive chips,
    # shares.csv), but their imports are not in the series: not exposed through it, and the alert says so
    assert jp and jp[0]["members_exposed"] == ["KOR"] and jp[0]["severity"] == "high"
    assert {r["member"]: r["status"] for r in jp[0]["exposure"]} == {"KOR": "exposed", "NLD": "not_destination"}
    assert jp[0]["destinations"] == ["KOR"] and "NLD not assessed" in jp[0]["coverage"]
    rc, out, err = _run(monkeypatch, capsys, "watch", "scan")           # default: the last 12 months stored
    assert rc == 0 and "from 2019-01-01" in err
    assert {json.loads(x)["alert_id"] for x in out.splitlines()} >= {a["alert_id"] for a in jp}
    rc, out, err = _run(monkeypatch, capsys, "watch", "scan", "--since", "May 2019")
    assert rc != 0 and "ISO date" in err and "Traceback" not in err
