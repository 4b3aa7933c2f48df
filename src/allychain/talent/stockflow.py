"""The stock-flow workforce model: supply, demand and the gap per country, skill level and year.

For each country and skill level with a ``stock`` row (the base year :math:`t_0`):

.. math::

   I(t) &= G(t)\\,e(t) + M(t) + R(t) + P(t) + \\sum_p N_p(t)\\,e_p \\\\
   O(t) &= \\bigl(a(t) + r(t) + m(t)\\bigr)\\,S(t) \\\\
   S(t+1) &= S(t) + I(t) - O(t), \\qquad S(t_0) = \\text{stock} \\\\
   \\text{gap}(t) &= D(t) - S(t)

with graduates :math:`G`, the share of them entering the industry :math:`e`, net migration
:math:`M`, retraining :math:`R`, a source's published supply pipeline :math:`P` (persons per
year), programmes :math:`p` training :math:`N_p` people a year of whom a share :math:`e_p`
joins, and the attrition, retirement and emigration rates :math:`a, r, m` (fractions per year).
Flows and rates hold from the year of their row until the next row of the same flow; before
their first row they are not in effect.  Demand :math:`D` is interpolated linearly between its
rows; where no demand row lies at or before :math:`t_0`, :math:`D(t_0) = S(t_0)` (the sources
measure the gap of new jobs); after the last demand row the gap is not assessable (``NaN``),
never zero.  A positive gap is a shortfall of workers.

Everything is computed on arrays of shape (country × level, year); only the stock recursion
steps through the years.  See docs/talent.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from allychain.errors import AllychainError, UnknownMemberError
from allychain.talent.params import ANNUAL, RATES, YEAR_MAX

__all__ = ["Programme", "Projection", "project", "SERIES_COLUMNS"]

log = logging.getLogger(__name__)

SERIES_COLUMNS = ["country", "level", "year", "stock", "demand", "gap", "inflow", "outflow", "graduates_in",
                  "migration", "retraining", "pipeline", "programmes", "attrition", "retirement", "emigration"]


@dataclass(frozen=True)
class Programme:
    """A training programme as data: ``per_year`` people trained a year at ``level`` in
    ``country`` from ``start`` to ``end`` (inclusive; ``None``: to the horizon), of whom the
    fraction ``entry_share`` joins the industry; ``source_id`` names its public source."""

    name: str
    country: str
    level: str
    per_year: float
    start: int
    end: int | None = None
    entry_share: float = 1.0
    source_id: str = ""


@dataclass(frozen=True)
class Projection:
    """The result of :func:`project`.

    Attributes
    ----------
    series
        One row per country, level and year (:data:`SERIES_COLUMNS`): ``stock`` and ``demand``
        (persons), ``gap`` = demand − stock (persons; ``NaN`` where demand is not covered),
        ``inflow`` and ``outflow`` during the year (persons/year) and their parts.
    coverage
        One row per country, level and flow: ``covered`` (the table gives the flow) and a note.
    base_year
        Base year (the stock row) of each (country, level).
    """

    series: pd.DataFrame
    coverage: pd.DataFrame
    base_year: dict[tuple[str, str], int] = field(default_factory=dict)

    def at(self, year: int) -> pd.DataFrame:
        """The rows of one year."""
        return self.series[self.series["year"] == year].reset_index(drop=True)


def _steps(rows: pd.DataFrame, groups: list[tuple[str, str]], years: np.ndarray, flow: str) -> np.ndarray:
    """(groups × years) values of a step flow: each row's value from its year on, 0 before the first."""
    out = np.zeros((len(groups), len(years)))
    sub = rows[rows["flow"] == flow]
    for g, (country, level) in enumerate(groups):
        r = sub[(sub["country"] == country) & (sub["level"] == level)]
        if len(r):
            idx = np.searchsorted(r["year"].to_numpy(), years, side="right") - 1
            out[g] = np.where(idx >= 0, r["value"].to_numpy()[np.maximum(idx, 0)], 0.0)
    return out


