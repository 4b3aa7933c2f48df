"""Agreement cover from the workspace's registry: which members receive a supply commitment on which item.

The registry (:func:`allychain.workspace.agreements.coverage`) lists, per item an agreement
in force covers, each commitment: supplier (``from``), receiver (``to``), floors.  Here a
member *m* is **covered** on item *i* when an agreement in force commits a supply of *i*
to *m* (``to`` = *m*); an agreement that lists *i* but commits nothing to *m* does not
cover *m*.  The cover of an item for the members M is the fraction of M covered (0–1),
which :func:`allychain.analysis.severity_report` takes as ``agreement_cover`` (its component
is 1 − that fraction) and :func:`allychain.services.watchlist.watchlist` as the per-member
cover that lowers a grade.

Without a registry the cover is **not assessed** (``None`` everywhere), never 0: an
alliance that has not recorded its agreements has not shown that it has none.  The
receivers are matched as ISO 3166 alpha-3 codes; a receiver that is a workspace
organisation is listed in :attr:`AgreementCover.unmatched` (its country is not known here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AgreementCover", "agreement_cover", "severity_cover"]


@dataclass(frozen=True)
class AgreementCover:
    """Per (item, member): the agreements in force committing a supply of the item to the member."""

    members: tuple[str, ...]
    pairs: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unmatched: tuple[str, ...] = ()

    def of(self, item: str, member: str) -> tuple[str, ...]:
        """The agreements covering ``member`` on ``item`` (empty: not covered)."""
        return tuple(self.pairs.get((item, member), ()))

    def fraction(self, items: Iterable[str] | None = None) -> dict[str, float]:
        """Item → the fraction (0–1) of the members covered, for every item given (default: every item an
        agreement in force lists); an item no agreement covers gets 0 (the registry was read: not covered)."""
        wanted = list(self.items) if items is None else list(items)
        n = len(self.members) or 1
        return {i: sum(1 for m in self.members if (i, m) in self.pairs) / n for i in wanted}

    def to_dict(self) -> dict[str, Any]:
        return {"members": list(self.members), "unmatched": list(self.unmatched),
                "covered": [{"item": i, "member": m, "agreements": list(a)} for (i, m), a in sorted(self.pairs.items())]}


def agreement_cover(rows: Iterable[Mapping[str, Any]], members: Iterable[str]) -> AgreementCover:
    """The cover of ``members`` from the registry's coverage rows (``item``, ``agreement``, ``receiver``).

    >>> rows = [{"item": "neon", "agreement": "kor-nld-neon", "receiver": "NLD"},
    ...         {"item": "neon", "agreement": "kor-nld-neon", "receiver": None}]
    >>> c = agreement_cover(rows, ["KOR", "NLD"])
    >>> c.of("neon", "NLD"), c.of("neon", "KOR"), c.fraction(["neon", "gallium"])
    (('kor-nld-neon',), (), {'neon': 0.5, 'gallium': 0.0})
    """
    mem = tuple(members)
    pairs: dict[tuple[str, str], list[str]] = {}
    items: dict[str, list[str]] = {}
    unmatched: set[str] = set()
    for r in rows:
        item, agr, to = str(r["item"]), str(r["agreement"]), r.get("receiver")
        items.setdefault(item, [])
        if agr not in items[item]:
            items[item].append(agr)
        if not to:
            continue
        if to in mem:
            got = pairs.setdefault((item, str(to)), [])
            if agr not in got:
                got.append(agr)
        elif not (isinstance(to, str) and len(to) == 3 and to.isupper()):
            unmatched.add(str(to))
    return AgreementCover(mem, {k: tuple(v) for k, v in pairs.items()}, {k: tuple(v) for k, v in items.items()},
                          tuple(sorted(unmatched)))


def severity_cover(n: Any, cover: AgreementCover) -> dict[str, float]:
    """Item → the fraction (0–1) of the members that need the item (through all tiers,
    :func:`allychain.analysis.dependencies`) and receive a commitment on it — the
    ``agreement_cover`` input of :func:`allychain.analysis.severity_report` (its component is 1 − this).
    An item no member needs is measured over all members; items the registry does not list are absent
    (the score reads them as not covered: the registry was read)."""
    from allychain.analysis import dependencies

    need: dict[str, list[str]] = {}
    for m in cover.members:
        d = dependencies(n, [m])
        for i in d.loc[d["required"].fillna(False).astype(bool), "item_id"].astype(str):
            need.setdefault(i, []).append(m)
    out = {}
    for i in sorted(set(need) | set(cover.items)):
        who = need.get(i) or list(cover.members)
        out[i] = sum(1 for m in who if (i, m) in cover.pairs) / len(who)
    return out
