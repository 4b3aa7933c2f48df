r"""Time-to-recover and time-to-survive analysis (Simchi-Levi et al.).

For a disruption that stops one node (or a set of nodes), two numbers are compared:

* **TTR**, the time to recover: how long the node is down (an input, ``nodes.ttr``);
* **TTS**, the time to survive: the longest time the rest of the network, with its
  inventories and the spare capacity of alternative suppliers, meets all demand.

A node with **TTS < TTR** is *unprotected*: demand is lost before it recovers.  The
**performance impact** of a disruption is the least weighted lost demand over its TTR;
the **risk exposure index** is the impact divided by the largest impact.

The linear programme (one aggregate period of length :math:`t`)
-----------------------------------------------------------------
Sets: nodes :math:`n` (product :math:`p_n`), edges :math:`e = (s, c)`, bill-of-materials
rows :math:`(n, p, q_{np})`, demand nodes :math:`D`.  Variables: production
:math:`x_n \ge 0`, flows :math:`f_e \ge 0`, lost demand :math:`l_n \ge 0` for
:math:`n \in D`, window length :math:`t`.

.. math::

    \min \; & \sum_{n \in D} w_n l_n \\
    \text{capacity:}\;& x_n \le \mathrm{cap}_n\, t \quad (x_n = 0 \text{ for disrupted } n) \\
    \text{output:}\;& \textstyle\sum_{e=(n,\cdot)} f_e + (d_n t - l_n)
        \le x_n + I_n + \sum_{e=(\cdot,n),\, p_s = p_n} f_e \\
    \text{inputs:}\;& q_{np}\, x_n \le \textstyle\sum_{e=(\cdot,n),\, p_s = p} f_e \\
    \text{loss:}\;& l_n \le d_n t

with :math:`I_n` the node's inventory (units of its product, usable during the
disruption unless ``lose_inventory``) and :math:`w_n` the margin per unit.  This is the
TTR model of Simchi-Levi et al. (2015) on a site-level network: flows are aggregated
over the window, alternative suppliers may be used up to their capacity along the
existing edges, lead times are not modelled.

* **Impact**: fix :math:`t = \mathrm{TTR}` and minimise the weighted loss.
* **TTS**: fix :math:`l = 0` and *maximise* :math:`t`.  Every constraint is linear in
  :math:`(x, f, t)` jointly, and :math:`t = 0` is feasible, so the set of survivable
  window lengths is the interval :math:`[0, \mathrm{TTS}]` and one LP gives TTS exactly
  (no bisection).  An unbounded LP means TTS = ∞ (the rest of the network covers the
  demand indefinitely).  Because the feasible set is that interval,
  ``TTS ≥ TTR`` ⇔ the impact LP at :math:`t = \mathrm{TTR}` has zero loss.

Conventions: an edge whose supplier makes the customer's own product is a
distribution (transshipment) edge and adds to the customer's available output; an
edge carrying a product missing from the customer's bill of materials counts as one
unit of input per unit of output; a bill-of-materials input that no edge supplies is
taken to come from outside the network (unconstrained).  Margins weight lost demand;
where a demand node has no margin the weight is 1 per unit and ``meta["weights"]``
says so.

Speed: the LP is built once (:func:`build_model`) and passed to HiGHS; each disruption
changes a few column bounds and re-solves from the previous basis (dual simplex warm
start).  ``workers > 1`` splits the disruptions over processes (or Dask with
``backend="dask"``), each building its own solver.

References
----------
Simchi-Levi, D., Schmidt, W., Wei, Y., Zhang, P. Y., Combs, K., Ge, Y., Gusikhin, O.,
Sanders, M., Zhang, D. (2015). Identifying risks and mitigating disruptions in the
automotive supply chain. *Interfaces* 45(5), 375–390.
Simchi-Levi, D., Schmidt, W., Wei, Y. (2014). From superstorms to factory fires:
managing unpredictable supply-chain disruptions. *Harvard Business Review* 92(1–2).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from allychain.errors import AllychainError
from allychain.model.network import Network
from allychain.optimize.result import Result, Status
from allychain.optimize.tts_model import (
    Disruptions,
    TTSModel,
    build_model,
    clean_values,
    describe_nodes,
    normalise_disruptions,
    site_view,
    ttr_of,
)
from allychain.optimize.tts_parallel import run_all, solve_chunk

__all__ = [
    "TTSModel",
    "build_model",
    "tts_ttr",
    "disruption_groups",
    "site_view",
]

log = logging.getLogger(__name__)


def disruption_groups(network: Network, by: str | Sequence[str] = "node") -> dict[str, list[str]]:
    """Disruption scenarios: one per node (``by="node"``) or one per group of nodes
    sharing the given node columns, e.g. ``by=("country", "product")`` (named
    ``"KOR/wafer"``) or ``by="country"``.  Nodes with a missing key are left out."""
    nodes = network.nodes
    if by == "node" or by == ["node"] or by == ("node",):
        return {str(i): [str(i)] for i in nodes["node_id"]}
    cols = [by] if isinstance(by, str) else list(by)
    bad = [c for c in cols if c not in nodes.columns]
    if bad:
        raise AllychainError(f"cannot group disruptions by {bad}; expected node columns such as country, product")
    out: dict[str, list[str]] = {}
    sub = nodes.dropna(subset=cols)
    for key, g in sub.groupby(cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out["/".join(map(str, key))] = list(g["node_id"].astype(str))
    return out


def tts_ttr(
    network: Network | TTSModel,
    disruptions: Disruptions = None,
    *,
    ttr: float | Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    lose_inventory: bool = False,
    horizon: float = 1e6,
    workers: int = 1,
    backend: str = "processes",
    method: str = "auto",
) -> Result:
    """Time-to-survive, time-to-recover, performance impact and risk exposure index.

    Parameters
    ----------
    network
        A site-level network, a share network (mapped with
        :func:`allychain.optimize.country.site_network` defaults) or a compiled
        :class:`TTSModel`.
    disruptions
        ``None`` — every node alone (for a mapped share network: every country ×
        item node, not the market nodes); a list of node ids — each alone; a mapping
        name → node ids — each set disrupted together (see :func:`disruption_groups`).
    ttr
        Time to recover in periods: ``None`` takes ``nodes.ttr`` (the largest of a
        set), a number applies to all, a mapping overrides by disruption name.
    weights
        Weight per unit of lost demand by node id (default: ``margin``).
    lose_inventory
        Whether the disrupted node's own inventory is lost with it (default: usable).
    horizon
        Upper bound on ``t`` in the TTS programme, periods; a TTS reaching it is
        reported as ``inf`` (bounding ``t`` keeps the re-solves warm; an unbounded
        programme makes HiGHS re-check from scratch).
    workers, backend
        Solve in ``workers`` processes (``"processes"`` or ``"dask"``); default one.
    method
        ``"auto"`` (default), ``"local"`` or ``"full"``: each disruption on a region of the
        network proved to give the whole programme's optimum
        (:mod:`allychain.optimize.tts_local`), or on the whole programme.  The answers are
        the same; ``auto`` takes the region solver on networks of 1,000 nodes or more whose
        intact plan meets all demand from capacity.

    Returns
    -------
    Result
        ``status`` optimal; ``objective`` = the largest impact; table ``tts`` with
        columns ``disruption, nodes, country, product, ttr, tts, impact, lost_units,
        rei, unprotected`` (``unprotected`` is NA where TTR is unknown; impact and
        REI are NaN there too — not assessable).  ``meta`` holds ``baseline_tts``
        (TTS with nothing disrupted; finite means demand exceeds what the intact
        network can supply for long) and ``weights`` (margin, units or mixed).

    Raises
    ------
    AllychainError
        Unknown node ids; a network without nodes or shares.
    SolverError
        HiGHS fails on one of the programmes.

    Notes
    -----
    Cost: per disruption one TTS programme, and an impact programme only where TTS < TTR
    (otherwise the impact is zero).  The full method re-solves the whole programme
    warm-started; the local one solves a few growing regions around the disrupted nodes
    (the disrupted nodes and their customers first), so its cost follows the size of what the disruption
    reaches rather than the network's.
    """
    model = network if isinstance(network, TTSModel) else build_model(site_view(network), weights)
    named = normalise_disruptions(model, disruptions)
    groups = {k: model.index(v) for k, v in named.items()}
    ttrs = ttr_of(model, groups, ttr)
    names = list(groups)
    tts, imp, lost = run_all(model, names, list(groups.values()), [np.array([t]) for t in ttrs],
                              lose_inventory, workers, backend, horizon, method)
    base_tts = solve_chunk(model, ["(none)"], [np.array([], dtype=np.int32)], [np.array([math.nan])],
                            lose_inventory, horizon, method)[0][0]
    impact = np.array([a[0] for a in imp])
    lost_u = np.array([a[0] for a in lost])
    top = np.nanmax(impact) if np.isfinite(impact).any() else math.nan
    rei = impact / top if top and top > 0 else np.where(np.isnan(impact), math.nan, 0.0)
    unprot = pd.array([None if math.isnan(r) else bool(s < r) for s, r in zip(tts, ttrs, strict=False)], dtype="boolean")
    table = pd.DataFrame({
        "disruption": names,
        "nodes": [", ".join(v) for v in named.values()],
        "country": [describe_nodes(model, g, model.country) for g in groups.values()],
        "product": [describe_nodes(model, g, model.product) for g in groups.values()],
        "ttr": ttrs,
        "tts": clean_values(tts),
        "impact": clean_values(impact),
        "lost_units": clean_values(lost_u),
        "rei": rei,
        "unprotected": unprot,
    })
    n_unp = int(table["unprotected"].fillna(False).sum())
    n_unknown = int(table["unprotected"].isna().sum())
    msg = (f"{len(table)} disruption(s): {n_unp} unprotected (TTS < TTR)"
           + (f", {n_unknown} without TTR (not assessable)" if n_unknown else ""))
    if math.isfinite(base_tts):
        msg += f"; note: even undisrupted, the network meets demand only for {base_tts:.4g} periods"
    meta = {"baseline_tts": base_tts, "weights": model.weights, "nodes": model.n_nodes, "edges": model.n_edges,
            "demand_nodes": int(len(model.demand_nodes)), "lose_inventory": lose_inventory,
            "objective_unit": "largest weighted lost demand (margin × units)"}
    return Result("tts", Status.optimal, float(top) if top == top else math.nan, {"tts": table}, msg, meta)
