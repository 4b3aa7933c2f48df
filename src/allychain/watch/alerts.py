"""Alerts: rules that turn detections on indicator series into graded, deduplicated alerts.

:func:`scan` cuts an indicator table into series, replays each (no look-ahead, see
:mod:`allychain.watch.detect`) and turns the detections into :class:`Alert` objects.

**Severity rules** (:data:`RULES`; r = e^|size| − 1 for log sizes, the relative change):

==================  ================================  ==============================
detection           high                              medium (else low)
==================  ================================  ==============================
level_shift (log)   fall of ≥ 50 % (or rise ≥ 200 %)  fall of ≥ 25 % (or rise ≥ 100 %)
sparse_change       as level_shift (log)              as level_shift (log)
level_shift (pts)   ≥ 25 points                       ≥ 10 points
share_shift         ≥ 25 points                       ≥ 15 points
price_spike         ≥ 3 × the trailing median         ≥ 2 ×
seasonal_anomaly    —                                 score ≥ 8
==================  ================================  ==============================

**Deduplication**: one event, one alert per series.  A detection (of any detector) on
the same series whose change date lies within ``merge_periods`` periods of an open
alert's date, or that is seen within ``merge_periods`` periods of the alert's last
sighting, updates that alert (latest size, score and evidence; ``sightings`` + 1;
``detectors`` gains the detector; severity the highest seen) instead of opening
another.  The alert id is a hash of the series, the first detector and the first
change date: rescanning gives the same ids.  Alerts on different series of one
reporter, flow and HS code within ``merge_periods`` periods of each other (a fall of
the value, the quantity, the share and the HHI at once) share one ``event_id``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from allychain.watch.detect import LOG_KINDS, DetectConfig, Detection, scan_series
from allychain.watch.indicators import SERIES_KEY, series_id

__all__ = ["Alert", "RULES", "severity", "alerts_from", "scan", "series_of", "SEVERITIES"]

log = logging.getLogger(__name__)

SEVERITIES = ("low", "medium", "high")
_FREQ = {"M": "MS", "Q": "QS", "A": "YS"}
_DAYS = {"M": 31, "Q": 92, "A": 366}

#: (detector, measure) → (high threshold, medium threshold) on the measure
RULES: dict[str, tuple[float, float]] = {
    "level_shift_fall": (0.50, 0.25),        # relative fall
    "level_shift_rise": (2.00, 1.00),        # relative rise
    "level_shift_points": (25.0, 10.0),
    "share_shift": (25.0, 15.0),
    "price_spike": (3.0, 2.0),
    "seasonal_anomaly": (float("inf"), 8.0),  # on the score
}


@dataclass
class Alert:
    """One alert: a change on one series, updated as later data confirm it."""

    alert_id: str
    kind: str
    severity: str
    date: str
    first_detected: str
    last_detected: str
    sightings: int
    series: str
    indicator: str
    flow: str
    reporter: str
    partner: str
    hs_code: str
    item_ids: list[str]
    size: float
    size_unit: str
    score: float
    direction: str
    evidence: dict[str, Any] = field(default_factory=dict)
    detectors: list[str] = field(default_factory=list)
    event_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def severity(d: Detection, indicator: str) -> str:
    """The severity of one detection by :data:`RULES`."""
    if d.kind in ("level_shift", "sparse_change") and indicator in LOG_KINDS:
        if d.size < 0:
            hi, med = RULES["level_shift_fall"]
            m = 1.0 - float(np.exp(d.size))
        else:
            hi, med = RULES["level_shift_rise"]
            m = float(np.exp(d.size)) - 1.0
    elif d.kind == "level_shift":
        (hi, med), m = RULES["level_shift_points"], abs(d.size)
    elif d.kind == "seasonal_anomaly":
        (hi, med), m = RULES["seasonal_anomaly"], d.score
    else:
        (hi, med), m = RULES[d.kind], abs(d.size)
    return "high" if m >= hi else "medium" if m >= med else "low"


def _rank(s: str) -> int:
    return SEVERITIES.index(s)


def alerts_from(detections: list[Detection], meta: dict[str, Any], freq: str = "M",
                merge_periods: int = 2) -> list[Alert]:
    """Deduplicated alerts of one series' detections (``meta``: the series' key columns and items)."""
    window = pd.Timedelta(days=_DAYS.get(freq, 31) * merge_periods)
    out: list[Alert] = []
    for d in sorted(detections, key=lambda x: (x.detected, x.kind)):
        sev = severity(d, meta["kind"])
        same = [a for a in out if (
            abs(pd.Timestamp(a.date) - pd.Timestamp(d.date)) <= window
            or pd.Timestamp(d.detected) - pd.Timestamp(a.last_detected) <= window)]
        if same:
            a = same[-1]
            a.last_detected, a.sightings = d.detected, a.sightings + 1
            a.size, a.score, a.evidence = d.size, d.score, d.evidence
            if d.kind == a.kind == "level_shift":
                a.date = d.date   # the break's place, as re-estimated with more data after it
            a.severity = max(a.severity, sev, key=_rank)
            if d.kind not in a.detectors:
                a.detectors.append(d.kind)
            continue
        key = f"{d.series}|{d.kind}|{d.date}"
        out.append(Alert(alert_id=hashlib.sha256(key.encode()).hexdigest()[:16], kind=d.kind, severity=sev,
                         date=d.date, first_detected=d.detected, last_detected=d.detected, sightings=1,
                         series=d.series, indicator=meta["kind"], flow=meta["flow"], reporter=meta["reporter"],
                         partner=meta["partner"], hs_code=meta["hs_code"],
                         item_ids=[i for i in str(meta.get("item") or "").split(";") if i], size=d.size,
                         size_unit=d.size_unit, score=d.score, direction=d.direction, evidence=d.evidence,
                         detectors=[d.kind]))
    return out


def series_of(table: pd.DataFrame) -> list[tuple[dict[str, Any], pd.Series]]:
    """The table's series: (key columns and items, values on a regular date index with NaN gaps)."""
    out = []
    for key, grp in table.groupby(SERIES_KEY, sort=True, dropna=False):
        meta = dict(zip(SERIES_KEY, key, strict=True))
        meta["item"] = str(grp["item"].iloc[0])
        s = pd.Series(grp["value"].to_numpy(float), index=pd.DatetimeIndex(grp["date"])).sort_index()
        s = s.asfreq(_FREQ.get(str(meta["freq"]), "MS"))   # missing periods become NaN: gaps stay gaps
        out.append((meta, s))
    return out


