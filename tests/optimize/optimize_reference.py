"""An independent formulation of the TTS/TTR programme for tests.

Written from the model statement with explicit loops and dense matrices, solved with
scipy's ``linprog``; TTS by bisection on the window length with feasibility checks
(a different method from the single max-t LP in allychain).  Slow, small networks only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import linprog


def _setup(nodes: pd.DataFrame, edges: pd.DataFrame, bom: pd.DataFrame):
    ids = list(nodes["node_id"])
    prod = dict(zip(nodes["node_id"], nodes["product"], strict=False))
    E = list(zip(edges["supplier"], edges["customer"], strict=False))
    need = {}
    for n, p, q in zip(bom["node_id"], bom["input_product"], bom["quantity"], strict=False):
        need[(n, p)] = float(q)
    for s, c in E:  # inputs on edges but missing from the bill of materials: 1 per unit
        if prod[s] != prod[c] and (c, prod[s]) not in need:
            need[(c, prod[s])] = 1.0
    # inputs no edge supplies are external
    need = {k: v for k, v in need.items() if any(c == k[0] and prod[s] == k[1] for s, c in E)}
    dem = {n: (0.0 if pd.isna(d) else float(d)) for n, d in zip(nodes["node_id"], nodes["demand"], strict=False)}
    D = [n for n in ids if dem[n] > 0]
    return ids, prod, E, need, dem, D


def loss(nodes, edges, bom, disrupted, t, weights=None, lose_inventory=False):
    """Least weighted lost demand with ``disrupted`` down for ``t`` (linprog)."""
    ids, prod, E, need, dem, D = _setup(nodes, edges, bom)
    cap = dict(zip(nodes["node_id"], nodes["capacity"].astype(float), strict=False))
    inv = {n: (0.0 if pd.isna(v) else float(v)) for n, v in zip(nodes["node_id"], nodes["inventory"], strict=False)}
    if lose_inventory:
        for d in disrupted:
            inv[d] = 0.0
    marg = dict(zip(nodes["node_id"], nodes["margin"], strict=False))
    nx_, ne, nd = len(ids), len(E), len(D)
    nv = nx_ + ne + nd
    X = {n: i for i, n in enumerate(ids)}
    F = {k: nx_ + k for k in range(ne)}
    L = {n: nx_ + ne + i for i, n in enumerate(D)}
    c = np.zeros(nv)
    for n in D:
        w = (weights or {}).get(n, marg[n])
        c[L[n]] = 1.0 if pd.isna(w) else float(w)
    A, b = [], []
    for n in ids:  # output balance
        row = np.zeros(nv)
        for k, (s, cu) in enumerate(E):
            if s == n:
                row[F[k]] += 1
            if cu == n and prod[s] == prod[n]:
                row[F[k]] -= 1
        row[X[n]] -= 1
        rhs = inv[n]
        if n in L:
            row[L[n]] -= 1
            rhs -= dem[n] * t
        A.append(row)
        b.append(rhs)
    for (n, p), q in need.items():
        row = np.zeros(nv)
        row[X[n]] = q
        for k, (s, cu) in enumerate(E):
            if cu == n and prod[s] == p:
                row[F[k]] -= 1
        A.append(row)
        b.append(0.0)
    bounds = []
    for n in ids:
        bounds.append((0, 0 if n in disrupted else cap[n] * t))
    bounds += [(0, None)] * ne
    bounds += [(0, dem[n] * t) for n in D]
    r = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
    assert r.status == 0, r.message
    lost = float(sum(r.x[L[n]] for n in D))
    return float(r.fun), lost


def tts_bisect(nodes, edges, bom, disrupted, hi=1e4, tol=1e-7):
    """Largest t with zero loss, by bisection on feasibility; ``inf`` when still
    survivable at ``hi``."""
    def ok(t: float) -> bool:
        _, lost = loss(nodes, edges, bom, disrupted, t, weights={n: 1.0 for n in nodes["node_id"]})
        return lost <= 1e-9 * max(1.0, t)

    if ok(hi):
        return math.inf
    lo_, hi_ = 0.0, hi
    while hi_ - lo_ > tol * max(1.0, hi_):
        mid = 0.5 * (lo_ + hi_)
        if ok(mid):
            lo_ = mid
        else:
            hi_ = mid
    return 0.5 * (lo_ + hi_)


def random_network(rng: np.random.Generator, tiers: int = 3, width: int = 3) -> tuple[pd.DataFrame, ...]:
    """A small random multi-tier network: tier k nodes make product Pk, tier k+1 nodes
    need Pk; the last tier has demand and margins."""
    rows, edges, bom = [], [], []
    for k in range(tiers):
        for j in range(int(rng.integers(1, width + 1))):
            last = k == tiers - 1
            rows.append({"node_id": f"n{k}_{j}", "product": f"P{k}",
                         "capacity": float(rng.integers(2, 20)), "inventory": float(rng.integers(0, 15)),
                         "demand": float(rng.integers(1, 8)) if last else np.nan,
                         "margin": float(rng.integers(1, 6)) if last else np.nan,
                         "ttr": float(rng.integers(1, 10))})
    nodes = pd.DataFrame(rows)
    for k in range(1, tiers):
        sup = nodes[nodes["product"] == f"P{k - 1}"]["node_id"].tolist()
        cus = nodes[nodes["product"] == f"P{k}"]["node_id"].tolist()
        for c in cus:
            chosen = [s for s in sup if rng.random() < 0.7] or [sup[0]]
            edges += [{"supplier": s, "customer": c} for s in chosen]
            bom.append({"node_id": c, "input_product": f"P{k - 1}", "quantity": float(rng.choice([0.5, 1.0, 2.0]))})
    return nodes, pd.DataFrame(edges), pd.DataFrame(bom)