def _demand(rows: pd.DataFrame, groups: list[tuple[str, str]], years: np.ndarray,
            base: np.ndarray, stock0: np.ndarray) -> np.ndarray:
    """(groups × years) demand, linear between rows, anchored at the base stock, NaN beyond."""
    out = np.full((len(groups), len(years)), np.nan)
    sub = rows[rows["flow"] == "demand"]
    for g, (country, level) in enumerate(groups):
        r = sub[(sub["country"] == country) & (sub["level"] == level)]
        ys, vs = r["year"].to_numpy(), r["value"].to_numpy(dtype=float)
        if not len(ys) or ys.min() > base[g]:
            ys, vs = np.r_[base[g], ys], np.r_[stock0[g], vs]
        inside = (years >= ys.min()) & (years <= ys.max())
        out[g, inside] = np.interp(years[inside], ys, vs)
    return out


def _programme_inflow(programmes: Sequence[Programme], groups: list[tuple[str, str]],
                      years: np.ndarray) -> np.ndarray:
    out = np.zeros((len(groups), len(years)))
    for p in programmes:
        g = groups.index((p.country, p.level))
        end = p.end if p.end is not None else YEAR_MAX
        out[g] += np.where((years >= p.start) & (years <= end), p.per_year * p.entry_share, 0.0)
    return out


def _check_programmes(programmes: Sequence[Programme], groups: list[tuple[str, str]]) -> None:
    for p in programmes:
        if (p.country, p.level) not in groups:
            levels = sorted(lv for c, lv in groups if c == p.country)
            where = (f"levels of {p.country} in the parameters: {', '.join(levels)}" if levels else
                     "a country projected here (with a stock, and chosen if countries are chosen): "
                     + ", ".join(sorted({c for c, _ in groups})))
            raise UnknownMemberError(f"programme {p.name!r}: country {p.country!r}, level {p.level!r} has no "
                                     f"workforce stock; expected {where}")


def _select(table: pd.DataFrame, countries: Iterable[str] | None) -> pd.DataFrame:
    if countries is None:
        return table
    wanted = [c.strip().upper() for c in countries if c.strip()]
    known = set(table["country"])
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise UnknownMemberError(f"country {', '.join(unknown)} has no workforce parameters; expected one of "
                                 f"{', '.join(sorted(known))}")
    return table[table["country"].isin(wanted)]


def _horizon(rows: pd.DataFrame, base: np.ndarray, until: int | None) -> np.ndarray:
    last = int(rows.loc[rows["flow"] == "demand", "year"].max()) if (rows["flow"] == "demand").any() else None
    if last is not None and last <= int(base.min()):
        last = None  # demand only in the base year (a present gap): ten years, the later ones not assessable
    end = until if until is not None else (last if last is not None else int(base.max()) + 10)
    if not int(base.min()) < end <= YEAR_MAX:
        raise AllychainError(f"until: got {end}; expected a year after the earliest base year "
                             f"({int(base.min())}) and at most {YEAR_MAX}")
    return np.arange(int(base.min()), end + 1)


def _flows(rows: pd.DataFrame, groups: list[tuple[str, str]], years: np.ndarray,
           scale: Mapping[str, float]) -> dict[str, np.ndarray]:
    f = {name: _steps(rows, groups, years, name) * scale.get(name, 1.0)
         for name in ("graduates", "entry_share", *ANNUAL[1:], *RATES)}
    f["graduates_in"] = f.pop("graduates") * np.minimum(f.pop("entry_share"), 1.0)
    return f


