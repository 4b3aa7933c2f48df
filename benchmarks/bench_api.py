"""Benchmark of the REST API against a running server on loopback.

Starts ``python -m allychain.cli.serve`` on 127.0.0.1 (a free port) with the given
data, measures the start-up time (process start → first answer of ``/api/health``),
requests every analysis endpoint once (cold: computed), then sends a bounded number
of requests from concurrent clients (warm: the server's cache) and prints latency
percentiles per endpoint.  Only 127.0.0.1 is contacted; the loops are bounded in
count and time; the server is stopped at the end.

    python benchmarks/bench_api.py --data ../shared/data/eto --clients 8 --requests 800
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ENDPOINTS = [
    "/api/analysis/concentration",
    "/api/analysis/concentration?level=firm",
    "/api/analysis/chokepoints",
    "/api/analysis/dependencies?members=KOR,NLD",
    "/api/analysis/dependencies?members=KOR",
    "/api/analysis/alliance?members=KOR,NLD",
    "/api/analysis/complementarity?members=KOR,NLD",
    "/api/analysis/shared-dependencies?members=KOR,NLD",
    "/api/analysis/partners?members=KOR,NLD&k=3",
    "/api/analysis/coverage?members=KOR,NLD",
]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(data: str, port: int, timeout: float = 60.0) -> tuple[subprocess.Popen[bytes], float]:
    """Start the server; returns the process and seconds until /api/health answered 200."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "allychain.cli.serve", "--host", HOST, "--port", str(port),
                             "--data", data], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{HOST}:{port}/api/health"
    with httpx.Client(timeout=2.0) as c:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"server exited with status {proc.returncode}:\n{err}")
            try:
                if c.get(url).status_code == 200:
                    return proc, time.perf_counter() - t0
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    proc.terminate()
    raise SystemExit(f"server did not answer within {timeout} s")


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q / 100 * len(v) + 0.5)) - 1))]


def run(base: str, clients: int, requests: int, limit_s: float) -> dict[str, list[float]]:
    """``requests`` GETs spread over ``clients`` threads, cycling through ENDPOINTS."""
    lat: dict[str, list[float]] = {e: [] for e in ENDPOINTS}
    errors: list[str] = []
    lock = threading.Lock()
    end = time.monotonic() + limit_s

    def client(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30.0) as c:
            for i in range(k, requests, clients):
                if time.monotonic() > end:
                    return
                ep = ENDPOINTS[i % len(ENDPOINTS)]
                t = time.perf_counter()
                r = c.get(ep)
                dt = time.perf_counter() - t
                with lock:
                    lat[ep].append(dt)
                    if r.status_code != 200:
                        errors.append(f"{ep}: {r.status_code}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return lat


def main() -> None:
    default_eto = Path(__file__).resolve().parents[2] / "shared" / "data" / "eto"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("ALLYCHAIN_ETO_DIR", str(default_eto)),
                    help="--data of the server (default: the ETO copy beside the repository)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    ap.add_argument("--requests", type=int, default=800, help="warm requests in all (default 800)")
    ap.add_argument("--limit", type=float, default=120.0, help="seconds the warm phase may take at most")
    args = ap.parse_args()
    port = free_port()
    proc, startup = start_server(args.data, port)
    base = f"http://{HOST}:{port}"
    try:
        cold: dict[str, float] = {}
        with httpx.Client(base_url=base, timeout=120.0) as c:
            for ep in ENDPOINTS:
                t = time.perf_counter()
                r = c.get(ep)
                cold[ep] = time.perf_counter() - t
                if r.status_code != 200:
                    raise SystemExit(f"{ep}: {r.status_code} {r.text[:300]}")
        t0 = time.perf_counter()
        lat = run(base, args.clients, args.requests, args.limit)
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    allv = [v for vs in lat.values() for v in vs]
    print(f"data: {args.data}")
    print(f"start-up (process start → first /api/health answer): {startup:.2f} s")
    print(f"warm phase: {len(allv)} requests from {args.clients} concurrent clients in {wall:.2f} s "
          f"({len(allv) / wall:.0f} requests/s)")
    print()
    print(f"| {'endpoint':<52} | cold ms | p50 ms | p95 ms | max ms |")
    print(f"|{'-' * 54}|--------:|-------:|-------:|-------:|")
    for ep, vs in lat.items():
        if vs:
            print(f"| {ep:<52} | {cold[ep] * 1000:7.0f} | {statistics.median(vs) * 1000:6.1f} | "
                  f"{pct(vs, 95) * 1000:6.1f} | {max(vs) * 1000:6.1f} |")
    p95 = pct(allv, 95) * 1000
    print(f"| {'all analysis endpoints':<52} | {sum(cold.values()) * 1000:7.0f} | "
          f"{statistics.median(allv) * 1000:6.1f} | {p95:6.1f} | {max(allv) * 1000:6.1f} |")
    print()
    ok = startup < 3.0 and p95 < 200.0
    print(f"targets: start-up < 3 s: {'met' if startup < 3.0 else 'MISSED'}; "
          f"p95 < 200 ms: {'met' if p95 < 200.0 else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
