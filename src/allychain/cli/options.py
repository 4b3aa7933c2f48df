"""Checks of numeric command-line options, done where the options are parsed.

A value out of range is a usage error (exit status 2, click's message naming the option),
found before any data is loaded — never a ``ValueError`` from deep inside a computation.
Ranges are given with ``typer.Option(min=..., max=...)``; :func:`finite` adds what click's
ranges let through (``nan`` compares false with every bound, so it passes ``min``/``max``).

Limits (documented in docs/formats.md):

* ``--steps``: 1 … :data:`MAX_STEPS` (a day per step: over 270 years);
* ``--runs``, ``--batch-size``, ``--samples``, ``--workers``: at least 1 (``--samples`` 0 means
  no Monte Carlo); ``--seed``: 0 … 2**63 − 1 (numpy's seed sequences take non-negative seeds);
* shares in percent: 0 … 100; HHI: 0 … 10,000; years: 1900 … 2100; levels: strictly between 0
  and 1; times and spreads: finite and non-negative.
"""

from __future__ import annotations

import math
from typing import Any

import typer

__all__ = ["MAX_SEED", "MAX_STEPS", "MAX_YEAR", "MIN_YEAR", "finite", "open_unit_interval", "positive"]

MAX_STEPS = 100_000
MAX_SEED = 2**63 - 1
MIN_YEAR, MAX_YEAR = 1900, 2100


def finite(value: Any) -> Any:
    """Option callback: refuse ``nan`` and ``±inf`` (``None`` passes: the option was not given)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def open_unit_interval(value: float) -> float:
    """Option callback: a level strictly between 0 and 1 (e.g. 0.95 for VaR/CVaR at 95 %)."""
    if not (math.isfinite(value) and 0 < value < 1):
        raise typer.BadParameter(f"{value} is not strictly between 0 and 1 (e.g. 0.95)")
    return value


def positive(value: float) -> float:
    """Option callback: a finite number above 0 (e.g. a time-out in seconds)."""
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not a finite number above 0")
    return value
