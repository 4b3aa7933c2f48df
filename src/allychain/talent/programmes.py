"""Training programmes as data: the ``programmes`` specification file and its parser.

A programme file (YAML, read by :func:`allychain.data.spec.read_programmes`) lists
programmes, each adding trained people to a country's inflow at one skill level::

    programmes:
      - name: KOR-NLD semiconductor academy
        country: KOR          # ISO alpha-3, must have workforce parameters at this level
        level: all            # technician | bachelor | master_phd | degree | all
        per_year: 1000        # people trained a year (persons/year, >= 0)
        from: 2025            # first year of training
        until: 2030           # last year (optional: to the horizon)
        entry_share: 0.8      # fraction joining the industry (optional, default 1)

Every problem is a :class:`~allychain.errors.SpecError` naming the file, the key path
(``programmes[0].country``), the value and what was expected.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from allychain.model.spec import Spec
from allychain.talent.params import LEVELS, YEAR_MAX, YEAR_MIN
from allychain.talent.stockflow import Programme

__all__ = ["parse_programmes", "KEYS"]

KEYS = ("name", "country", "level", "per_year", "from", "until", "entry_share")


def _one(s: Spec, table: pd.DataFrame | None) -> Programme:
    s.check_keys(KEYS)
    country = s.text("country").strip().upper()
    level = s.text("level", "all", choices=LEVELS)
    if table is not None:
        stocks = table[table["flow"] == "stock"]
        known = sorted(set(stocks["country"]))
        if country not in known:
            s.fail(s.data["country"], "a country with workforce parameters: " + ", ".join(known), "country")
        levels = sorted(set(stocks.loc[stocks["country"] == country, "level"]))
        if level not in levels:
            s.fail(level, f"a level with a workforce stock for {country}: " + ", ".join(levels), "level")
    start = s.integer("from", low=YEAR_MIN, high=YEAR_MAX)
    end = s.integer("until", None, low=start, high=YEAR_MAX,
                    expected=f"a whole year from {start} (from) to {YEAR_MAX}")
    return Programme(name=s.text("name", f"programme {s.key}"), country=country, level=level,
                     per_year=s.num("per_year", low=0.0, expected="a number of people per year >= 0"),
                     start=start, end=end,
                     entry_share=s.num("entry_share", 1.0, low=0.0, high=1.0,
                                       expected="a fraction from 0 to 1 (write 80 % as 0.8)"))


def parse_programmes(doc: Any, source: str, table: pd.DataFrame | None = None) -> list[Programme]:
    """The programmes of a checked specification mapping.

    Parameters
    ----------
    doc
        The parsed YAML document (a mapping with a ``programmes`` list).
    source
        The file name, for messages.
    table
        The workforce table the programmes apply to: a programme for a country or level
        without a stock there is refused.  ``None`` skips that check.
    """
    top = Spec(doc, source)
    top.check_keys(("programmes",))
    return [_one(s, table) for s in top.records("programmes", required=True)]
