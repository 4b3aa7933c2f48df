"""Market concentration per item, at country and firm level.

For item *i* with known individual shares s_1 ≥ s_2 ≥ … (percent):

* HHI = Σ_k s_k²  (0–10,000; Herfindahl–Hirschman index in the percent convention);
* top-1 share = s_1, top-3 share = s_1 + s_2 + s_3;
* providers = number of individual providers with a known share > 0;
* unknown share = max(0, 100 − Σ known shares), where the known shares include
  regions and aggregates ("Various countries"), which are never squared or ranked.

The HHI is therefore a lower bound when part of the market is unknown or held by
an aggregate; ``hhi_upper`` adds the square of the unattributed part (as if one
provider held it all).  Items without any known individual share are
``not_assessable`` with HHI NaN — never reported as unconcentrated.  See
docs/analysis.md.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from allychain.analysis.coverage import requested_items
from allychain.analysis.snapshot import item_stats, snapshot
from allychain.model.network import Network

__all__ = ["concentration", "CONCENTRATION_COLUMNS"]

CONCENTRATION_COLUMNS = [
    "item_id", "item_name", "level", "status", "year", "dataset", "hhi", "hhi_upper", "top1", "top1_name",
    "top1_share", "top3", "top3_share", "providers", "known_share", "aggregate_share", "unknown_share",
    "unknown_providers", "basis", "source_id", "source",
]


def _names(n: Network) -> dict[str, str]:
    names = dict(zip(n.stages["stage_id"].astype(str), n.stages["name"].astype(str), strict=False))
    names.update(zip(n.items["item_id"].astype(str), n.items["name"].astype(str), strict=False))
    return names


def concentration(
    n: Network,
    level: str = "country",
    year: int | None = None,
    items: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Concentration of each item's market at ``level`` (``"country"``, ``"firm"`` or ``"both"``).

    Parameters
    ----------
    n
        Network with share rows (or site-level nodes with capacities).
    level
        Provider level; ``"both"`` stacks the country and firm tables.
    year
        Use shares of this year only; default the latest year with a known share,
        per item.  The year used is in column ``year``.
    items
        Item (or stage) ids to report; default every item and stage holding share
        rows plus every item of the network (those without shares are
        ``not_assessable``).

    Returns
    -------
    DataFrame
        One row per item and level, columns :data:`CONCENTRATION_COLUMNS`; ``status``
        is ``assessed`` or ``not_assessable`` (no individual provider with a known
        share; HHI and shares NaN).  Sorted by status, then HHI descending.
        Requested ids absent from the data are left out (see
        :func:`allychain.analysis.coverage.coverage`).
    """
    if level == "both":
        parts = [concentration(n, lv, year, items) for lv in ("country", "firm")]
        return pd.concat(parts, ignore_index=True)
    snap = snapshot(n, level=level, year=year)
    stats = item_stats(snap, level=level)
    wanted = requested_items(n, items, snap)
    stats = stats.reindex(wanted)
    stats["assessable"] = stats["assessable"].fillna(False).astype(bool)
    names = _names(n)
    pnames = dict(zip(n.providers["provider_id"].astype(str), n.providers["name"].astype(str), strict=False))
    src = n.sources.drop_duplicates("source_id").set_index("source_id")["title"]
    unattributed = (100.0 - stats["known_share"].fillna(0.0)).clip(lower=0.0) + stats["aggregate_share"].fillna(0.0)
    out = pd.DataFrame({
        "item_id": stats.index.astype(str),
        "item_name": [names.get(i, i) for i in stats.index],
        "level": level,
        "status": np.where(stats["assessable"], "assessed", "not_assessable"),
        "year": stats["year"].to_numpy(),
        "dataset": stats["dataset"].to_numpy(),
        "hhi": stats["hhi"].to_numpy(dtype=float),
        "hhi_upper": np.minimum(stats["hhi"].to_numpy(dtype=float) + unattributed.to_numpy(dtype=float) ** 2, 10_000.0),
        "top1": stats["top1"].to_numpy(),
        "top1_name": [pnames.get(p, p) if isinstance(p, str) else None for p in stats["top1"]],
        "top1_share": stats["top1_share"].to_numpy(dtype=float),
        "top3": [list(v) if isinstance(v, list) else [] for v in stats["top3"]],
        "top3_share": stats["top3_share"].to_numpy(dtype=float),
        "providers": stats["providers"].fillna(0).astype(int).to_numpy(),
        "known_share": stats["known_share"].to_numpy(dtype=float),
        "aggregate_share": stats["aggregate_share"].to_numpy(dtype=float),
        "unknown_share": stats["unknown_share"].fillna(100.0).to_numpy(dtype=float),
        "unknown_providers": stats["unknown_providers"].fillna(0).astype(int).to_numpy(),
        "basis": stats["basis"].to_numpy(),
        "source_id": stats["source_id"].to_numpy(),
    })
    out["source"] = out["source_id"].map(lambda s: src.get(s) if isinstance(s, str) else None)
    out["year"] = pd.array([None if pd.isna(y) else int(y) for y in out["year"]], dtype="Int64")
    out = out.assign(_a=out["status"].ne("assessed"), _h=-out["hhi"].fillna(-1.0))
    out = out.sort_values(["_a", "_h", "item_id"]).drop(columns=["_a", "_h"]).reset_index(drop=True)
    return out[CONCENTRATION_COLUMNS]
