"""Shared parts of the workspace benchmarks: a fresh database, a workspace with a submitter per
organisation, ``allychain serve --workspace`` as a process on loopback, and the store-side checks.

Only 127.0.0.1 is contacted.  A PostgreSQL database is created with a unique name and dropped
at the end (trust authentication on 127.0.0.1:5432, user postgres or root).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def database(engine: str) -> Iterator[str]:
    """A fresh empty database URL on ``engine`` (``sqlite`` or ``postgresql``), removed afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="allychain-bench-") as d:
            yield f"sqlite:///{Path(d) / 'ws.db'}"
        return
    import psycopg

    conn = None
    for user in ("postgres", "root"):
        try:
            conn = psycopg.connect(host=HOST, port=5432, user=user, dbname="postgres", autocommit=True)
            break
        except psycopg.OperationalError:
            continue
    if conn is None:
        raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"allychain_bench_{os.getpid()}_{secrets.token_hex(3)}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{user}@{HOST}:5432/{name}"
    finally:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


def setup(url: str, organisations: int = 4) -> dict[str, Any]:
    """Migrate, create the secretariat, ``organisations`` companies with a submitter each, and a steward."""
    from allychain.store import open_store
    from allychain.workspace import accounts

    store = open_store(url, migrate=True)
    boot = accounts.bootstrap(store)
    admin = accounts.authenticate_token(store, boot["token"])
    tokens = {}
    for i in range(organisations):
        org = f"firm{i}"
        accounts.add_org(store, admin, org, f"Firm {i}", "company", "KOR" if i % 2 else "NLD")
        tokens[org] = accounts.add_user(store, admin, f"sub{i}", org, ["submitter"])["token"]
    steward = accounts.add_user(store, admin, "steward", "secretariat", ["steward"])["token"]
    store.dispose()
    return {"admin": boot["token"], "submitters": tokens, "steward": steward}


class Server:
    """``python -m allychain.cli.serve --workspace URL`` on a free loopback port."""

    def __init__(self, url: str, data: str = "builtin") -> None:
        self.url, self.data = url, data
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> float:
        env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "allychain.cli.serve", "--port", str(self.port),
                                      "--data", self.data, "--workspace", self.url], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with httpx.Client(timeout=2.0) as c:
            while time.perf_counter() - t0 < timeout:
                if self.proc.poll() is not None:
                    err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                    raise RuntimeError(f"server exited with {self.proc.returncode}: {err[-2000:]}")
                try:
                    if c.get(self.base + "/api/health").status_code == 200:
                        return time.perf_counter() - t0
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("server did not answer within the timeout")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing — a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()


def capacity_csv(marker: str, rows: int = 3) -> bytes:
    lines = ["item,site,country,period,value,unit"]
    for r in range(rows):
        lines.append(f"neon,{marker}-{r},KOR,2025,{100 + r},t/year")
    return ("\n".join(lines) + "\n").encode()


def check_store(url: str, acked: dict[str, str]) -> dict[str, Any]:
    """Store-side checks after the runs.

    ``acked`` maps each acknowledged submission id to the SHA-256 of the bytes sent.
    Returns counts: missing and wrong acknowledged submissions, half-written ones (a
    submission without all its versions, a version without its submission), duplicates
    of one idempotency key, and the audit chain's verdict.
    """
    from allychain.store import open_store
    from allychain.workspace import audit

    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            subs = {r[0]: (r[1], r[2]) for r in conn.exec_driver_sql(
                "SELECT id, current_version, idempotency_key FROM submissions")}
            versions: dict[str, dict[int, str]] = {}
            for sid, ver, digest, content in conn.exec_driver_sql(
                    "SELECT submission_id, version, digest, content FROM submission_versions"):
                ok = hashlib.sha256(content.encode()).hexdigest() == digest
                versions.setdefault(sid, {})[ver] = digest if ok else "corrupt"
            keys = [r[0] for r in conn.exec_driver_sql(
                "SELECT idempotency_key FROM submissions WHERE idempotency_key IS NOT NULL")]
            creates = conn.exec_driver_sql(
                "SELECT count(*) FROM audit_events WHERE action = 'submission:create'").scalar()
        half = sum(1 for sid, (cur, _) in subs.items() if set(versions.get(sid, {})) != set(range(1, cur + 1)))
        half += sum(1 for sid in versions if sid not in subs)
        half += sum(1 for v in versions.values() for d in v.values() if d == "corrupt")
        missing = sum(1 for sid in acked if sid not in subs)
        wrong = sum(1 for sid, d in acked.items() if sid in subs and versions.get(sid, {}).get(1) != d)
        chain = audit.verify(store)
        return {"submissions": len(subs), "acknowledged": len(acked), "missing": missing, "wrong": wrong,
                "half_written": half, "duplicate_keys": len(keys) - len(set(keys)),
                "creates_audited": creates, "chain_ok": chain.ok, "chain_records": chain.records,
                "chain_reason": chain.reason}
    finally:
        store.dispose()
