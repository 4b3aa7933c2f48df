"""An attacker written separately from allychain.disclosure.audit, for the tests.

It starts from what was *published* (rows item, country, value, status with ``_total``
labels), rebuilds the additivity equations from the labels itself and solves the
attacker's LPs with scipy.optimize.linprog (not allychain's lp layer).  Several releases
are attacked together: a cell whose true value did not change between releases is one
unknown (the worst case: the attacker knows which figures were corrected).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import linprog

T = "_total"


def _equations(frame: pd.DataFrame) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    items = sorted(set(frame["item"]) - {T})
    countries = sorted(set(frame["country"]) - {T})
    eqs = []
    for i in [*items, T]:
        eqs.append(((i, T), [(i, c) for c in countries]))
    for c in [*countries, T]:
        eqs.append(((T, c), [(i, c) for i in items]))
    return eqs


def intervals(releases: list[tuple[pd.DataFrame, pd.DataFrame]]) -> dict[tuple[int, str, str], tuple[float, float]]:
    """Attacker bounds for every suppressed cell of every release.

    ``releases``: (published frame, true frame with columns item, country, value) per release.
    Returns {(release index, item, country): (lo, hi)}.
    """
    var: dict[tuple[int, str, str], int] = {}
    truth: dict[tuple[int, str, str], float] = {}
    known: dict[tuple[int, str, str], float] = {}
    for r, (pub, true) in enumerate(releases):
        t = dict(zip(zip(true["item"], true["country"], strict=True), true["value"], strict=True))
        for it, co, v, st in pub[["item", "country", "value", "status"]].itertuples(index=False):
            truth[(r, it, co)] = float(t[(it, co)])
            if st == "published":
                known[(r, it, co)] = float(v)
            else:
                assert v is None or (isinstance(v, float) and math.isnan(v)), "a suppressed value leaked"
                var[(r, it, co)] = len(var)
    A, b = [], []

    def row(terms: list[tuple[float, tuple[int, str, str]]]) -> None:
        a = np.zeros(len(var))
        rhs = 0.0
        for coef, key in terms:
            if key in var:
                a[var[key]] += coef
            else:
                rhs -= coef * known[key]
        if np.any(a):
            A.append(a)
            b.append(rhs)

    for r, (pub, _) in enumerate(releases):
        for tot, parts in _equations(pub):
            row([(1.0, (r, *tot)), *[(-1.0, (r, *p)) for p in parts]])
    # unchanged cells are the same unknown in every release
    for r in range(1, len(releases)):
        for (q, it, co), v in truth.items():
            if q == r:
                for s in range(r):
                    if truth.get((s, it, co)) == v:
                        row([(1.0, (r, it, co)), (-1.0, (s, it, co))])
                        break
    out = {}
    n = len(var)
    Aeq = np.array(A) if A else None
    beq = np.array(b) if b else None
    for key, j in var.items():
        c = np.zeros(n)
        c[j] = 1.0
        lo = linprog(c, A_eq=Aeq, b_eq=beq, bounds=[(0, None)] * n, method="highs")
        hi = linprog(-c, A_eq=Aeq, b_eq=beq, bounds=[(0, None)] * n, method="highs")
        assert lo.status == 0, lo.message
        up = math.inf if hi.status == 3 else -hi.fun
        assert hi.status in (0, 3), hi.message
        out[key] = (lo.fun, up)
    return out


def violations(releases: list[tuple[pd.DataFrame, pd.DataFrame]], tol: float = 1e-6) -> list[str]:
    """Sensitive cells (true frame columns sensitive, lpl, upl) an attacker can narrow too far."""
    iv = intervals(releases)
    bad = []
    for r, (pub, true) in enumerate(releases):
        status = dict(zip(zip(pub["item"], pub["country"], strict=True), pub["status"], strict=True))
        for it, co, v, sens, lpl, upl in true[["item", "country", "value", "sensitive", "lpl", "upl"]].itertuples(
                index=False):
            if not sens:
                continue
            if status[(it, co)] == "published":
                bad.append(f"release {r}: sensitive {it}×{co} published")
                continue
            lo, hi = iv[(r, it, co)]
            t = tol * max(1.0, abs(v))
            if hi < v + upl - t or lo > v - lpl + t:
                bad.append(f"release {r}: {it}×{co}={v:g} in [{lo:g}, {hi:g}] needs ±({lpl:g}, {upl:g})")
    return bad
