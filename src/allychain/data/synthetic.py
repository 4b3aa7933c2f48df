"""Synthetic firm-scale site networks: realistic shape, invented numbers, any size.

:func:`firm_network` draws a site-level network (``nodes``, ``edges``, ``bom``, the
native site format of :mod:`allychain.simulate.networks` and :mod:`allychain.optimize`)
of a given number of sites, the same for the same seed, for tests and benchmarks at
10⁴–10⁶ links.  Nothing in it describes real firms or real markets.

How it is drawn
---------------
1. **Tiers.**  Sites are split over five tiers — raw materials (30 %), components (28 %),
   subsystems (20 %), fabs (10 %), assembly (12 %).  Each tier has
   ``max(2, round(√sites_in_tier / 2))`` products; every product has at least one site,
   the rest of the sites pick products with Zipf weights (some products have many makers).
2. **Bills of materials.**  Each product above the raw tier has a recipe of
   ``2 + Poisson(1.5)`` input products (at most 6), taken from the tier just below with
   probability ¾ and from any lower tier otherwise — so the product graph, and the site
   graph, is acyclic by construction.  A site needs each recipe input with the recipe
   quantity (log-normal around 1) times a site factor in [0.9, 1.1].
3. **Suppliers (power-law degree).**  Every site has a size drawn from a Pareto
   distribution (shape 1.5).  For each of its BOM inputs a site orders from
   ``1 + Poisson(1.6)`` sites making that input, drawn with probability proportional to
   their size — a fitness model (Caldarelli et al. 2002): a site's expected number of
   customers is proportional to its size, so the degree inherits the size's power-law tail,
   as under preferential attachment, without a sequential process; repeated draws of the same
   supplier collapse into one edge.  Every BOM input has at least one supplier.  An
   edge's ``share`` is the supplier's size over the sizes of the customer's suppliers of
   that product.
4. **Countries.**  The sites of a product are located with weights drawn from a
   Dirichlet distribution over the tier's ``K`` candidate countries, with parameters
   ``0.6 K w_c / Σw`` (``w`` the candidates' base weights), so most markets are dominated by
   one to three countries, as semiconductor markets are (median top-country share of
   capacity about half).  The base weights are illustrative, not measured.
5. **Quantities.**  Assembly sites have final demand proportional to their size; baseline
   outputs follow from the BOMs and shares tier by tier (``x = M x + d``, exact because the
   network is acyclic); capacity is the baseline output times 1.15–1.6 (sites nobody buys
   from get their tier's capacity per unit of size); inventories hold 5–45 periods of
   output; lead times are 1–30 periods; time to recover 30–540 periods by tier; assembly
   sites carry a margin per unit.  A period is a day.

About six edges per site: ``links ≈ 6 × sites`` (:func:`sites_for_links`).

References
----------
Caldarelli, G., Capocci, A., De Los Rios, P., Muñoz, M. A. (2002). Scale-free networks
from varying vertex intrinsic fitness. *Physical Review Letters* 89, 258702.

Examples
--------
>>> net = firm_network(500, seed=1)
>>> len(net.nodes), len(net.edges) > 1500
(500, True)
>>> firm_network(10)
Traceback (most recent call last):
...
ValueError: sites=10: a synthetic network needs at least 50 sites (10 per tier)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allychain.model.network import Network

__all__ = ["TIERS", "firm_network", "sites_for_links", "write_firm_network", "LINKS_PER_SITE"]

#: (key, stage name, share of the sites) from raw materials to assembly
TIERS: tuple[tuple[str, str, float], ...] = (
    ("raw", "raw materials", 0.30),
    ("comp", "components", 0.28),
    ("subsys", "subsystems", 0.20),
    ("fab", "fabs", 0.10),
    ("asm", "assembly", 0.12),
)
#: candidate countries per tier with illustrative base weights (not measured shares)
_COUNTRIES: tuple[dict[str, float], ...] = (
    {"CHN": 5, "USA": 2, "JPN": 2, "AUS": 1.5, "CHL": 1, "KOR": 1, "DEU": 1, "RUS": 1, "ZAF": 0.7, "BRA": 0.5},
    {"JPN": 4, "CHN": 3, "KOR": 2, "TWN": 2, "USA": 2, "DEU": 1.5, "NLD": 0.5, "SGP": 0.5, "FRA": 0.5},
    {"USA": 4, "JPN": 3, "NLD": 2, "DEU": 2, "KOR": 1, "CHN": 1, "GBR": 0.5, "ISR": 0.5, "TWN": 0.5},
    {"TWN": 5, "KOR": 3, "CHN": 3, "USA": 2, "JPN": 1.5, "SGP": 0.5, "DEU": 0.5, "IRL": 0.3, "ISR": 0.3, "NLD": 0.2},
    {"CHN": 5, "TWN": 3, "MYS": 2, "VNM": 1.5, "KOR": 1.5, "PHL": 1, "USA": 1, "THA": 0.7, "MEX": 0.5, "JPN": 0.5},
)
_TTR = ((30, 120), (60, 180), (90, 270), (180, 540), (30, 120))  # periods, by tier
LINKS_PER_SITE = 6.0  # about; see sites_for_links
_MIN_PER_TIER = 10


def sites_for_links(links: int) -> int:
    """Sites to ask :func:`firm_network` for about ``links`` edges."""
    return max(len(TIERS) * _MIN_PER_TIER, int(round(links / LINKS_PER_SITE)))


def _tier_sizes(sites: int) -> np.ndarray:
    counts = np.floor(np.array([f for _, _, f in TIERS]) * sites).astype(np.int64)
    counts[0] += sites - counts.sum()
    return counts


def _products(rng: np.random.Generator, counts: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Product names, each product's tier, and each site's product index (sites in tier order)."""
    names: list[str] = []
    ptier: list[int] = []
    site_prod = []
    for t, ((key, _, _), c) in enumerate(zip(TIERS, counts, strict=True)):
        k = int(min(c, max(2, round(np.sqrt(c) / 2))))
        first = len(names)
        names += [f"{key}-{i:04d}" for i in range(k)]
        ptier += [t] * k
        w = 1.0 / np.arange(1, k + 1) ** 0.8
        rest = rng.choice(k, size=int(c) - k, p=w / w.sum())
        site_prod.append(first + np.concatenate([np.arange(k), rest]))
    return names, np.array(ptier), np.concatenate(site_prod)


