"""The server cannot be brought down from outside: Host allow-list, bounded job queue with
cancellation and eviction, bounded cache, bounded job parameters, every error a 4xx problem."""

from __future__ import annotations

import threading
import time
import tracemalloc
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

PROBLEM = "application/problem+json"


def _problem(r: Any, status: int, kind: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    doc = r.json()
    assert doc["status"] == status and doc["detail"]
    if kind is not None:
        assert doc["type"] == f"/problems/{kind}", doc
    return doc


# -- Host header --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "localhost.evil.example",
                                  "", "[::2]:8000", "LOCALHOST.evil"])
@pytest.mark.parametrize("path", ["/api/health", "/", "/api/jobs", "/static/app.js", "/openapi.json"])
def test_a_foreign_host_gets_400(client: Any, host: str, path: str) -> None:
    doc = _problem(client.get(path, headers={"host": host}), 400, "host-not-allowed")
    assert "--allow-host" in doc["detail"]


def test_a_foreign_host_cannot_submit_a_job(app: Any, client: Any) -> None:
    before = len(app.state.allychain.jobs)
    r = client.post("/api/jobs/scenario", json={"scenario": "neon-loss", "steps": 5}, headers={"host": "evil.example"})
    _problem(r, 400, "host-not-allowed")
    assert len(app.state.allychain.jobs) == before


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "localhost", "LocalHost:1", "[::1]:8000", "::1"])
def test_loopback_names_are_answered(client: Any, host: str) -> None:
    assert client.get("/api/health", headers={"host": host}).status_code == 200


