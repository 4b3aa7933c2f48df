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
        source_id: my-source  # the public source (optional; built-in programmes cite
                              # talent/tables/sources.csv)

Built-in programmes (sourced, in ``talent/tables/programmes/NAME.yaml``) are named
``builtin:NAME`` (:func:`builtin_programme_path`, :data:`BUILTIN_PROGRAMMES`).

Every problem is a :class:`~allychain.errors.SpecError` naming the file, the key path
(``programmes[0].country``), the value and what was expected.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from allychain.errors import UnknownMemberError
from allychain.model.spec import Spec
from allychain.talent.params import LEVELS, YEAR_MAX, YEAR_MIN
from allychain.talent.stockflow import Programme

__all__ = ["parse_programmes", "KEYS", "BUILTIN_PREFIX", "BUILTIN_PROGRAMMES", "builtin_programme_path"]

KEYS = ("name", "country", "level", "per_year", "from", "until", "entry_share", "source_id")

#: how a built-in programme is named where a programme file is expected
BUILTIN_PREFIX = "builtin:"
#: the built-in programmes: name → what they are
BUILTIN_PROGRAMMES: dict[str, str] = {
    "kor-nld": "the Korea-Netherlands semiconductor talent programme (500 experts from both countries by 2028)",
    "nld-microchip-talent": "the Dutch National Microchip Talent Plan (33,000 additional technicians by 2030)",
}


def builtin_programme_path(name: str) -> Path:
    """The packaged file of a built-in programme (``kor-nld`` or ``builtin:kor-nld``).

    Raises
    ------
    UnknownMemberError
        An unknown name (the message lists the built-in ones).
    """
    key = name[len(BUILTIN_PREFIX):] if name.startswith(BUILTIN_PREFIX) else name
    if key not in BUILTIN_PROGRAMMES:
        raise UnknownMemberError(f"programme {name!r} is not built in; expected one of "
                                 + ", ".join(BUILTIN_PREFIX + k for k in BUILTIN_PROGRAMMES) + " or a file")
    return Path(str(resources.files("allychain.talent").joinpath(f"tables/programmes/{key}.yaml")))


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
                                       expected="a fraction from 0 to 1 (write 80 % as 0.8)"),
                     source_id=s.text("source_id", ""))


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
