"""Named cross-table consistency checks (the second validation tier).

Each ``check_*`` function takes a network and returns a list of warnings
(:class:`~allychain.errors.Problem` with ``severity="warning"`` and ``check`` set to its
name).  :func:`consistency_check` runs them all; with ``strict=True`` (all checks) or
``strict=["share_sum", ...]`` the named ones raise :class:`ConsistencyError` instead.
The data stays usable when a check only warns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from allychain.errors import ConsistencyError, Problem
from allychain.model.network import Network

__all__ = ["CHECKS", "consistency_check"]

SHARE_SUM_TOLERANCE = 0.0  # percentage points above 100 that still pass, beyond the rounding allowance
ROUNDING_PER_ROW = 0.05  # shares are published to 0.1 %: each row may be up to half of that high


def share_levels(n: Network) -> pd.Series:
    """The level at which each provider's shares add up: ``country`` for countries and
    geographic aggregates ("Various countries"), ``firm`` for firms and aggregates of
    firms (an aggregate with a home, such as ETO's "Various companies"), ``region`` for
    regional groupings (which may overlap their member countries)."""
    p = n.providers.set_index("provider_id")
    level = p["kind"].astype(object).copy()
    agg = p["kind"] == "aggregate"
    level[agg & p["country"].isna()] = "country"
    level[agg & p["country"].notna()] = "firm"
    return level


def check_share_sum(n: Network, tolerance: float = SHARE_SUM_TOLERANCE) -> list[Problem]:
    """Known shares of one item, one year, one provider kind, one dataset sum to at most 100 %.

    Country and firm shares are summed separately (a firm's share is also counted in
    its country's), and so are datasets and bases; see :func:`share_levels` for where
    regions and aggregates count.  A sum may exceed 100 % by the rounding of its rows,
    0.05 percentage points each (shares are published to 0.1 %), plus ``tolerance``.
    """
    s = n.shares.dropna(subset=["share"])
    if s.empty:
        return []
    s = s.assign(level=s["provider_id"].map(share_levels(n)).fillna("unknown"))
    key = ["item_id", "year", "level", "dataset", "basis"]
    g = s.groupby(key, dropna=False)["share"]
    sums, counts = g.sum(), g.count()
    over = sums[sums > 100.0 + tolerance + ROUNDING_PER_ROW * counts + 1e-9]
    out = []
    for (item, year, level, dataset, basis), total in over.items():
        yr = "unknown year" if pd.isna(year) else str(year)
        on = "" if pd.isna(basis) else f", {basis}"
        out.append(
            Problem(
                f"{level} shares of item '{item}' ({yr}{on}) sum to {total:g} %",
                file=str(dataset) if not pd.isna(dataset) else "shares",
                column="share",
                value=round(float(total), 6),
                expected="at most 100 %",
                check="share_sum",
                severity="warning",
            )
        )
    return out


def check_providers_without_rows(n: Network) -> list[Problem]:
    """Providers listed but never used (no share row, node, or alliance membership)."""
    used = set(n.shares["provider_id"].dropna()) | set(n.alliances["member"].dropna())
    used |= set(n.nodes["firm"].dropna()) | set(n.nodes["country"].dropna())
    used |= set(n.providers["country"].dropna())
    unused = [p for p in n.providers["provider_id"] if p not in used]
    if not unused:
        return []
    return [
        Problem(
            f"{len(unused)} provider(s) have no share rows: {', '.join(map(str, unused[:10]))}"
            + (" …" if len(unused) > 10 else ""),
            file="providers",
            column="provider_id",
            expected="each provider to hold at least one share",
            check="providers_without_rows",
            severity="warning",
        )
    ]


def check_names(n: Network) -> list[Problem]:
    """Names that differ for one id, as recorded by importers (e.g. ETO's provision.csv
    spelling a provider differently than providers.csv) and by merges."""
    return [p for p in n.meta.get("findings", ()) if p.check == "names"]


def check_unknown_columns(n: Network) -> list[Problem]:
    """Columns a reader found that the schema does not know (often a misspelt optional
    column such as ``inventry``, whose values would otherwise be silently unused)."""
    return [p for p in n.meta.get("findings", ()) if p.check == "unknown_columns"]


def check_repeated_rows(n: Network) -> list[Problem]:
    """Rows a reader found repeated word for word and read once (e.g. a provision row the
    2019 ETO release publishes twice); each warning names both rows."""
    return [p for p in n.meta.get("findings", ()) if p.check == "repeated_rows"]


def check_conflicts(n: Network) -> list[Problem]:
    """Rows on which two datasets of a combination disagree (see :func:`allychain.data.merge`)."""
    conflicts = n.meta.get("conflicts")
    if conflicts is None or len(conflicts) == 0:
        return []
    out = []
    for rec in conflicts.to_dict("records"):
        out.append(
            Problem(
                f"{rec['table']} {rec['key']}: {rec['column']} is {rec['value_a']!r} in {rec['dataset_a']} "
                f"but {rec['value_b']!r} in {rec['dataset_b']}; using {rec['used']}",
                file=rec["table"],
                column=rec["column"],
                check="conflicts",
                severity="warning",
            )
        )
    return out


def check_edges_in_bom(n: Network) -> list[Problem]:
    """A supply edge whose supplier's product is not in the customer's bill of materials."""
    if n.edges.empty or n.bom.empty:
        return []
    prod = n.nodes.set_index("node_id")["product"]
    e = n.edges.assign(product=n.edges["supplier"].map(prod))
    need = set(zip(n.bom["node_id"], n.bom["input_product"], strict=True))
    bad = [(s, c, p) for s, c, p in zip(e["supplier"], e["customer"], e["product"], strict=True) if (c, p) not in need]
    return [
        Problem(
            f"edge {s} -> {c}: customer's bill of materials has no '{p}'",
            file="edges",
            column="customer",
            value=c,
            expected=f"a bom row for node {c} with input_product {p}",
            check="edges_in_bom",
            severity="warning",
        )
        for s, c, p in bad
    ]


def check_bom_supplied(n: Network) -> list[Problem]:
    """A bill-of-materials input that no supplier edge delivers to the node."""
    if n.bom.empty:
        return []
    prod = n.nodes.set_index("node_id")["product"]
    supplied = set(zip(n.edges["customer"], n.edges["supplier"].map(prod), strict=True))
    return [
        Problem(
            f"node {node} needs '{p}' but no edge supplies it",
            file="bom",
            column="input_product",
            value=p,
            expected=f"an edge from a node producing {p} to {node}",
            check="bom_supplied",
            severity="warning",
        )
        for node, p in zip(n.bom["node_id"], n.bom["input_product"], strict=True)
        if (node, p) not in supplied
    ]


def check_alliance_members(n: Network) -> list[Problem]:
    """Alliance members that are not providers of the network."""
    known = set(n.providers["provider_id"])
    if not known:
        return []
    return [
        Problem(
            f"alliance {a} member '{m}' is not a provider in this network",
            file="alliances",
            column="member",
            value=m,
            expected="a provider id (ISO alpha-3 for countries)",
            check="alliance_members",
            severity="warning",
        )
        for a, m in zip(n.alliances["alliance_id"], n.alliances["member"], strict=True)
        if m not in known
    ]


CHECKS: dict[str, Callable[[Network], list[Problem]]] = {
    "share_sum": check_share_sum,
    "providers_without_rows": check_providers_without_rows,
    "names": check_names,
    "unknown_columns": check_unknown_columns,
    "repeated_rows": check_repeated_rows,
    "conflicts": check_conflicts,
    "edges_in_bom": check_edges_in_bom,
    "bom_supplied": check_bom_supplied,
    "alliance_members": check_alliance_members,
}


def consistency_check(
    n: Network, strict: bool | Iterable[str] = False, checks: Iterable[str] | None = None
) -> list[Problem]:
    """Run the named checks; return the warnings, or raise for those named in ``strict``.

    Parameters
    ----------
    strict
        ``True`` makes every check fatal; a list of names makes those fatal.

    Raises
    ------
    ConsistencyError
        When a check named in ``strict`` finds anything.
    """
    names = list(checks) if checks is not None else list(CHECKS)
    unknown = [c for c in names if c not in CHECKS]
    strict_set = set(CHECKS) if strict is True else set(strict or ())
    unknown += [c for c in strict_set if c not in CHECKS]
    if unknown:
        raise KeyError(f"unknown checks {unknown}; expected some of {', '.join(CHECKS)}")
    found: list[Problem] = []
    for name in names:
        found.extend(CHECKS[name](n))
    fatal = [p for p in found if p.check in strict_set]
    if fatal:
        raise ConsistencyError([Problem(**{**p.__dict__, "severity": "error"}) for p in fatal])
    return found