def scan(table: pd.DataFrame, since: str | None = None, until: str | None = None,
         cfg: DetectConfig | None = None, kinds: set[str] | None = None) -> list[Alert]:
    """Alerts on every series of an indicator table, replayed from ``since`` to ``until``.

    Parameters
    ----------
    table
        An indicator table (imported and derived rows).
    since, until
        ISO dates: the as-of dates replayed (default: every date of each series).
    cfg
        Detection rules (default :class:`DetectConfig`).
    kinds
        Indicator kinds to scan (default all).

    Returns
    -------
    list of Alert
        Sorted by first detection date, then severity (high first).
    """
    alerts: list[Alert] = []
    for meta, s in series_of(table):
        if kinds is not None and meta["kind"] not in kinds:
            continue
        sid = series_id(meta)
        dets = scan_series(s, str(meta["kind"]), str(meta["freq"]), since, until, cfg, sid)
        alerts += alerts_from(dets, meta, str(meta["freq"]))
    alerts.sort(key=lambda a: (a.first_detected, -_rank(a.severity), a.series))
    _group(alerts)
    log.info("%d alert(s) on %d series", len(alerts), table.groupby(SERIES_KEY, dropna=False).ngroups)
    return alerts


def _group(alerts: list[Alert], merge_periods: int = 2) -> None:
    """Give alerts on one reporter, flow and HS code (or items) close in time one ``event_id``."""
    heads: dict[tuple[str, str, str], list[tuple[pd.Timestamp, str]]] = {}
    window = pd.Timedelta(days=31 * merge_periods)
    for a in sorted(alerts, key=lambda x: x.date):
        k = (a.reporter, a.flow, a.hs_code or ";".join(a.item_ids))
        t = pd.Timestamp(a.date)
        near = [e for d, e in heads.get(k, []) if abs(t - d) <= window]
        if near:
            a.event_id = near[-1]
        else:
            a.event_id = hashlib.sha256(f"{k}|{a.date}".encode()).hexdigest()[:16]
        heads.setdefault(k, []).append((t, a.event_id))
