"""Backtest: month-by-month replay scored against documented events, false alerts on quiet series."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ruptures")
pytest.importorskip("statsmodels")

from allychain.errors import DataError  # noqa: E402
from allychain.watch.backtest import backtest  # noqa: E402

IDX = pd.date_range("2016-01-01", periods=60, freq="MS")


def table(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Korea's imports of six HS codes from Japan; 281111 halves from 2019-07, 370790 from 2020-03."""
    breaks = {"281111": 42, "370790": 50}
    rows = []
    for code in ("281111", "370790", "280429", "811292", "280461", "381800"):
        t = np.arange(len(IDX))
        y = np.log(5e6) + 0.12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.06, len(IDX))
        if code in breaks:
            y[breaks[code]:] += np.log(0.4)
        for d, v in zip(IDX, np.exp(y), strict=True):
            rows.append({"date": d.strftime("%Y-%m-%d"), "freq": "M", "kind": "trade_value", "flow": "import",
                         "reporter": "KOR", "partner": "JPN", "hs_code": code, "item": "", "value": v,
                         "unit": "USD", "source": "generated"})
    events = pd.DataFrame([
        {"event_id": "jp-hf-2019", "date": "2019-07-01", "reporter": "KOR", "partner": "JPN", "hs_code": "2811.11",
         "description": "generated stand-in for Japan's licensing of HF exports to Korea", "source": "METI 2019"},
        {"event_id": "resist-2020", "date": "2020-03-01", "reporter": "KOR", "item": "photoresists"}])
    from allychain.watch.indicators import crosswalk

    t = pd.DataFrame(rows)
    t["item"] = t["hs_code"].map(crosswalk().set_index("hs_code")["item"])
    return t, events


def test_events_found_within_one_period_and_false_alerts_counted() -> None:
    t, events = table(np.random.default_rng(4))
    res = backtest(t, events, since="2019-01-01")
    ev = res.events.set_index("event_id")
    assert ev.loc["jp-hf-2019", "series"] == 1 and ev.loc["resist-2020", "series"] == 1
    assert 0 <= ev.loc["jp-hf-2019", "lag_periods"] <= 1 and ev.loc["jp-hf-2019", "severity"] == "high"
    assert 0 <= ev.loc["resist-2020", "lag_periods"] <= 1
    s = res.summary()
    assert s["found"] == 2 and s["within_one_period"] == 2 and s["quiet_series"] == 4
    assert s["false_alerts"] == sum(a.series.split(":")[4] not in ("281111", "370790") for a in res.alerts)
    assert res.quiet_series_years == pytest.approx(4 * 24 / 12)       # 4 series × 24 months replayed


def test_missed_event_is_reported_not_dropped() -> None:
    t, _ = table(np.random.default_rng(4))
    ev = pd.DataFrame([{"event_id": "none", "date": "2019-03-01", "reporter": "KOR", "hs_code": "280429"}])
    res = backtest(t, ev, since="2019-01-01")
    assert res.events["first_alert"].isna().all() and res.summary()["found"] == 0


def test_bad_events_file() -> None:
    t, _ = table(np.random.default_rng(4))
    with pytest.raises(DataError, match="reporter"):
        backtest(t, pd.DataFrame([{"event_id": "x", "date": "2019-03-01"}]))
    with pytest.raises(DataError, match="ISO date") as e:
        backtest(t, pd.DataFrame([{"event_id": "x", "date": "July 2019", "reporter": "KOR"}]))
    assert e.value.problems[0].row == 2


def test_cli_backtest(tmp_path: Path, monkeypatch, capsys) -> None:
    from allychain.cli.main import main

    t, events = table(np.random.default_rng(4))
    monkeypatch.setenv("ALLYCHAIN_DATA_DIR", str(tmp_path / "d"))
    t.drop(columns=["item"]).to_csv(tmp_path / "long.csv", index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    for args in (["watch", "ingest", str(tmp_path / "long.csv")],
                 ["watch", "backtest", str(tmp_path / "events.csv"), "--since", "2019-01-01", "-f", "json"]):
        monkeypatch.setattr(sys, "argv", ["allychain", *args])
        with pytest.raises(SystemExit) as e:
            main()
        assert (e.value.code or 0) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert out["summary"]["found"] == 2
