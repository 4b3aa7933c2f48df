"""Backtest: replay the series month by month and score the alerts against documented events.

The replay is :func:`allychain.watch.alerts.scan` (each as-of date sees only the data up
to it).  For each event (a table with ``event_id``, ``date``, ``reporter``, and any of
``partner``, ``flow``, ``hs_code``, ``item``; ``description`` and ``source`` are carried
along) the first alert on a matching series whose change date is at most
``tolerance`` periods before the event, first detected at most ``horizon`` periods after
it, is its **first alert**; the **lag** is the
number of periods from the event's date to the alert's first detection.  Series that
match no event are **quiet**: every alert on them counts as a false alert, reported per
series-year of replay.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from allychain.errors import DataError, Problem
from allychain.watch.alerts import Alert, scan, series_of
from allychain.watch.detect import DetectConfig
from allychain.watch.indicators import series_id

__all__ = ["BacktestResult", "backtest", "EVENT_COLUMNS"]

log = logging.getLogger(__name__)

EVENT_COLUMNS = ("event_id", "date", "reporter", "partner", "flow", "hs_code", "item", "description", "source")
_MONTHS = {"M": 1, "Q": 3, "A": 12}


@dataclass
class BacktestResult:
    """Per event: the first alert and its lag; overall: hits and false alerts on quiet series."""

    events: pd.DataFrame
    quiet_series: int
    quiet_series_years: float
    false_alerts: int
    alerts: list[Alert]

    @property
    def false_alerts_per_series_year(self) -> float:
        return self.false_alerts / self.quiet_series_years if self.quiet_series_years else float("nan")

    def summary(self) -> dict[str, Any]:
        ev = self.events
        found = ev["first_alert"].notna()
        return {"events": len(ev), "found": int(found.sum()),
                "within_one_period": int((found & (ev["lag_periods"] <= 1)).sum()),
                "median_lag_periods": float(ev.loc[found, "lag_periods"].median()) if found.any() else None,
                "quiet_series": self.quiet_series, "false_alerts": self.false_alerts,
                "false_alerts_per_series_year": self.false_alerts_per_series_year}


def _check_events(events: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("event_id", "date", "reporter") if c not in events.columns]
    if missing:
        raise DataError(Problem(f"events: missing column(s) {', '.join(missing)}", row=1,
                                expected=", ".join(EVENT_COLUMNS)))
    ev = events.copy()
    for c in EVENT_COLUMNS:
        if c not in ev.columns:
            ev[c] = ""
        ev[c] = ev[c].fillna("").astype(str).str.strip()
    bad = ev.index[pd.to_datetime(ev["date"], errors="coerce", format="%Y-%m-%d").isna()]
    if len(bad):
        i = bad[0]
        raise DataError(Problem("events: date is not an ISO date", row=int(i) + 2, column="date",
                                value=ev.loc[i, "date"], expected="YYYY-MM-DD"))
    return ev


def _matches(ev: pd.Series, meta: dict[str, Any]) -> bool:
    if meta["reporter"] != ev["reporter"]:
        return False
    if ev["partner"] and meta["partner"] != ev["partner"]:
        return False
    if ev["flow"] and meta["flow"] != ev["flow"]:
        return False
    if ev["hs_code"] and meta["hs_code"] != ev["hs_code"].replace(".", ""):
        return False
    return not ev["item"] or ev["item"] in str(meta.get("item") or "").split(";")


def backtest(table: pd.DataFrame, events: pd.DataFrame, since: str | None = None, until: str | None = None,
             cfg: DetectConfig | None = None, tolerance: int = 1, horizon: int = 6) -> BacktestResult:
    """Replay ``table`` from ``since`` and score its alerts against ``events``.

    Parameters
    ----------
    table
        Indicator table (imported and, if wanted, derived rows).
    events
        Documented events (columns :data:`EVENT_COLUMNS`; ``event_id``, ``date``, ``reporter`` required).
    since, until
        The as-of dates replayed.
    tolerance
        Periods before the event date a change may be placed and still count (data are monthly
        averages: a measure of 1 July may show in June's figures only if anticipated).
    horizon
        Periods after the event within which an alert must be first detected to count as the
        event's (later alerts are a miss: they belong to something else).
    """
    ev = _check_events(events)
    alerts = scan(table, since, until, cfg)
    metas = series_of(table)
    matched: set[str] = set()
    rows = []
    for _, e in ev.iterrows():
        ids = {series_id(m) for m, _ in metas if _matches(e, m)}
        matched |= ids
        freq = next((str(m["freq"]) for m, _ in metas if series_id(m) in ids), "M")
        t0 = pd.Timestamp(e["date"]) - pd.DateOffset(months=_MONTHS.get(freq, 1) * tolerance)
        t1 = pd.Timestamp(e["date"]) + pd.DateOffset(months=_MONTHS.get(freq, 1) * horizon)
        hits = sorted((a for a in alerts if a.series in ids and pd.Timestamp(a.date) >= t0
                       and pd.Timestamp(a.first_detected) <= t1),
                      key=lambda a: a.first_detected)
        first = hits[0] if hits else None
        lag = None
        if first is not None:
            d0, d1 = pd.Timestamp(e["date"]), pd.Timestamp(first.first_detected)
            lag = ((d1.year - d0.year) * 12 + d1.month - d0.month) // _MONTHS.get(freq, 1)
        rows.append({"event_id": e["event_id"], "date": e["date"], "series": len(ids),
                     "first_alert": first.first_detected if first else None, "lag_periods": lag,
                     "alert_kind": first.kind if first else None, "severity": first.severity if first else None,
                     "indicator": first.indicator if first else None, "description": e["description"],
                     "source": e["source"]})
    quiet = [(m, s) for m, s in metas if series_id(m) not in matched]
    years = 0.0
    for m, s in quiet:
        d = s.dropna().index
        if since is not None:
            d = d[d >= pd.Timestamp(since)]
        if until is not None:
            d = d[d <= pd.Timestamp(until)]
        years += len(d) * _MONTHS.get(str(m["freq"]), 1) / 12.0
    quiet_ids = {series_id(m) for m, _ in quiet}
    false = sum(1 for a in alerts if a.series in quiet_ids)
    out = pd.DataFrame(rows, columns=["event_id", "date", "series", "first_alert", "lag_periods", "alert_kind",
                                      "severity", "indicator", "description", "source"])
    return BacktestResult(out, len(quiet), years, false, alerts)
