"""Candidate pools for partner recommendation, from the groupings in the data.

The ``alliances`` table holds both the alliances a user analyses (``kind = case``,
e.g. ``KOR-NLD``) and the groupings countries belong to (the G7, the EU, the OECD,
the Wassenaar Arrangement, IPEF, the Minerals Security Partnership, the
US–Japan–Korea partnership …), each with its members, the year of the list and
its source.  A grouping flagged ``like_minded`` counts towards the default pool.

A pool is written as terms separated by commas (union); a term joins atoms with
``&`` (intersection).  An atom is ``like-minded`` (every member of a like-minded
grouping), ``all`` (every country of the network), a grouping id (``G7``) or a
country (code or name)::

    like-minded            the default
    all                    every country: an explicit opt-in
    G7,EU                  members of the G7 or the EU
    OECD&WASSENAAR         members of both
    like-minded,IND        the like-minded pool plus India
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from allychain.analysis.snapshot import provider_classes
from allychain.errors import AllychainError
from allychain.model.members import resolve_members
from allychain.model.network import Network

__all__ = ["DEFAULT_POOL", "groupings", "country_groupings", "candidate_pool"]

#: The pool partner recommendation ranks by default (see docs/analysis.md, "Partners").
DEFAULT_POOL = "like-minded"


def _table(n: Network, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """The network's alliances; ``extra`` groupings are added when the network marks none like-minded
    (ids the network already uses are kept from the network)."""
    a = n.alliances.copy()
    if extra is not None and len(extra) and not a.get("like_minded", pd.Series(dtype=object)).astype(object).eq(
            True).any():
        extra = extra[~extra["alliance_id"].astype(str).isin(set(a["alliance_id"].astype(str)))]
        a = pd.concat([a, extra], ignore_index=True)
    for col in ("kind", "like_minded", "year", "source_id", "name"):
        if col not in a.columns:
            a[col] = None
    a["alliance_id"] = a["alliance_id"].astype(str)
    a["member"] = a["member"].astype(str)
    return a


def groupings(n: Network, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per grouping (not the analysed cases): ``grouping_id``, ``name``, ``kind``,
    ``like_minded`` (bool or None), ``year``, ``members`` (count), ``member_ids`` and ``source`` (title)."""
    a = _table(n, extra)
    a = a[a["kind"].astype(object).ne("case")]
    titles = n.sources.drop_duplicates("source_id").set_index("source_id")["title"].to_dict()
    rows = []
    for gid, g in a.groupby("alliance_id", sort=True):
        lm = g["like_minded"].dropna()
        src = g["source_id"].dropna()
        year = g["year"].dropna()
        rows.append({"grouping_id": gid, "name": g["name"].dropna().iloc[0] if g["name"].notna().any() else gid,
                     "kind": g["kind"].dropna().iloc[0] if g["kind"].notna().any() else None,
                     "like_minded": bool(lm.iloc[0]) if len(lm) else None,
                     "year": int(year.iloc[0]) if len(year) else None,
                     "members": int(g["member"].nunique()), "member_ids": sorted(set(g["member"])),
                     "source": titles.get(src.iloc[0]) if len(src) else None})
    return pd.DataFrame(rows, columns=["grouping_id", "name", "kind", "like_minded", "year", "members",
                                       "member_ids", "source"])


def country_groupings(n: Network, extra: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Country → sorted ids of the groupings (not cases) it belongs to."""
    out: dict[str, list[str]] = {}
    for row in groupings(n, extra).itertuples():
        for m in row.member_ids:
            out.setdefault(m, []).append(str(row.grouping_id))
    return {k: sorted(v) for k, v in out.items()}


def _countries(n: Network) -> list[str]:
    cls = provider_classes(n)
    return sorted(str(p) for p, k in cls.items() if k == "country")


def _atom(n: Network, atom: str, table: pd.DataFrame) -> set[str]:
    key = atom.strip()
    if key.casefold() == "all":
        return set(_countries(n))
    if key.casefold() in ("like-minded", "like_minded", "likeminded"):
        lm = table[table["like_minded"].astype(object).eq(True)]
        if lm.empty:
            raise AllychainError("the data holds no like-minded groupings (alliances.like_minded); combine it "
                                 "with the built-in groupings (--data builtin+…), name a pool (e.g. G7,EU) "
                                 "or rank every country with --candidates all")
        return set(lm["member"])
    ids = {i.casefold(): i for i in table["alliance_id"]}
    if key.casefold() in ids:
        return set(table.loc[table["alliance_id"] == ids[key.casefold()], "member"])
    return set(resolve_members([key], n))


def candidate_pool(n: Network, pool: str | Iterable[str] | None, members: Iterable[str] = (),
                   extra: pd.DataFrame | None = None) -> list[str]:
    """The countries a pool names, the members left out, sorted.

    Parameters
    ----------
    pool
        A pool expression (see module docstring), a list of countries, or None for
        :data:`DEFAULT_POOL`.
    members
        Alliance members, never candidates.
    extra
        Groupings (``alliances`` schema) used when the network marks none like-minded,
        e.g. :func:`allychain.data.load.builtin_groupings` for the ETO data or your own.

    Raises
    ------
    AllychainError
        For an empty term or a pool that the data cannot form (no like-minded groupings).
    """
    table = _table(n, extra)
    if pool is None:
        pool = DEFAULT_POOL
    terms = [t for t in (pool.split(",") if isinstance(pool, str) else [str(p) for p in pool])]
    chosen: set[str] = set()
    for term in terms:
        atoms = [a for a in term.split("&")]
        if any(not a.strip() for a in atoms):
            raise AllychainError(f"empty name in candidate pool {pool!r}; write e.g. 'like-minded', 'G7,EU' "
                                 "or 'OECD&WASSENAAR'")
        sets = [_atom(n, a, table) for a in atoms]
        chosen |= set.intersection(*sets)
    mem = set(members)
    return sorted(c for c in chosen if c not in mem)
