"""Fault injection: ``kill -9`` of ``allychain serve --workspace`` at random moments during submissions.

Each trial starts the server, lets ``--clients`` threads upload capacity tables (each with its
own Idempotency-Key) and kills the process with SIGKILL after a random delay.  Between trials
(and at the end) the database is checked directly: every acknowledged submission is present
with exactly the bytes sent, nothing is half-written (a submission without its version, a
version without its submission, content not matching its digest), no idempotency key was
stored twice, the number of audited creations equals the number of submissions, and the audit
chain verifies.  Requests cut off by a kill are retried with the same key on the next server:
they either find the first attempt's submission or store one — never two.

    python benchmarks/bench_ws_faults.py --engine postgresql --trials 20
    python benchmarks/bench_ws_faults.py --engine sqlite --trials 20
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_harness import Server, capacity_csv, check_store, database, setup  # noqa: E402


def _client(base: str, token: str, stop: threading.Event, acked: dict[str, str], pending: dict[str, bytes],
            lock: threading.Lock, rng: random.Random, prefix: str) -> None:
    n = 0
    with httpx.Client(base_url=base, timeout=10.0) as c:
        while not stop.is_set():
            key = f"{prefix}-{n}"
            n += 1
            body = capacity_csv(key, rows=rng.randint(1, 20))
            with lock:
                pending[key] = body
            try:
                r = c.post("/api/ws/submissions?kind=capacity", content=body, headers={
                    "Authorization": f"Bearer {token}", "Content-Type": "text/csv", "Idempotency-Key": key})
            except httpx.HTTPError:
                return  # the server died: the request stays pending, retried after the restart
            if r.status_code in (200, 201):
                with lock:
                    acked[r.json()["id"]] = hashlib.sha256(body).hexdigest()
                    pending.pop(key, None)
            elif r.status_code >= 500:
                raise RuntimeError(f"server error {r.status_code}: {r.text[:300]}")


def _retry(base: str, tokens: dict[str, str], pending: dict[str, bytes], acked: dict[str, str]) -> int:
    """Resend cut-off requests with their keys; returns how many found their first attempt stored."""
    found = 0
    with httpx.Client(base_url=base, timeout=30.0) as c:
        for key, body in list(pending.items()):
            org = key.split("-")[0]
            r = c.post("/api/ws/submissions?kind=capacity", content=body, headers={
                "Authorization": f"Bearer {tokens[org]}", "Content-Type": "text/csv", "Idempotency-Key": key})
            if r.status_code not in (200, 201):
                raise RuntimeError(f"retry of {key}: {r.status_code} {r.text[:300]}")
            found += r.status_code == 200
            acked[r.json()["id"]] = hashlib.sha256(body).hexdigest()
            del pending[key]
    return found


def run(engine: str, trials: int, clients: int, seed: int, min_delay: float, max_delay: float,
        data: str = "builtin", log: Any = print) -> dict[str, Any]:
    """Run the trials; returns the totals and the final store check."""
    rng = random.Random(seed)
    with database(engine) as url:
        ws = setup(url, organisations=clients)
        tokens = ws["submitters"]
        acked: dict[str, str] = {}
        pending: dict[str, bytes] = {}
        lock = threading.Lock()
        bad_checks, found_again, starts = 0, 0, []
        server = Server(url, data=data)
        for t in range(trials):
            starts.append(server.start())
            found_again += _retry(server.base, tokens, pending, acked)
            stop = threading.Event()
            threads = [threading.Thread(target=_client, args=(server.base, tokens[org], stop, acked, pending, lock,
                                                              random.Random(rng.random()), f"{org}-t{t}"))
                       for org in tokens]
            for th in threads:
                th.start()
            delay = rng.uniform(min_delay, max_delay)
            time.sleep(delay)
            server.kill()
            stop.set()
            for th in threads:
                th.join(timeout=30)
            check = check_store(url, acked)
            ok = (check["missing"] == check["wrong"] == check["half_written"] == check["duplicate_keys"] == 0
                  and check["chain_ok"] and check["creates_audited"] == check["submissions"])
            bad_checks += not ok
            log(f"trial {t + 1:2d}: killed after {delay:.2f} s; acknowledged so far {len(acked)}, cut off "
                f"{len(pending)}, stored {check['submissions']}, {'ok' if ok else 'FAILED ' + json.dumps(check)}")
            server = Server(url, data=data)
        server.start()
        found_again += _retry(server.base, tokens, pending, acked)
        server.stop()
        final = check_store(url, acked)
    return {"engine": engine, "trials": trials, "failed_checks": bad_checks, "retries_found_stored": found_again,
            "median_start_s": sorted(starts)[len(starts) // 2], **final}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-delay", type=float, default=0.2, help="earliest kill after the server is up (s)")
    ap.add_argument("--max-delay", type=float, default=2.0, help="latest kill after the server is up (s)")
    a = ap.parse_args()
    out = run(a.engine, a.trials, a.clients, a.seed, a.min_delay, a.max_delay, log=lambda s: print(s, flush=True))
    print(json.dumps(out, indent=2))
    ok = out["failed_checks"] == 0 and out["missing"] == out["half_written"] == out["duplicate_keys"] == 0
    raise SystemExit(0 if ok and out["chain_ok"] else 1)


if __name__ == "__main__":
    main()
