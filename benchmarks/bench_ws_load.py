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


def run(engine: str, clients: int, n_sub: int, seconds: float) -> dict[str, Any]:
    """One load run on ``engine``; returns latencies, codes, the store check and a verdict."""
    with database(engine) as url:
        ws = setup(url, organisations=clients)
        server = Server(url)
        start_s = server.start()
        out: dict[str, Any] = {"lat": {"submit": [], "read": [], "list": []}, "codes": Counter(), "acked": {}}
        lock = threading.Lock()
        t0 = time.perf_counter()
        threads = [threading.Thread(target=_client, args=(server.base, tok, org, n_sub, seconds, t0 + seconds, out,
                                                          lock))
                   for org, tok in ws["submitters"].items()]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        server.stop()
        check = check_store(url, out["acked"])
    five = sum(n for c, n in out["codes"].items() if c >= 500)
    ok = (five == 0 and check["missing"] == check["wrong"] == check["half_written"] == check["duplicate_keys"] == 0
          and check["chain_ok"] and check["submissions"] == len(out["acked"]) == clients * n_sub)
    return {"engine": engine, "start_s": start_s, "wall": wall, "lat": out["lat"], "codes": out["codes"],
            "check": check, "ok": ok}


def report(r: dict[str, Any], clients: int, n_sub: int, seconds: float) -> None:
    print(f"engine {r['engine']}; {clients} clients x {n_sub} submissions, reads until {seconds:.0f} s; "
          f"server start {r['start_s']:.1f} s; wall {r['wall']:.1f} s")
    print("| operation | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | mean (ms) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, xs in r["lat"].items():
        if xs:
            print(f"| {key} | {len(xs)} | {_pct(xs, .5):.0f} | {_pct(xs, .95):.0f} | {_pct(xs, .99):.0f} | "
                  f"{max(xs) * 1000:.0f} | {statistics.fmean(xs) * 1000:.0f} |")
    total = sum(len(x) for x in r["lat"].values())
    print(f"throughput: {total / r['wall']:.1f} requests/s ({len(r['lat']['submit']) / r['wall']:.1f} submissions/s)")
    print("status codes:", dict(sorted(r["codes"].items())))
    print("store check:", json.dumps(r["check"]))
    print("verdict:", "ok" if r["ok"] else "FAILED", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="postgresql")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    a = ap.parse_args()
    engines = ["postgresql", "sqlite"] if a.engine == "both" else [a.engine]
    results = []
    for engine in engines:
        results.append(run(engine, a.clients, a.submissions, a.seconds))
        report(results[-1], a.clients, a.submissions, a.seconds)
    if len(results) == 2:
        pg, lite = results
        for op in ("submit", "read"):
            print(f"p95 {op}: SQLite / PostgreSQL = {_pct(lite['lat'][op], .95) / _pct(pg['lat'][op], .95):.2f}x")
    raise SystemExit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