def _run(stock0: np.ndarray, base_idx: np.ndarray, inflow: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """The stock recursion S(t+1) = S(t) + I(t) − rate(t)·S(t), each group from its base year."""
    n_g, n_t = inflow.shape
    stock = np.full((n_g, n_t), np.nan)
    rows = np.arange(n_g)
    stock[rows, base_idx] = stock0
    for t in range(n_t - 1):
        step = stock[:, t] + inflow[:, t] - np.minimum(rate[:, t], 1.0) * stock[:, t]
        stock[:, t + 1] = np.where(t + 1 > base_idx, step, stock[:, t + 1])
    return stock


def project(table: pd.DataFrame, *, countries: Iterable[str] | None = None, until: int | None = None,
            programmes: Sequence[Programme] = (), scale: Mapping[str, float] | None = None) -> Projection:
    """Project the workforce of each country and skill level to ``until`` (see the module notes).

    Parameters
    ----------
    table
        A validated workforce table (:func:`allychain.talent.params.validated`).
    countries
        ISO alpha-3 codes to project (default: every country of the table).
    until
        Last year (default: the last demand year of the table).
    programmes
        Training programmes added to the inflows.
    scale
        Multipliers per flow name (``stock``, ``demand``, a flow or rate of the table) for
        sensitivity runs; 1 where absent.

    Raises
    ------
    UnknownMemberError
        A country, or a programme's country and level, without a stock row.
    AllychainError
        ``until`` not after the base year or beyond the schema's last year.
    """
    scale = dict(scale or {})
    rows = _select(table, countries)
    stocks = rows[rows["flow"] == "stock"].sort_values("year").drop_duplicates(["country", "level"])
    if stocks.empty:
        raise UnknownMemberError("no country and level with a workforce stock; expected at least one stock row")
    groups = list(zip(stocks["country"], stocks["level"], strict=True))
    _check_programmes(programmes, groups)
    base = stocks["year"].to_numpy()
    years = _horizon(rows, base, until)
    stock0 = stocks["value"].to_numpy(dtype=float) * scale.get("stock", 1.0)
    flows = _flows(rows, groups, years, scale)
    flows["programmes"] = _programme_inflow(programmes, groups, years)
    inflow = np.sum([flows[k] for k in ("graduates_in", "migration", "retraining", "pipeline", "programmes")],
                    axis=0)
    rate = np.sum([flows[k] for k in RATES], axis=0)
    stock = _run(stock0, base - years[0], inflow, rate)
    demand = _demand(rows, groups, years, base, stocks["value"].to_numpy(dtype=float)) * scale.get("demand", 1.0)
    series = _series(groups, years, stock, demand, inflow, rate, flows)
    log.info("talent projection: %d country-level groups, years %d-%d", len(groups), years[0], years[-1])
    return Projection(series, _coverage(rows, groups),
                      {g: int(b) for g, b in zip(groups, base, strict=True)})


def _series(groups: list[tuple[str, str]], years: np.ndarray, stock: np.ndarray, demand: np.ndarray,
            inflow: np.ndarray, rate: np.ndarray, flows: dict[str, np.ndarray]) -> pd.DataFrame:
    n_g, n_t = stock.shape
    live = ~np.isnan(stock)
    out = pd.DataFrame({
        "country": np.repeat([c for c, _ in groups], n_t), "level": np.repeat([lv for _, lv in groups], n_t),
        "year": np.tile(years, n_g), "stock": stock.ravel(), "demand": np.where(live, demand, np.nan).ravel(),
        "gap": np.where(live, demand - stock, np.nan).ravel(),
        "inflow": np.where(live, inflow, np.nan).ravel(),
        "outflow": np.where(live, np.minimum(rate, 1.0) * stock, np.nan).ravel()})
    for k in ("graduates_in", "migration", "retraining", "pipeline", "programmes"):
        out[k] = np.where(live, flows[k], np.nan).ravel()
    for k in RATES:
        out[k] = np.where(live, np.minimum(flows[k], 1.0) * stock, np.nan).ravel()
    return out[live.ravel()].reset_index(drop=True)


def _coverage(rows: pd.DataFrame, groups: list[tuple[str, str]]) -> pd.DataFrame:
    recs = []
    for country, level in groups:
        given = set(rows.loc[(rows["country"] == country) & (rows["level"] == level), "flow"])
        for flow in ("demand", "graduates", "entry_share", *ANNUAL[1:], *RATES):
            covered = flow in given
            note = "" if covered else "not covered: not in the parameters, counted as no flow"
            if flow == "graduates" and covered and "entry_share" not in given:
                covered, note = False, "graduates given without entry_share: not used"
            if flow == "demand" and not covered:
                note = "not covered: the gap is not assessable"
            recs.append({"country": country, "level": level, "flow": flow, "covered": covered, "note": note})
    return pd.DataFrame(recs, columns=["country", "level", "flow", "covered", "note"])
