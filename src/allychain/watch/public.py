"""Real public series: monthly figures quoted from official trade statistics, each row citing where it
was published (``watch/series/``).

The series are small on purpose: only the months a public source states are rows, with the figure as
stated (``stated``), its precision and the citation; months no source states are gaps, never filled.

* Japan's exports of hydrogen fluoride to Korea (tonnes; Japan Ministry of Finance trade statistics, code
  2811.11-000, as reported when each month was released) around the licensing rule of 4 July 2019:
  August 2017, August, September and December 2018, June 2019 to December 2019.
* Korea's imports of neon (kg and USD/kg; Korea Customs Service, January and February 2022, as stated to the
  government's Ukraine task force) — two months only: too few for any detector (reported as such).

:func:`public_events` lists the documented events these series are checked against (``watch backtest``).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import pandas as pd

from allychain.watch.importers import from_frame

__all__ = ["public_series", "public_citations", "public_sources", "public_events"]


def _read(name: str) -> pd.DataFrame:
    text = resources.files("allychain.watch").joinpath(f"series/{name}").read_text(encoding="utf-8")
    return pd.DataFrame(list(csv.DictReader(text.splitlines())))


@lru_cache(maxsize=1)
def _raw() -> pd.DataFrame:
    return _read("public_series.csv")


def public_series() -> pd.DataFrame:
    """The public series as an indicator table (checked by the ``long`` importer; gaps are absent rows)."""
    raw = _raw()
    return from_frame(raw.drop(columns=["citation", "stated", "precision", "note"]), "long",
                      file="public_series.csv").table


def public_citations() -> pd.DataFrame:
    """Per row of :func:`public_series`: the key columns, ``citation`` (an id of :func:`public_sources`),
    ``stated`` (the figure in the source's words, translated), ``precision`` and ``note``."""
    return _raw().copy()


def public_sources() -> pd.DataFrame:
    """The publications cited (citation, title, publisher, year, address, language, reports: the official
    statistic the publication reports)."""
    return _read("sources.csv")


def public_events() -> pd.DataFrame:
    """Documented events for :func:`allychain.watch.backtest.backtest` (source: a citation id)."""
    return _read("events.csv")
