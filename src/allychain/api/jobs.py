"""Long-running work (scenario runs, briefing packs) as jobs in a thread pool.

A job is submitted, reports its progress (0–1) while it runs and keeps its result
(or its error as a problem document) until it is evicted: the pool keeps the most
recent ``keep`` jobs.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "JobManager", "Progress"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass
class Job:
    """One unit of background work and what is known about it."""

    id: str
    kind: str
    label: str
    params: dict[str, Any]
    status: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    message: str = "waiting for a worker"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: Any = None
    error: dict[str, Any] | None = None

    def describe(self) -> dict[str, Any]:
        """The job's state without its result (what a progress poll returns)."""
        return {
            "id": self.id, "kind": self.kind, "label": self.label, "params": self.params, "status": self.status,
            "progress": round(self.progress, 4), "message": self.message,
            "created": self.created, "started": self.started, "finished": self.finished,
            "seconds": round((self.finished or time.time()) - self.started, 3) if self.started else None,
            "error": self.error,
            "links": {"self": f"/api/jobs/{self.id}", "result": f"/api/jobs/{self.id}/result"},
        }


class JobManager:
    """A thread pool running jobs, and the last ``keep`` jobs by id."""

    def __init__(self, workers: int = 2, keep: int = 200) -> None:
        self.workers, self.keep = workers, keep
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="allychain-job")
        return self._pool

    def submit(self, kind: str, label: str, params: dict[str, Any], work: Callable[[Progress], Any]) -> Job:
        """Queue ``work(progress)``; its return value becomes the job's result."""
        job = Job(id=uuid.uuid4().hex, kind=kind, label=label, params=params)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                old = next(iter(self._jobs))
                if self._jobs[old].status in ("done", "failed"):
                    self._jobs.pop(old)
                else:
                    break

        def progress(fraction: float, message: str = "") -> None:
            job.progress = min(max(float(fraction), 0.0), 1.0)
            if message:
                job.message = message

        def run() -> None:
            job.status, job.started, job.message = "running", time.time(), "running"
            try:
                job.result = work(progress)
                job.status, job.progress, job.message = "done", 1.0, "finished"
            except BaseException as exc:  # noqa: BLE001 - every failure is reported on the job
                from allychain.api.problems import error_document

                if not isinstance(exc, Exception):
                    raise
                log.info("job %s failed: %s", job.id, exc)
                job.error = error_document(exc)
                job.status, job.message = "failed", job.error["detail"]
            finally:
                job.finished = time.time()

        self._executor().submit(run)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job finished (for tests and scripts); ``None`` if unknown."""
        end = time.monotonic() + timeout
        job = self.get(job_id)
        while job is not None and job.status in ("queued", "running") and time.monotonic() < end:
            time.sleep(0.02)
        return job

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