def _recipes(rng: np.random.Generator, ptier: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(product, input product, quantity) rows of the recipes; inputs only from lower tiers."""
    rows_p, rows_i, rows_q = [], [], []
    for p, t in enumerate(ptier):
        if t == 0:
            continue
        below = np.flatnonzero(ptier == t - 1)
        lower = np.flatnonzero(ptier < t)
        k = int(min(len(lower), 2 + min(rng.poisson(1.5), 4)))
        pick: set[int] = set()
        while len(pick) < k:
            pool = below if (rng.random() < 0.75 and len(set(below) - pick)) else lower
            pick.add(int(rng.choice(pool)))
        chosen = np.array(sorted(pick))
        rows_p.append(np.full(k, p))
        rows_i.append(chosen)
        rows_q.append(np.round(np.exp(rng.normal(0.0, 0.5, k)), 3))
    return np.concatenate(rows_p), np.concatenate(rows_i), np.concatenate(rows_q)


def _countries(rng: np.random.Generator, ptier: np.ndarray, site_prod: np.ndarray) -> np.ndarray:
    out = np.empty(len(site_prod), dtype=object)
    order = np.argsort(site_prod, kind="stable")
    bounds = np.searchsorted(site_prod[order], np.arange(len(ptier) + 1))
    for p, t in enumerate(ptier):
        cand = _COUNTRIES[t]
        base = np.array(list(cand.values()))
        w = rng.dirichlet(1.2 * base / base.sum() * len(base) / 2)  # = 0.6 K w / Σw
        sites = order[bounds[p]:bounds[p + 1]]
        out[sites] = np.array(list(cand))[rng.choice(len(cand), size=len(sites), p=w)]
    return out


def _suppliers(rng: np.random.Generator, size: np.ndarray, site_prod: np.ndarray, need_prod: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray]:
    """For each need (a BOM row's input product), draws of suppliers by size: (need index, supplier)."""
    order = np.argsort(site_prod, kind="stable")
    cum = np.cumsum(size[order])
    start = np.searchsorted(site_prod[order], np.arange(site_prod.max() + 2))
    lo = np.where(start[:-1] > 0, cum[np.maximum(start[:-1] - 1, 0)], 0.0)
    hi = cum[np.maximum(start[1:] - 1, 0)]
    k = 1 + rng.poisson(1.6, len(need_prod))
    need = np.repeat(np.arange(len(need_prod)), k)
    p = need_prod[need]
    u = lo[p] + rng.random(len(need)) * (hi[p] - lo[p])
    pos = np.minimum(np.searchsorted(cum, u, side="right"), start[p + 1] - 1)
    return need, order[np.maximum(pos, start[p])]


def firm_network(sites: int, seed: int = 0, name: str | None = None) -> Network:
    """A synthetic site-level network of ``sites`` sites (see the module docstring).

    Parameters
    ----------
    sites
        Number of sites (nodes), at least 50; about six edges per site.
    seed
        Seed of the random generator: the same seed gives the same network.
    name
        Network name (default ``synthetic-<sites>-s<seed>``).

    Returns
    -------
    Network
        ``nodes`` (``node_id``, ``product``, ``capacity``, ``inventory``, ``demand``,
        ``margin``, ``ttr``, ``country``, ``firm``, ``stage``), ``edges`` (``supplier``,
        ``customer``, ``share``, ``lead_time``) and ``bom``; ``meta["tier"]`` holds each
        site's tier index (0 = raw materials … 4 = assembly).

    Raises
    ------
    ValueError
        For fewer than 50 sites.

    Complexity: O(links) time and memory.
    """
    if sites < len(TIERS) * _MIN_PER_TIER:
        raise ValueError(f"sites={sites}: a synthetic network needs at least {len(TIERS) * _MIN_PER_TIER} sites "
                         f"({_MIN_PER_TIER} per tier)")
    rng = np.random.default_rng(seed)
    counts = _tier_sizes(sites)
    tier = np.repeat(np.arange(len(TIERS)), counts)
    products, ptier, site_prod = _products(rng, counts)
    size = 1.0 + rng.pareto(1.5, sites)
    rp, ri, rq = _recipes(rng, ptier)
    # BOM rows: every site gets its product's recipe, quantities scaled by a site factor
    r_start = np.searchsorted(rp, np.arange(len(products) + 1))
    n_rows = r_start[site_prod + 1] - r_start[site_prod]
    b_site = np.repeat(np.arange(sites), n_rows)
    b_row = np.repeat(r_start[site_prod], n_rows) + np.arange(n_rows.sum()) - np.repeat(np.cumsum(n_rows) - n_rows,
                                                                                          n_rows)
    b_prod = ri[b_row]
    b_qty = np.round(rq[b_row] * rng.uniform(0.9, 1.1, len(b_row)), 4)
    # suppliers by size, one edge per (customer, supplier)
    need, sup = _suppliers(rng, size, site_prod, b_prod)
    key = b_site[need].astype(np.int64) * sites + sup
    key, first = np.unique(key, return_index=True)
    need, sup = need[first], sup[first]
    cus = b_site[need]
    share = size[sup] / np.bincount(need, weights=size[sup], minlength=len(b_prod))[need]
    # baseline outputs, customers' tiers before their suppliers'
    demand = np.where(tier == len(TIERS) - 1, np.round(10.0 * size, 3), 0.0)
    x = demand.copy()
    per_unit = share * b_qty[need]
    for t in range(len(TIERS) - 2, -1, -1):
        sel = tier[sup] == t
        x += np.bincount(sup[sel], weights=per_unit[sel] * x[cus[sel]], minlength=sites)
    headroom = rng.uniform(1.15, 1.6, sites)
    cap = x * headroom
    for t in range(len(TIERS)):
        idle = (tier == t) & (x <= 0)
        used = (tier == t) & (x > 0)
        per_size = float(np.median(cap[used] / size[used])) if used.any() else 1.0
        cap[idle] = per_size * size[idle]
    lo, hi = np.array(_TTR).T
    nodes = pd.DataFrame({
        "node_id": [f"S{i:07d}" for i in range(sites)],
        "product": np.array(products, dtype=object)[site_prod],
        "capacity": cap,
        "inventory": np.where(x > 0, x, cap) * rng.uniform(5, 45, sites),
        "demand": np.where(demand > 0, demand, np.nan),
        "margin": np.where(demand > 0, np.round(rng.uniform(5, 50, sites), 2), np.nan),
        "ttr": np.round(rng.uniform(lo[tier], hi[tier])),
        "country": _countries(rng, ptier, site_prod),
        "firm": [f"F{i:06d}" for i in rng.zipf(1.6, sites) % max(1, sites // 5)],
        "stage": np.array([s for _, s, _ in TIERS], dtype=object)[tier],
    })
    ids = nodes["node_id"].to_numpy(dtype=object)
    edges = pd.DataFrame({"supplier": ids[sup], "customer": ids[cus], "share": share,
                          "lead_time": rng.integers(1, 31, len(sup)).astype(float)})
    bom = pd.DataFrame({"node_id": ids[b_site], "input_product": np.array(products, dtype=object)[b_prod],
                        "quantity": b_qty})
    return Network(name=name or f"synthetic-{sites}-s{seed}", nodes=nodes, edges=edges, bom=bom,
                   meta={"description": f"Synthetic site-level network ({sites:,} sites, {len(edges):,} edges, "
                                        f"seed {seed}) drawn by allychain.data.synthetic; invented numbers, not "
                                        "data about real firms.",
                         "license": "CC0-1.0", "tier": tier})


def write_firm_network(sites: int, out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """:func:`firm_network` written as a native-format folder (see
    :func:`allychain.data.native.write_native` for ``overwrite`` and the errors)."""
    from allychain.data.native import check_destination, write_native

    check_destination(out, overwrite)
    return write_native(firm_network(sites, seed), out, overwrite=overwrite)