def _client_for(app: Any) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_configured_names_are_answered(network: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from allychain.api import create_app

    monkeypatch.setenv("ALLYCHAIN_ALLOWED_HOSTS", "from-env.example, other.example")
    app = create_app(network, allowed_hosts=["analysis.ministry.example"])
    for c in _client_for(app):
        for host in ("analysis.ministry.example:443", "from-env.example", "other.example", "localhost"):
            assert c.get("/api/health", headers={"host": host}).status_code == 200, host
        _problem(c.get("/api/health", headers={"host": "evil.example"}), 400, "host-not-allowed")


# -- answers cache ------------------------------------------------------------------------------------------------

def test_a_thousand_failing_requests_leave_the_cache_as_it_was(app: Any, client: Any) -> None:
    cache = app.state.allychain.cache
    client.get("/api/analysis/concentration")  # something cached
    size, locks = len(cache), len(cache._key_locks)
    statuses = set()
    for i in range(1000):
        r = client.get(f"/api/items/no-such-item-{i}")  # 404, computed (and failed) inside the cache
        statuses.add(r.status_code)
    assert statuses and all(400 <= s < 500 for s in statuses), statuses
    assert len(cache) == size and len(cache._key_locks) == locks == 0


# -- hostile uploads ----------------------------------------------------------------------------------------------

LAUGHS = ("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
          "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
          "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
          "name: *h\n")


def test_billion_laughs_upload_is_refused_fast_with_flat_memory(app: Any, client: Any) -> None:
    assert len(LAUGHS.encode()) < 600  # the reported file was 455 bytes and grew the server past 5 GB
    jobs = len(app.state.allychain.jobs)
    client.post("/api/jobs/scenario", json={"yaml": "name: [warm-up"})  # imports done, as on a running server
    t = time.perf_counter()
    r = client.post("/api/jobs/scenario", json={"yaml": LAUGHS})
    took = time.perf_counter() - t
    doc = _problem(r, 422, "scenario-error")
    assert "alias" in doc["detail"] and took < 1.0, took
    tracemalloc.start()  # memory: what the request allocates at its peak (tracing slows it; timed above)
    r = client.post("/api/jobs/scenario", json={"yaml": LAUGHS})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert r.status_code == 422 and peak < 20 * 2**20, peak
    assert len(app.state.allychain.jobs) == jobs


@pytest.mark.parametrize("yaml_text, words", [
    ("name: x\ndata: pymrio-test\nshocks:\n  - {nodes: [reg1/food], loss_fraction: 0.5, onset: .inf}\n", "finite"),
    ("name: x\ndata: pymrio-test\nshocks:\n  - {nodes: [reg1/food], loss_fraction: .nan}\n", "finite"),
    ("name: x\ndata: pymrio-test\nhorizon: " + "9" * 400 + "\n", "400 digits"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nesting"),
    ("name: x\ndata: pymrio-test\nparameters: {transport_lags: true, lead_time: 2000000}\n", "lead_time"),
    ("name: x\ndata: pymrio-test\nparameters: {transport_lags: true, lead_time: 1e8}\n", "lead_time"),
    ("name: x\ndata: pymrio-test\nhorizon: 100000\n", "horizon"),
])
def test_hostile_scenarios_are_4xx_before_any_job(app: Any, client: Any, yaml_text: str, words: str) -> None:
    jobs = len(app.state.allychain.jobs)
    doc = _problem(client.post("/api/jobs/scenario", json={"yaml": yaml_text}), 422)
    assert words in doc["detail"]
    assert len(app.state.allychain.jobs) == jobs


@pytest.mark.parametrize("raw", [b'{"yaml": "\\ud800"}', b'{"scenario": "\\udfff"}', b'{"yaml": "a\\ud800b", "x": 1}'])
def test_a_lone_surrogate_is_a_422(client: Any, raw: bytes) -> None:
    r = client.post("/api/jobs/scenario", content=raw, headers={"content-type": "application/json"})
    doc = _problem(r, 422, "validation-error")
    assert "\\ud8" in r.text or "\\udf" in r.text or doc["errors"]


def test_lone_surrogates_elsewhere_are_4xx(client: Any) -> None:
    assert 400 <= client.get("/api/analysis/dependencies?members=%ED%A0%80").status_code < 500
    r = client.post("/api/jobs/report", content=b'{"members": "\\ud800"}', headers={"content-type": "application/json"})
    _problem(r, 422)


def test_the_result_of_a_failed_job_is_never_a_500(app: Any, client: Any) -> None:
    jobs = app.state.allychain.jobs

    def out_of_memory(progress: Any) -> None:
        raise MemoryError("Unable to allocate 286. GiB")

    def bug(progress: Any) -> None:
        raise RuntimeError("a bug")

    big, broken = jobs.submit("scenario", "big", {}, out_of_memory), jobs.submit("scenario", "broken", {}, bug)
    jobs.wait(big.id, 10)
    jobs.wait(broken.id, 10)
    assert client.get(f"/api/jobs/{big.id}").json()["error"]["status"] == 413
    _problem(client.get(f"/api/jobs/{big.id}/result"), 413, "too-large")
    doc = _problem(client.get(f"/api/jobs/{broken.id}/result"), 409, "job-failed")
    assert doc["job_error"]["status"] == 500


def test_a_job_over_the_memory_limit_fails_with_413(app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLYCHAIN_MEMORY_LIMIT", "64K")  # the engine's estimate refuses before allocating
    r = client.post("/api/jobs/scenario", json={"scenario": "neon-loss", "steps": 400})
    assert r.status_code == 202, r.text
    job = app.state.allychain.jobs.wait(r.json()["id"], 60)
    assert job is not None and job.status == "failed", job
    assert job.error["status"] == 413 and job.error["type"] == "/problems/too-large"
    doc = _problem(client.get(f"/api/jobs/{job.id}/result"), 413, "too-large")
    assert "ALLYCHAIN_MEMORY_LIMIT" in doc["detail"]


# -- the job queue ------------------------------------------------------------------------------------------------

@pytest.fixture
def small_app(network: Any) -> Any:
    from allychain.api import create_app

    app = create_app(network, workers=1, max_jobs=4, max_jobs_per_client=3)
    yield app
    app.state.allychain.jobs.shutdown()


def _blocker(gate: threading.Event, ticks: list[int]) -> Any:
    def work(progress: Any) -> str:
        while not gate.wait(0.01):
            ticks.append(1)
            progress(0.5, "waiting")
        return "done"

    return work


def test_queue_is_bounded_per_client_and_in_all(small_app: Any) -> None:
    jobs = small_app.state.allychain.jobs
    gate, ticks = threading.Event(), []
    try:
        for c in _client_for(small_app):
            for _ in range(3):
                jobs.submit("test", "blocked", {}, _blocker(gate, ticks), client="testclient")
            r = c.post("/api/jobs/scenario", json={"scenario": "neon-loss", "steps": 5})
            doc = _problem(r, 429, "too-many-jobs")
            assert r.headers["retry-after"] and "cancel" in doc["detail"]
            jobs.submit("test", "other client", {}, _blocker(gate, ticks), client="10.0.0.9")
            _problem(c.post("/api/jobs/scenario", json={"scenario": "neon-loss", "steps": 5}), 429)
            assert jobs.active() == 4
    finally:
        gate.set()


def test_cancel_queued_and_running_jobs(small_app: Any) -> None:
    jobs = small_app.state.allychain.jobs
    gate, ticks = threading.Event(), []
    try:
        for c in _client_for(small_app):
            running = jobs.submit("test", "running", {}, _blocker(gate, ticks))
            queued = jobs.submit("test", "queued", {}, _blocker(gate, ticks))  # one worker: waits
            end = time.monotonic() + 10
            while jobs.get(running.id).status != "running" and time.monotonic() < end:
                time.sleep(0.01)
            r = c.delete(f"/api/jobs/{queued.id}")
            assert r.status_code == 200 and r.json()["status"] == "cancelled"
            r = c.post(f"/api/jobs/{running.id}/cancel")
            assert r.status_code == 200
            jobs.wait(running.id, 10)
            assert jobs.get(running.id).status == "cancelled"  # stopped at its next progress report
            _problem(c.get(f"/api/jobs/{running.id}/result"), 409, "job-cancelled")
            _problem(c.delete(f"/api/jobs/{'0' * 32}"), 404, "unknown-job")
            assert jobs.active() == 0
    finally:
        gate.set()


def test_eviction_works_past_running_jobs(network: Any) -> None:
    from allychain.api.jobs import JobManager

    jobs = JobManager(workers=2, keep=5, max_active=50, max_per_client=50)
    gate, ticks = threading.Event(), []
    try:
        long = jobs.submit("test", "long", {}, _blocker(gate, ticks))  # the oldest job keeps running
        quick = [jobs.submit("test", f"quick {i}", {}, lambda p, i=i: i) for i in range(40)]
        for j in quick:
            jobs.wait(j.id, 10)
        assert len(jobs) <= 5 + 1 and jobs.get(long.id) is not None
        assert [j.label for j in jobs.list()[:5]] == [f"quick {i}" for i in range(39, 34, -1)]
    finally:
        gate.set()
        jobs.shutdown()
