"""Long-running work (scenario runs, briefing packs) as jobs in a thread pool.

A job is submitted, reports its progress (0–1) while it runs and keeps its result
(or its error as a problem document) until it is evicted: the manager keeps the most
recent ``keep`` finished jobs.  The queue is bounded (``max_active`` jobs queued or
running, ``max_per_client`` of one client's), and a job can be cancelled: a queued one
at once, a running one at its next progress report.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "JobManager", "Progress", "JobCancelled", "QueueFull", "FINISHED"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass
class Job:
    """One unit of background work and what is known about it."""

    id: str
    kind: str
    label: str
    params: dict[str, Any]
    status: str = "queued"  # queued | running | done | failed | cancelled
    progress: float = 0.0
    message: str = "waiting for a worker"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: Any = None
    error: dict[str, Any] | None = None
    client: str = "local"
    cancel_requested: bool = False

    def describe(self) -> dict[str, Any]:
        """The job's state without its result (what a progress poll returns)."""
        return {
            "id": self.id, "kind": self.kind, "label": self.label, "params": self.params, "status": self.status,
            "progress": round(self.progress, 4), "message": self.message,
            "created": self.created, "started": self.started, "finished": self.finished,
            "seconds": round((self.finished or time.time()) - self.started, 3) if self.started else None,
            "error": self.error,
            "links": {"self": f"/api/jobs/{self.id}", "result": f"/api/jobs/{self.id}/result",
                      "cancel": f"/api/jobs/{self.id}/cancel"},
        }


class JobCancelled(Exception):
    """Raised inside a job's work (from its progress callback) once the job is cancelled."""


class QueueFull(Exception):
    """The job queue, or one client's share of it, is full; ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


FINISHED = ("done", "failed", "cancelled")


class JobManager:
    """A thread pool running jobs, with a bounded queue, per-client limits and cancellation.

    Parameters
    ----------
    workers
        Threads running jobs.
    keep
        Finished jobs kept (with their results) for clients to fetch; the oldest
        finished ones are evicted first, whatever runs or waits before them.
    max_active
        Jobs queued or running at once, all clients together; more are refused
        (:class:`QueueFull`, HTTP 429) instead of growing the queue.
    max_per_client
        Jobs queued or running at once for one client (its address).
    """

    def __init__(self, workers: int = 2, keep: int = 200, max_active: int = 32, max_per_client: int = 8) -> None:
        self.workers, self.keep = workers, keep
        self.max_active, self.max_per_client = max_active, max_per_client
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="allychain-job")
        return self._pool

    def _evict(self) -> None:
        """Drop the oldest finished jobs beyond ``keep`` (caller holds the lock)."""
        extra = sum(1 for j in self._jobs.values() if j.status in FINISHED) - self.keep
        if extra <= 0:
            return
        for jid in [jid for jid, j in self._jobs.items() if j.status in FINISHED][:extra]:
            self._jobs.pop(jid, None)
            self._futures.pop(jid, None)

    def active(self, client: str | None = None) -> int:
        """Jobs queued or running (of ``client``, if given)."""
        with self._lock:
            return sum(1 for j in self._jobs.values()
                       if j.status not in FINISHED and (client is None or j.client == client))

    def submit(self, kind: str, label: str, params: dict[str, Any], work: Callable[[Progress], Any],
               client: str = "local") -> Job:
        """Queue ``work(progress)``; its return value becomes the job's result.

        Raises
        ------
        QueueFull
            ``max_active`` jobs are queued or running, or ``max_per_client`` of
            ``client``'s.
        """
        job = Job(id=uuid.uuid4().hex, kind=kind, label=label, params=params, client=client)
        with self._lock:
            active = [j for j in self._jobs.values() if j.status not in FINISHED]
            if len(active) >= self.max_active:
                raise QueueFull(f"{len(active)} jobs are queued or running, the most this server takes at once; "
                                "try again when some have finished")
            mine = sum(1 for j in active if j.client == client)
            if mine >= self.max_per_client:
                raise QueueFull(f"you have {mine} jobs queued or running, the most one client may have; wait for "
                                "them to finish or cancel some (DELETE /api/jobs/{id})")
            self._jobs[job.id] = job
            self._evict()

        def progress(fraction: float, message: str = "") -> None:
            if job.cancel_requested:
                raise JobCancelled(job.id)
            job.progress = min(max(float(fraction), 0.0), 1.0)
            if message:
                job.message = message

        def run() -> None:
            if job.cancel_requested:
                return
            job.status, job.started, job.message = "running", time.time(), "running"
            try:
                job.result = work(progress)
                if job.cancel_requested:
                    raise JobCancelled(job.id)
                job.status, job.progress, job.message = "done", 1.0, "finished"
            except JobCancelled:
                job.result, job.status, job.message = None, "cancelled", "cancelled on request"
            except BaseException as exc:  # noqa: BLE001 - every failure is reported on the job
                from allychain.api.problems import error_document

                if not isinstance(exc, Exception):
                    raise
                log.info("job %s failed: %s", job.id, exc)
                job.error = error_document(exc)
                job.status, job.message = "failed", job.error["detail"]
            finally:
                job.finished = time.time()
                with self._lock:
                    self._futures.pop(job.id, None)
                    self._evict()

        fut = self._executor().submit(run)
        with self._lock:
            if job.status not in FINISHED:
                self._futures[job.id] = fut
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job: a queued one at once, a running one at its next progress report.
        A finished job is left as it is.  ``None`` if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status in FINISHED:
                return job
            job.cancel_requested = True
            fut = self._futures.get(job_id)
            if job.status == "queued" and (fut is None or fut.cancel()):
                job.status, job.message, job.finished = "cancelled", "cancelled before it started", time.time()
                self._futures.pop(job_id, None)
                self._evict()
            else:
                job.message = "cancelling"
            return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job finished (for tests and scripts); ``None`` if unknown."""
        end = time.monotonic() + timeout
        job = self.get(job_id)
        while job is not None and job.status not in FINISHED and time.monotonic() < end:
            time.sleep(0.02)
        return job

    def shutdown(self) -> None:
        with self._lock:
            for job in self._jobs.values():
                if job.status not in FINISHED:
                    job.cancel_requested = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
