"""Watch in the workspace at scale: ingest, re-ingest, read back and store alerts, on SQLite and PostgreSQL.

Generates ``--series`` monthly trade-value series of ``--months`` months in the long layout, then, on a fresh
database of each engine: ingests the file (rows inserted), ingests it again (every row replaced: idempotent),
reads the stored table back (what a scan starts from), stores ``--alerts`` alerts as one scan would, and stores
them again (the rescan: every alert matched, nothing created).  Prints seconds per step and rows per second,
side by side for the engines.

    PYTHONPATH=src python benchmarks/bench_watch_ws.py --series 4000 --months 120 --alerts 400
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_harness import database  # noqa: E402


def long_file(folder: Path, series: int, months: int, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-01", periods=months, freq="MS").strftime("%Y-%m-%d")
    partners = [f"{chr(65 + i // 676 % 26)}{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}" for i in range(series)]
    level = rng.uniform(4, 8, series)[:, None] + rng.normal(0, 0.08, (series, months))
    df = pd.DataFrame({"date": np.tile(dates, series), "kind": "trade_value", "flow": "import", "reporter": "KOR",
                       "partner": np.repeat(partners, months), "hs_code": "281111", "item": "hydrogen-fluoride",
                       "value": np.round(10 ** level.ravel()), "unit": "USD", "source": "bench"})
    p = folder / "series.csv"
    df.to_csv(p, index=False)
    return p


def alerts(n: int) -> list[dict[str, Any]]:
    return [{"alert_id": f"b{i:06d}", "event_id": f"e{i:06d}", "kind": "level_shift", "severity": "high",
             "date": "2024-06-01", "first_detected": "2024-07-01", "last_detected": "2024-07-01", "sightings": 1,
             "series": f"trade_value:import:KOR:P{i}:281111:bench", "indicator": "trade_value", "flow": "import",
             "reporter": "KOR", "partner": "JPN", "hs_code": "281111", "item_ids": ["hydrogen-fluoride"],
             "size": -0.7, "size_unit": "log", "score": 8.0, "direction": "down", "evidence": {"before": 1e6},
             "detectors": ["level_shift"], "members": ["KOR", "NLD"], "members_exposed": ["KOR"]} for i in range(n)]


def run(engine: str, path: Path, n_alerts: int) -> dict[str, float]:
    from allychain.store import open_store
    from allychain.workspace import accounts
    from allychain.workspace import watch as ws

    out: dict[str, float] = {}
    with database(engine) as url:
        store = open_store(url, migrate=True)
        boot = accounts.bootstrap(store)
        admin = accounts.authenticate_token(store, boot["token"])
        tok = accounts.add_user(store, admin, "analyst", "secretariat", ["steward"])["token"]
        p = accounts.authenticate_token(store, tok)
        for step, fn in (("ingest", lambda: ws.ingest(store, p, path, "long")),
                         ("re-ingest (all replaced)", lambda: ws.ingest(store, p, path, "long")),
                         ("read the table back", lambda: ws.indicator_table(store, p)),
                         ("store alerts (created)", lambda: ws.store_alerts(store, p, alerts(n_alerts))),
                         ("store them again (matched)", lambda: ws.store_alerts(store, p, alerts(n_alerts)))):
            t0 = time.perf_counter()
            res = fn()
            out[step] = time.perf_counter() - t0
            if step.startswith("store them again"):
                assert not res["created"], "a rescan created alerts"
        store.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=400)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--alerts", type=int, default=200)
    ap.add_argument("--engines", default="sqlite,postgresql")
    a = ap.parse_args()
    rows = a.series * a.months
    with tempfile.TemporaryDirectory() as d:
        path = long_file(Path(d), a.series, a.months)
        from allychain.watch.importers import read_indicators

        read_indicators(path, "long")   # warm: imports and the crosswalk outside the timings
        results = {e: run(e, path, a.alerts) for e in a.engines.split(",")}
    print(f"{a.series} series x {a.months} months = {rows:,} rows; {a.alerts} alerts")
    print(f"{'step':32s}" + "".join(f"{e:>22s}" for e in results))
    for step in next(iter(results.values())):
        cells = []
        for e in results:
            s = results[e][step]
            per = f" ({rows / s:,.0f} rows/s)" if "ingest" in step or "read" in step else f" ({a.alerts / s:,.0f}/s)"
            cells.append(f"{s:8.2f} s{per}")
        print(f"{step:32s}" + "".join(f"{c:>22s}" for c in cells))


if __name__ == "__main__":
    main()
