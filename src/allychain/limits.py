"""Resource limits that apply to every capability: how much memory a computation may take.

Large inputs (a billion steps, a lead time of two million steps, a plan of millions of
entries) must be refused *before* the memory is spent, with the figure, instead of dying
in the allocator.  Capabilities estimate what they will allocate from their inputs and
call :func:`check_memory`; the limit comes from :func:`memory_limit`:

* ``ALLYCHAIN_MEMORY_LIMIT`` when set: bytes, with an optional unit (``"512M"``,
  ``"8GiB"``, ``"2e9"``), or a percentage of the memory available now (``"50%"``);
  ``"0"`` or ``"none"`` switches the check off;
* otherwise 80 % of the memory available now: ``MemAvailable`` from ``/proc/meminfo``
  (or the free physical pages from ``os.sysconf``), capped by a cgroup (container)
  limit where one is set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from allychain.errors import ResourceLimitError

__all__ = ["MEMORY_LIMIT_ENV", "DEFAULT_FRACTION", "available_memory", "memory_limit", "check_memory", "fmt_bytes",
           "parse_size"]

MEMORY_LIMIT_ENV = "ALLYCHAIN_MEMORY_LIMIT"
#: Share of the available memory a computation may take when no limit is configured.
DEFAULT_FRACTION = 0.8

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6, "mib": 2**20,
          "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12, "tib": 2**40}


def _meminfo_available() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    m = re.search(r"^MemAvailable:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(m.group(1)) * 1024 if m else None


def _cgroup_room() -> int | None:
    """Room left under a cgroup v2 memory limit (None when there is none)."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        return max(0, int(limit) - used)
    except (OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Bytes of memory available to this process now, or None when it cannot be known."""
    avail = _meminfo_available()
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    room = _cgroup_room()
    if room is not None:
        avail = room if avail is None else min(avail, room)
    return avail


def parse_size(text: str) -> int | None:
    """Bytes from ``"512M"``, ``"8GiB"``, ``"2e9"``; None for ``"0"``/``"none"`` (no limit).

    Raises
    ------
    ResourceLimitError
        For text that is not a size.
    """
    t = text.strip().lower().replace(" ", "")
    if t in ("", "0", "none", "off", "unlimited"):
        return None
    m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)([a-z]*)", t)
    if not m or m.group(2) not in _UNITS:
        raise ResourceLimitError(f"{MEMORY_LIMIT_ENV}={text!r} is not a size; expected bytes with an optional unit "
                                 "(512M, 8GiB, 2e9), a percentage of the available memory (50%), or 'none'")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def memory_limit() -> tuple[int | None, str]:
    """(limit in bytes or None for no limit, where the limit comes from, in words)."""
    env = os.environ.get(MEMORY_LIMIT_ENV)
    if env is not None and env.strip().endswith("%"):
        try:
            pct = float(env.strip()[:-1])
        except ValueError:
            pct = -1.0
        if not 0 < pct <= 100:
            raise ResourceLimitError(f"{MEMORY_LIMIT_ENV}={env!r}: expected a percentage above 0 and at most 100")
        avail = available_memory()
        return (None, "no limit (available memory unknown)") if avail is None else \
            (int(avail * pct / 100), f"{pct:g} % of the {fmt_bytes(avail)} available, from {MEMORY_LIMIT_ENV}")
    if env is not None:
        size = parse_size(env)
        return size, (f"{MEMORY_LIMIT_ENV}={env.strip()}" if size else f"no limit ({MEMORY_LIMIT_ENV}={env.strip()})")
    avail = available_memory()
    if avail is None:
        return None, "no limit (available memory unknown)"
    return int(avail * DEFAULT_FRACTION), (f"{DEFAULT_FRACTION:.0%} of the {fmt_bytes(avail)} available now; "
                                           f"set {MEMORY_LIMIT_ENV} to change it")


def fmt_bytes(n: float) -> str:
    """``1536`` → ``"1.5 KiB"``; binary units."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(n) < 1024 or unit == "EiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover


def check_memory(what: str, parts: Mapping[str, float], hint: str = "") -> int:
    """Refuse a computation whose estimated memory exceeds :func:`memory_limit`.

    Parameters
    ----------
    what
        The computation, for the message (e.g. ``"simulation of 1,000,000,000 steps"``).
    parts
        Bytes per part (e.g. ``{"recorder": 2.9e11, "state": 1e6}``); estimates may exceed
        any machine (they are floats, never allocated).
    hint
        What the user can change (e.g. ``"fewer steps or a smaller batch"``).

    Returns
    -------
    int
        The estimate in bytes (when within the limit).

    Raises
    ------
    ResourceLimitError
        With the estimate, its largest parts and the limit.
    """
    total = float(sum(parts.values()))
    limit, source = memory_limit()
    if limit is None or total <= limit:
        return int(min(total, 2**63 - 1))
    big = sorted(parts.items(), key=lambda kv: -kv[1])[:3]
    detail = ", ".join(f"{k} {fmt_bytes(v)}" for k, v in big if v > 0)
    raise ResourceLimitError(
        f"{what} would need about {fmt_bytes(total)} of memory ({detail}), more than the limit of "
        f"{fmt_bytes(limit)} ({source}); nothing was started" + (f". Use {hint}" if hint else ""),
        needed=int(min(total, 2**63 - 1)), limit=limit)
