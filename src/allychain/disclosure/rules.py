"""Primary sensitivity rules and protection levels, as pure functions of contributor vectors.

A *cell* of a magnitude table (e.g. the alliance's capacity for one item in one country) is
the sum of its contributors' figures.  Contributors are **organisations at holding level**:
two plants of one firm, or two firms of one group, are one contributor, because each can
subtract its own figure from a published total (Hundepool et al. 2012, §4.2.2; τ-ARGUS
"holding level").  :func:`assess_cells` aggregates the contributions per (cell, holding)
first, then applies the rules to the sorted contributions ``x1 ≥ x2 ≥ … ≥ 0`` of each cell
with total ``T``.

Rules (each can be switched off; every parameter is in **percent**, never a fraction):

* **minimum frequency** — sensitive when fewer than ``min_frequency`` organisations
  (default 3) contribute a positive figure: with one contributor the cell *is* its figure,
  with two each contributor can subtract its own and learn the other's exactly.
* **p% rule** — sensitive when ``T − x1 − x2 < p/100 · x1`` (default ``p = 10``): the
  second-largest contributor, who knows ``x2``, could estimate the largest figure ``x1``
  to within ``p`` percent.
* **(n,k) dominance** (optional, off by default) — sensitive when the ``n`` largest
  contributions exceed ``k`` percent of the total: ``x1 + … + xn > k/100 · T``.

Protection levels (how far an attacker's interval for the cell must reach beyond the true
value, up and down) come from the rule that fired, as in τ-ARGUS:

* p% rule: ``UPL = p/100 · x1 − (T − x1 − x2)`` — once the attacker's upper bound reaches
  ``T + UPL``, the second contributor's estimate of ``x1`` is no longer within ``p`` %;
* (n,k): ``UPL = 100/k · (x1 + … + xn) − T`` — the distance the total must move for the
  rule to stop firing;
* frequency: ``UPL = frequency_share/100 · T`` (default 10 %), the τ-ARGUS safety range.

The lower protection level equals the upper one (``LPL = UPL``, τ-ARGUS convention) but
never exceeds ``T`` (an attacker knows figures are non-negative).  Where several rules
fire the largest level applies.

References
----------
Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E.,
Spicer, K., de Wolf, P.-P. (2012). *Statistical Disclosure Control*. Wiley Series in Survey
Methodology, John Wiley & Sons. https://doi.org/10.1002/9781118348239 — ch. 4 (magnitude
tables: p% and (n,k) rules, protection levels, secondary suppression, audit).

de Wolf, P.-P., Hundepool, A., Giessing, S., Salazar, J.-J., Castro, J. (2014).
*τ-ARGUS version 4.1 User's Manual*. Statistics Netherlands, The Hague.
https://research.cbs.nl/casc/Software/TauManualV4.1.pdf
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from allychain.errors import DataError

__all__ = ["PrimaryRules", "assess_cells"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrimaryRules:
    """Parameters of the primary rules (percentages, not fractions).

    Parameters
    ----------
    min_frequency
        A cell with fewer than this many contributing organisations is sensitive
        (default 3; ``0`` or ``1`` switches the rule off).  Source: Hundepool et al. (2012)
        §4.2.1 and the threshold rules of national statistical offices.
    p
        The p% rule's parameter in percent (default 10; ``None`` switches it off).
        Source: Hundepool et al. (2012) §4.2.2; τ-ARGUS manual §4.2 "p%-rule".
    nk
        ``(n, k)``: the (n,k) dominance rule, ``k`` in percent (e.g. ``(2, 85.0)``), or
        ``None`` (default, off).  Source: Hundepool et al. (2012) §4.2.2.
    frequency_share
        Protection level of a cell that fails only the frequency rule, in percent of its
        value (default 10, the τ-ARGUS default safety range for frequency cells).
    """

    min_frequency: int = 3
    p: float | None = 10.0
    nk: tuple[int, float] | None = None
    frequency_share: float = 10.0

    def __post_init__(self) -> None:
        if self.min_frequency < 0:
            raise ValueError(f"min_frequency must be ≥ 0, got {self.min_frequency}")
        if self.p is not None and not 0 < self.p <= 100:
            raise ValueError(f"p is a percentage in (0, 100], got {self.p}")
        if self.nk is not None:
            n, k = self.nk
            if int(n) < 1 or not 0 < k <= 100:
                raise ValueError(f"nk = (n, k) needs n ≥ 1 and k a percentage in (0, 100], got {self.nk}")
        if not 0 < self.frequency_share <= 100:
            raise ValueError(f"frequency_share is a percentage in (0, 100], got {self.frequency_share}")

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["nk"] = list(self.nk) if self.nk is not None else None
        return d


def _check(contributions: pd.DataFrame, by: Sequence[str], contributor: str, value: str) -> None:
    missing = [c for c in [*by, contributor, value] if c not in contributions.columns]
    if missing:
        raise DataError(f"contributions lack column(s) {', '.join(map(repr, missing))}",
                        expected=f"columns {', '.join([*by, contributor, value])}")
    v = pd.to_numeric(contributions[value], errors="coerce")
    bad = v.isna() | ~np.isfinite(v.to_numpy(dtype=float, na_value=np.nan)) | (v < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{int(bad.sum())} contribution(s) are missing, not finite or negative; "
                        "disclosure control needs non-negative figures",
                        row=i + 2, column=value, value=contributions[value].iloc[i],
                        expected="a number ≥ 0")
    if contributions[[*by, contributor]].isna().any().any():
        raise DataError("contributions with an empty cell key or contributor", column=contributor)


def assess_cells(contributions: pd.DataFrame, by: Sequence[str], rules: PrimaryRules = PrimaryRules(),
                 *, contributor: str = "organisation", value: str = "value") -> pd.DataFrame:
    """Cell totals, contributor statistics, sensitivity and protection levels.

    Parameters
    ----------
    contributions
        One row per (cell, contributor) figure — several rows of one organisation in one
        cell (plants, subsidiaries) are summed first (holding level).  Figures in the
        table's unit (e.g. wafers per month), non-negative.
    by
        The columns that name a cell (e.g. ``["item", "country"]``).
    rules
        :class:`PrimaryRules`.
    contributor, value
        Column names of the organisation (holding) and of the figure.

    Returns
    -------
    pandas.DataFrame
        One row per cell: the ``by`` columns, ``value`` (T), ``contributors`` (organisations
        with a positive figure), ``x1``, ``x2`` (largest two), ``sensitive`` (bool),
        ``reason`` (``"frequency"``, ``"p%"``, ``"nk"`` joined by ``+``, or ``""``),
        ``upl`` and ``lpl`` (protection levels in the value's unit, 0 for safe cells).

    Raises
    ------
    DataError
        Missing columns, or a missing, infinite or negative figure (row and column named).

    Examples
    --------
    >>> c = pd.DataFrame({"cell": ["a", "a", "a"], "organisation": ["F", "G", "H"],
    ...                   "value": [100.0, 5.0, 4.0]})
    >>> r = assess_cells(c, ["cell"]).iloc[0]
    >>> bool(r.sensitive), r.reason, float(r.upl)   # 109 − 100 − 5 = 4 < 10 % of 100
    (True, 'p%', 6.0)
    """
    by = list(by)
    _check(contributions, by, contributor, value)
    c = contributions[[*by, contributor]].copy()
    c["_v"] = pd.to_numeric(contributions[value]).astype(float)
    held = c.groupby([*by, contributor], sort=False, dropna=False)["_v"].sum().reset_index()
    held = held[held["_v"] > 0].sort_values([*by, "_v"], ascending=[True] * len(by) + [False], kind="stable")
    held["_rank"] = held.groupby(by, sort=False).cumcount()
    g = held.groupby(by, sort=True)
    out = g["_v"].agg(value="sum", contributors="size").reset_index()
    top = held[held["_rank"] < 2].pivot_table(index=by, columns="_rank", values="_v", aggfunc="sum")
    top = top.reindex(columns=[0, 1]).fillna(0.0).rename(columns={0: "x1", 1: "x2"}).reset_index()
    out = out.merge(top, on=by, how="left")
    # every cell named in the input appears, even one whose figures are all zero
    cells = contributions[by].drop_duplicates()
    out = cells.merge(out, on=by, how="left").sort_values(by, kind="stable").reset_index(drop=True)
    out[["value", "x1", "x2"]] = out[["value", "x1", "x2"]].fillna(0.0)
    out["contributors"] = out["contributors"].fillna(0).astype(int)
    return _apply_rules(out, held, by, rules)


def _apply_rules(out: pd.DataFrame, held: pd.DataFrame, by: list[str], rules: PrimaryRules) -> pd.DataFrame:
    T, x1, x2 = (out[k].to_numpy(dtype=float) for k in ("value", "x1", "x2"))
    n = out["contributors"].to_numpy()
    filled = n > 0
    levels: dict[str, np.ndarray] = {}
    fired: dict[str, np.ndarray] = {}
    if rules.min_frequency > 1:
        fired["frequency"] = filled & (n < rules.min_frequency)
        levels["frequency"] = rules.frequency_share / 100.0 * T
    if rules.p is not None:
        rest = T - x1 - x2
        need = rules.p / 100.0 * x1 - rest
        tol = 1e-12 * np.maximum(T, 1.0)
        fired["p%"] = filled & (need > tol)
        levels["p%"] = need
    if rules.nk is not None:
        nn, k = int(rules.nk[0]), float(rules.nk[1])
        topn = (held[held["_rank"] < nn].groupby(by)["_v"].sum().rename("_topn").reset_index())
        tn = out[by].merge(topn, on=by, how="left")["_topn"].fillna(0.0).to_numpy()
        fired["nk"] = filled & (tn > k / 100.0 * T * (1 + 1e-12))
        levels["nk"] = 100.0 / k * tn - T
    sensitive = np.zeros(len(out), dtype=bool)
    upl = np.zeros(len(out))
    reasons = np.full(len(out), "", dtype=object)
    for name, f in fired.items():
        sensitive |= f
        upl = np.where(f, np.maximum(upl, levels[name]), upl)
        reasons = np.where(f, np.where(reasons == "", name, reasons + "+" + name), reasons)
    out["sensitive"] = sensitive
    out["reason"] = reasons.astype(str)
    out["upl"] = np.where(sensitive, upl, 0.0)
    out["lpl"] = np.minimum(out["upl"].to_numpy(), T)
    return out
