"""What the server holds: the network (loaded once), a result cache, the job pool."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allychain.api.jobs import JobManager
from allychain.api.serialize import dumps
from allychain.model.network import Network

__all__ = ["AppState", "ResultCache"]

log = logging.getLogger(__name__)


class ResultCache:
    """Serialised answers per (endpoint, parameters), computed once even under concurrency.

    A bounded LRU map from key to JSON bytes; concurrent requests for a key being
    computed wait for the first one (one lock per key, dropped when the computation
    ends, failed or not) instead of repeating it.  Errors are not cached, so failing
    requests leave neither entries nor locks behind.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._data: OrderedDict[Any, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> bytes:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            klock = self._key_locks.setdefault(key, threading.Lock())
        try:
            with klock:
                with self._lock:
                    if key in self._data:
                        self.hits += 1
                        return self._data[key]
                body = dumps(compute())
                with self._lock:
                    self.misses += 1
                    self._data[key] = body
                    while len(self._data) > self.size:
                        self._data.popitem(last=False)
                return body
        finally:
            # success or failure: the key's lock is only needed while it is being computed
            with self._lock:
                if self._key_locks.get(key) is klock:
                    del self._key_locks[key]

    def locks(self) -> int:
        """Keys being computed now (their locks); 0 when the server is idle."""
        with self._lock:
            return len(self._key_locks)

    def __len__(self) -> int:
        return len(self._data)


@dataclass
class AppState:
    """Everything a request handler needs; one per application."""

    network: Network
    data: str
    members: list[str]
    cache: ResultCache = field(default_factory=ResultCache)
    jobs: JobManager = field(default_factory=JobManager)
    networks: dict[str, Network] = field(default_factory=dict)
    load_seconds: float = 0.0
    _net_lock: threading.Lock = field(default_factory=threading.Lock)

    def network_for(self, spec: str | None) -> Network:
        """The server's network, or another allowed dataset (built-in, pymrio test system) loaded once."""
        if spec is None or spec == self.data:
            return self.network
        with self._net_lock:
            if spec not in self.networks:
                from allychain.data.load import load

                log.info("loading %s for a scenario", spec)
                self.networks[spec] = load(spec)
            return self.networks[spec]
