"""An alliance's workforce gap with and without programmes: one answer for the adapters.

:func:`talent_gap` takes the workforce parameters, the members and the programmes (read by
the adapter: a file or ``builtin:kor-nld``, the alliance's programme — see
:data:`ALLIANCE_PROGRAMME`) and gives the gap per member, skill level and year with and
without them (:func:`allychain.talent.programme_effect`), the members summed, coverage and
sources.  Members without sourced workforce figures are listed as *not covered*, never shown
as a gap of zero.  The briefing pack, the API (``/api/talent/gap``) and the dashboard's
talent page all show this one answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from allychain.talent.effect import programme_effect
from allychain.talent.params import builtin_sources
from allychain.talent.stockflow import Programme, project

__all__ = ["talent_gap", "ALLIANCE_PROGRAMME"]

#: the alliance's own programme (the Korea-Netherlands talent programme), a built-in programme file
ALLIANCE_PROGRAMME = "builtin:kor-nld"


def _alliance_total(frame: pd.DataFrame, covered: list[str]) -> pd.DataFrame:
    """Sum over the covered members per year, only where every one of them is assessable."""
    cols = ["demand", "stock", "gap", "gap_with", "closed"]
    rows = frame[frame["level"] == "all"]
    g = rows.groupby("year")
    total = g[cols].sum(min_count=1)
    complete = g["gap"].apply(lambda s: s.notna().sum()) == len(covered)
    total = total[complete & (g["country"].nunique() == len(covered))].reset_index()
    return total.assign(country="+".join(covered), level="all")


def talent_gap(table: pd.DataFrame, members: Iterable[str], programmes: Sequence[Programme] = (),
               programme: str | None = None) -> dict[str, Any]:
    """The gap per member, skill level and year, with and without ``programme``.

    Parameters
    ----------
    table
        Validated workforce parameters (e.g. :func:`allychain.talent.builtin_workforce`).
    members
        ISO alpha-3 codes.
    programmes
        Programmes (e.g. ``data.spec.read_programmes("builtin:kor-nld", table)``); those for
        countries outside the covered members are left out (and listed).
    programme
        How the programmes were named (shown with the answer).

    Returns
    -------
    dict
        ``rows`` (country, level, year, demand, stock, gap, gap_with, closed; persons),
        ``total`` (the covered members summed, the years all of them are assessable, skill
        level ``all`` only), ``covered`` and ``not_covered`` members, ``uncovered_flows``
        (country, level, flow, note), ``programmes`` (name, country, level, per_year, from,
        until, entry_share, source_id) used and ``left_out`` (programmes outside the
        members), and the ``sources`` cited.
    """
    mem = list(dict.fromkeys(m.strip().upper() for m in members if m.strip()))
    with_stock = set(table.loc[table["flow"] == "stock", "country"])
    covered = [m for m in mem if m in with_stock]
    progs = list(programmes)
    used = [p for p in progs if p.country in covered]
    out: dict[str, Any] = {"members": mem, "covered": covered, "not_covered": [m for m in mem if m not in with_stock],
                           "programme": programme, "left_out": [p.name for p in progs if p.country not in covered]}
    out["programmes"] = pd.DataFrame([{"name": p.name, "country": p.country, "level": p.level,
                                       "per_year": p.per_year, "from": p.start, "until": p.end,
                                       "entry_share": p.entry_share, "source_id": p.source_id} for p in used])
    if not covered:
        empty = pd.DataFrame(columns=["country", "level", "year", "demand", "stock", "gap", "gap_with", "closed"])
        return {**out, "rows": empty, "total": empty, "uncovered_flows": pd.DataFrame(), "sources": builtin_sources()[:0]}
    rows = programme_effect(table, used, countries=covered)
    rows = rows[rows["gap"].notna()]  # beyond a member's last demand year the gap is not assessable
    cov = project(table, countries=covered).coverage
    cited = set(table.loc[table["country"].isin(covered), "source_id"]) | {p.source_id for p in used}
    src = builtin_sources()
    out.update(rows=rows.reset_index(drop=True),
               total=_alliance_total(rows, covered) if len(covered) > 1 else rows.iloc[:0],
               uncovered_flows=cov[~cov["covered"]].reset_index(drop=True),
               sources=src[src["source_id"].isin(cited)].reset_index(drop=True))
    return out
