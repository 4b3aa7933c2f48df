"""Soak test of the REST API: concurrent clients mixing good, bad and hostile requests.

Starts ``python -m allychain.cli.serve`` on 127.0.0.1 (a free port; nothing else is
contacted), then for ``--seconds`` (default 60) runs ``--clients`` threads, each picking
requests from a fixed mix: analyses and look-ups (good), unknown ids, malformed
parameters and bodies (bad), and hostile ones — a billion-laughs YAML, 5,000-deep
nesting, ``.inf``/``.nan``/400-digit numbers, a lead time of 1e8, lone surrogates, a
foreign Host header (DNS rebinding), an oversized body, cancelling jobs.  Scenario jobs
are submitted, polled to a final state (``done``/``failed``/``cancelled``) or cancelled.

It checks: **no 5xx** answer; **every job accounted for** (each accepted job reaches a
final state and is seen there); **memory flat**: the server's resident memory (from
``/proc/PID/status``) sampled every second, its growth over the second half of the run
reported (a leak shows as steady growth).  Bounded in time (``--seconds``) and in count
(``--max-requests``).  ``run_soak`` is also used by the test suite for a few seconds
against an in-process server.

    python benchmarks/soak_api.py --seconds 60 --clients 8
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

HOST = "127.0.0.1"
LAUGHS = ("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
          "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nname: *d\n")
HOSTILE_YAML = [
    LAUGHS,
    "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "name: x\ndata: pymrio-test\nshocks:\n  - {nodes: [reg1/food], loss_fraction: 0.5, onset: .inf}\n",
    "name: x\ndata: pymrio-test\nshocks:\n  - {nodes: [reg1/food], loss_fraction: .nan}\n",
    "name: x\ndata: pymrio-test\nhorizon: " + "9" * 400 + "\n",
    "name: x\ndata: pymrio-test\nparameters: {transport_lags: true, lead_time: 1e8}\n",
    "name: x\ndata: /etc\n",
    "!!python/object/apply:os.system ['true']\n",
]
GOOD_GETS = ["/api/health", "/api/network", "/api/items", "/api/analysis/concentration", "/api/analysis/chokepoints",
             "/api/analysis/dependencies?members=KOR,NLD", "/api/analysis/alliance?members=KOR,NLD", "/api/scenarios",
             "/api/search?q=neon", "/api/jobs", "/"]
BAD_GETS = ["/api/items/no-such-{i}", "/api/providers/none-{i}", "/api/analysis/dependencies?members=XX{i}",
            "/api/analysis/concentration?level=planet", "/api/jobs/{z}", "/api/jobs/{z}/result", "/api/nowhere/{i}",
            "/api/analysis/dependencies?members=%ED%A0%80", "/api/shares?limit=-5"]
SCENARIO = "name: soak\ndata: pymrio-test\nhorizon: 30\nshocks:\n  - {nodes: [reg2/manufactoring], loss_fraction: 0.3, onset: 2}\n"


@dataclass
class Stats:
    statuses: Counter[int] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    jobs_accepted: int = 0
    jobs_final: Counter[str] = field(default_factory=Counter)
    jobs_unaccounted: list[str] = field(default_factory=list)
    jobs_refused: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, what: str, r: httpx.Response) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[r.status_code] += 1
            self.by_kind[kind] += 1
            if r.status_code >= 500:
                self.server_errors.append(f"{what} -> {r.status_code}: {r.text[:200]}")


def _job(c: httpx.Client, st: Stats, rng: random.Random, end: float) -> None:
    body = {"yaml": SCENARIO} if rng.random() < 0.5 else {"scenario": "pymrio-test-food-fire", "steps": 30}
    r = c.post("/api/jobs/scenario", json=body)
    st.note("good", "POST /api/jobs/scenario", r)
    if r.status_code == 429:
        with st.lock:
            st.jobs_refused += 1
        return
    if r.status_code != 202:
        return
    jid = r.json()["id"]
    with st.lock:
        st.jobs_accepted += 1
    cancel = rng.random() < 0.3
    deadline = max(end, time.monotonic()) + 60  # a job accepted near the end is still followed to its end
    while time.monotonic() < deadline:
        if cancel:
            rr = c.delete(f"/api/jobs/{jid}") if rng.random() < 0.5 else c.post(f"/api/jobs/{jid}/cancel")
            st.note("hostile", "cancel", rr)
            cancel = False
        rr = c.get(f"/api/jobs/{jid}")
        st.note("good", "GET /api/jobs/{id}", rr)
        if rr.status_code == 200 and rr.json()["status"] in ("done", "failed", "cancelled"):
            final = rr.json()["status"]
            res = c.get(f"/api/jobs/{jid}/result")
            st.note("good", "GET /api/jobs/{id}/result", res)
            with st.lock:
                st.jobs_final[final] += 1
            return
        time.sleep(0.05)
    with st.lock:
        st.jobs_unaccounted.append(jid)


def _one(c: httpx.Client, st: Stats, rng: random.Random, i: int, end: float) -> None:
    z = f"{rng.getrandbits(128):032x}"
    roll = rng.random()
    if roll < 0.35:
        p = rng.choice(GOOD_GETS)
        st.note("good", p, c.get(p))
    elif roll < 0.5:
        _job(c, st, rng, end)
    elif roll < 0.7:
        p = rng.choice(BAD_GETS).format(i=i, z=z)
        st.note("bad", p, c.get(p))
    elif roll < 0.8:
        bodies = [b"{", b'{"scenario": 5}', b'{"yaml": "a", "steps": 99999999}', b"[]", b'{"colour": "red"}',
                  b'{"yaml": "\\ud800"}', b'{"members": "\\udfff"}']
        url = rng.choice(["/api/jobs/scenario", "/api/jobs/report"])
        r = c.post(url, content=rng.choice(bodies), headers={"content-type": "application/json"})
        st.note("bad", f"POST {url} (malformed)", r)
    elif roll < 0.92:
        st.note("hostile", "POST hostile yaml", c.post("/api/jobs/scenario", json={"yaml": rng.choice(HOSTILE_YAML)}))
    elif roll < 0.97:
        r = c.get(rng.choice(GOOD_GETS), headers={"host": rng.choice(["evil.example", "127.0.0.1.evil.example"])})
        st.note("hostile", "foreign Host", r)
    else:
        r = c.post("/api/jobs/scenario", json={"yaml": "x" * 2_000_000})
        st.note("hostile", "oversized body", r)


def run_soak(base: str, seconds: float, clients: int, max_requests: int = 100_000, seed: int = 1) -> Stats:
    """Run the mix against ``base`` (an http://127.0.0.1:PORT address) and return the counts."""
    if not base.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise SystemExit("the soak test only talks to a loopback address")
    st = Stats()
    end = time.monotonic() + seconds

    def client(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        with httpx.Client(base_url=base, timeout=60.0) as c:
            i = 0
            while time.monotonic() < end and st.requests < max_requests:
                _one(c, st, rng, i, end)
                i += 1

    threads = [threading.Thread(target=client, args=(k,), name=f"soak-{k}") for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return st


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--data", default="builtin")
    a = ap.parse_args()
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "allychain.cli.serve", "--host", HOST, "--port", str(port),
                             "--data", a.data], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://{HOST}:{port}"
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > 60:
                raise SystemExit("the server did not start")
            time.sleep(0.05)
        warm = run_soak(base, min(5.0, a.seconds / 6), a.clients, seed=99)  # caches and imports filled
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            start = time.monotonic()
            while not stop.is_set():
                samples.append((time.monotonic() - start, _rss_mib(proc.pid)))
                stop.wait(1.0)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t = time.monotonic()
        st = run_soak(base, a.seconds, a.clients, a.max_requests)
        wall = time.monotonic() - t
        stop.set()
        sampler.join()
        jobs_listed = httpx.get(base + "/api/jobs", timeout=30).json()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    half = [m for s, m in samples if s >= wall / 2]
    out: dict[str, Any] = {
        "seconds": round(wall, 1), "clients": a.clients, "requests": st.requests,
        "requests_per_s": round(st.requests / wall, 1),
        "by_kind": dict(st.by_kind), "statuses": dict(sorted(st.statuses.items())),
        "server_errors": len(st.server_errors), "jobs_accepted": st.jobs_accepted,
        "jobs_final": dict(st.jobs_final), "jobs_refused_429": st.jobs_refused,
        "jobs_unaccounted": len(st.jobs_unaccounted), "jobs_listed_at_end": len(jobs_listed),
        "rss_mib_after_warm_up": round(samples[0][1], 1) if samples else None,
        "rss_mib_peak": round(max(m for _, m in samples), 1) if samples else None,
        "rss_mib_end": round(samples[-1][1], 1) if samples else None,
        "rss_mib_growth_second_half": round(max(half) - min(half), 1) if half else None,
        "warm_up_requests": warm.requests,
    }
    print(json.dumps(out, indent=2))
    for e in st.server_errors[:5]:
        print("5xx:", e, file=sys.stderr)
    ok = not st.server_errors and not st.jobs_unaccounted and sum(st.jobs_final.values()) == st.jobs_accepted
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
