"""Load on the workspace API: concurrent clients submitting and reading against ``allychain serve``.

Starts ``python -m allychain.cli.serve --workspace URL`` on 127.0.0.1 (PostgreSQL by default:
a fresh database, dropped afterwards).  Each of ``--clients`` threads is one organisation's
submitter: it makes ``--submissions`` uploads (each with its own Idempotency-Key), reads each
one back, lists its organisation's submissions every fifth time, and keeps reading until
``--seconds`` have passed.  Afterwards the database is checked directly: every acknowledged
write is present with the bytes sent, no duplicates, nothing half-written, the audit chain
verifies.  Prints latency percentiles per operation, throughput and every status code seen;
exits non-zero on any 5xx or failed check.  Latency is reported, never asserted.

    python benchmarks/bench_ws_load.py --clients 20 --submissions 50 --seconds 60
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_harness import Server, capacity_csv, check_store, database, setup  # noqa: E402


def _client(base: str, token: str, org: str, n_sub: int, seconds: float, t_end: float, out: dict[str, Any],
            lock: threading.Lock) -> None:
    lat: dict[str, list[float]] = {"submit": [], "read": [], "list": []}
    codes: Counter[int] = Counter()
    acked: dict[str, str] = {}
    ids: list[str] = []
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=60.0) as c:
        def call(kind: str, method: str, url: str, **kw: Any) -> httpx.Response:
            t0 = time.perf_counter()
            r = c.request(method, url, **kw)
            lat[kind].append(time.perf_counter() - t0)
            codes[r.status_code] += 1
            return r

        for i in range(n_sub):
            body = capacity_csv(f"{org}-{i}", rows=5)
            r = call("submit", "POST", "/api/ws/submissions?kind=capacity", content=body,
                     headers={**auth, "Content-Type": "text/csv", "Idempotency-Key": f"{org}-{i}"})
            if r.status_code in (200, 201):
                sid = r.json()["id"]
                acked[sid] = hashlib.sha256(body).hexdigest()
                ids.append(sid)
                call("read", "GET", f"/api/ws/submissions/{sid}", headers=auth)
            if i % 5 == 4:
                call("list", "GET", "/api/ws/submissions", headers=auth)
        k = 0
        while time.perf_counter() < t_end and ids:
            call("read", "GET", f"/api/ws/submissions/{ids[k % len(ids)]}", headers=auth)
            k += 1
    with lock:
        for key, v in lat.items():
            out["lat"][key].extend(v)
        out["codes"].update(codes)
        out["acked"].update(acked)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] * 1000 if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    a = ap.parse_args()
    with database(a.engine) as url:
        ws = setup(url, organisations=a.clients)
        server = Server(url)
        start_s = server.start()
        out: dict[str, Any] = {"lat": {"submit": [], "read": [], "list": []}, "codes": Counter(), "acked": {}}
        lock = threading.Lock()
        t0 = time.perf_counter()
        threads = [threading.Thread(target=_client, args=(server.base, tok, org, a.submissions, a.seconds,
                                                          t0 + a.seconds, out, lock))
                   for org, tok in ws["submitters"].items()]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        server.stop()
        check = check_store(url, out["acked"])
    print(f"engine {a.engine}; {a.clients} clients x {a.submissions} submissions, reads until {a.seconds:.0f} s; "
          f"server start {start_s:.1f} s; wall {wall:.1f} s")
    print("| operation | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | mean (ms) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, xs in out["lat"].items():
        if xs:
            print(f"| {key} | {len(xs)} | {_pct(xs, .5):.0f} | {_pct(xs, .95):.0f} | {_pct(xs, .99):.0f} | "
                  f"{max(xs) * 1000:.0f} | {statistics.fmean(xs) * 1000:.0f} |")
    total = sum(len(x) for x in out["lat"].values())
    print(f"throughput: {total / wall:.1f} requests/s ({len(out['lat']['submit']) / wall:.1f} submissions/s)")
    print("status codes:", dict(sorted(out["codes"].items())))
    print("store check:", json.dumps(check))
    five = sum(n for c, n in out["codes"].items() if c >= 500)
    ok = (five == 0 and check["missing"] == check["wrong"] == check["half_written"] == check["duplicate_keys"] == 0
          and check["chain_ok"] and check["submissions"] == len(out["acked"]) == a.clients * a.submissions)
    print("verdict:", "ok" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
