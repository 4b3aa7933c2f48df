"""Chokepoints: items whose supply is concentrated enough to be a single point of failure.

An item is a chokepoint when at least one enabled rule fires (thresholds inclusive):

* ``country_share`` — one country holds ≥ 65 % of the market (SIA/BCG 2021);
* ``firm_top3`` — the three largest firms hold ≥ 90 % together;
* ``hhi`` — the country-level HHI is ≥ 2,500 (US DOJ/FTC Horizontal Merger
  Guidelines 2010, "highly concentrated"; the 2023 guidelines use 1,800).

Aggregate providers ("Various countries") and regions never count as a country.
Rules are evaluated on known shares only; an item with no known share at a level
cannot fire that level's rules and is listed as not assessable in the coverage.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from allychain.analysis.concentration import concentration
from allychain.analysis.snapshot import TOLERANCE
from allychain.model.network import Network
from allychain.model.rules import RULE_NAMES, ChokepointRules

__all__ = ["ChokepointRules", "chokepoints", "RULE_NAMES", "CHOKEPOINT_COLUMNS"]

CHOKEPOINT_COLUMNS = [
    "item_id", "item_name", "rules", "top_country", "top_country_name", "top_country_share", "hhi",
    "top_firms", "top_firm_names", "top3_firm_share", "country_year", "firm_year", "country_dataset", "firm_dataset",
    "country_source", "firm_source", "unknown_share", "status",
]


def chokepoints(
    n: Network,
    rules: ChokepointRules | None = None,
    year: int | None = None,
    items: Iterable[str] | None = None,
    include_all: bool = False,
) -> pd.DataFrame:
    """Items where at least one chokepoint rule fires.

    Parameters
    ----------
    rules
        Thresholds and enabled rules; default :class:`ChokepointRules` ().
    year
        Shares of this year only (default: the latest year with a known share, per
        item and level; the years used are in ``country_year`` and ``firm_year``).
    items
        Restrict to these item ids or names.
    include_all
        Return every requested item, with an empty ``rules`` list where none fired
        and ``status`` ``not_assessable`` where neither level has a known share.

    Returns
    -------
    DataFrame
        Columns :data:`CHOKEPOINT_COLUMNS`: ``rules`` (list of fired rule names),
        ``top_country`` (ISO alpha-3) and ``top_country_share`` (percent), country
        ``hhi``, ``top_firms`` (up to three firm ids) and ``top3_firm_share``, the
        years, datasets and source titles of the country and firm shares used.
        Sorted by number of rules fired, then top country share.

    Examples
    --------
    >>> import pandas as pd
    >>> from allychain.model.network import Network
    >>> n = Network(
    ...     items=pd.DataFrame({"item_id": ["euv"], "name": ["EUV tools"], "kind": ["tool"]}),
    ...     providers=pd.DataFrame({"provider_id": ["NLD", "VARIOUS"], "name": ["Netherlands", "Various countries"],
    ...                             "kind": ["country", "aggregate"]}),
    ...     shares=pd.DataFrame({"item_id": ["euv", "euv"], "provider_id": ["NLD", "VARIOUS"],
    ...                          "share": [70.0, 30.0], "year": [2025, 2025]}))
    >>> r = chokepoints(n).iloc[0]
    >>> r["rules"], r["top_country"], float(r["top_country_share"]), float(r["hhi"])
    (['country_share', 'hhi'], 'NLD', 70.0, 4900.0)
    >>> chokepoints(n, ChokepointRules(country_share=75, hhi=5000)).empty
    True
    """
    rules = rules or ChokepointRules()
    c = concentration(n, "country", year, items).set_index("item_id")
    f = concentration(n, "firm", year, items).set_index("item_id")
    ids = list(dict.fromkeys([*c.index, *f.index]))
    c, f = c.reindex(ids), f.reindex(ids)
    fired: dict[str, np.ndarray] = {
        "country_share": (c["top1_share"] >= rules.country_share - TOLERANCE).to_numpy(),
        "firm_top3": (f["top3_share"] >= rules.firm_top3 - TOLERANCE).to_numpy(),
        "hhi": (c["hhi"] >= rules.hhi - TOLERANCE).to_numpy(),
    }
    pnames = dict(zip(n.providers["provider_id"].astype(str), n.providers["name"].astype(str), strict=False))
    fired_lists = [[r for r in RULE_NAMES if r in rules.enabled and fired[r][k]] for k in range(len(ids))]
    assessable = (c["status"].eq("assessed") | f["status"].eq("assessed")).to_numpy()
    out = pd.DataFrame({
        "item_id": ids,
        "item_name": c["item_name"].combine_first(f["item_name"]).to_numpy(),
        "rules": fired_lists,
        "top_country": c["top1"].to_numpy(),
        "top_country_name": c["top1_name"].to_numpy(),
        "top_country_share": c["top1_share"].to_numpy(dtype=float),
        "hhi": c["hhi"].to_numpy(dtype=float),
        "top_firms": [v if isinstance(v, list) else [] for v in f["top3"]],
        "top_firm_names": [[pnames.get(p, p) for p in v] if isinstance(v, list) else [] for v in f["top3"]],
        "top3_firm_share": f["top3_share"].to_numpy(dtype=float),
        "country_year": c["year"].to_numpy(),
        "firm_year": f["year"].to_numpy(),
        "country_dataset": c["dataset"].to_numpy(),
        "firm_dataset": f["dataset"].to_numpy(),
        "country_source": c["source"].to_numpy(),
        "firm_source": f["source"].to_numpy(),
        "unknown_share": c["unknown_share"].to_numpy(dtype=float),
        "status": np.where(assessable, "assessed", "not_assessable"),
    })
    for col in ("country_year", "firm_year"):
        out[col] = pd.array([None if pd.isna(y) else int(y) for y in out[col]], dtype="Int64")
    if not include_all:
        out = out[out["rules"].map(len) > 0]
    out = out.assign(_r=-out["rules"].map(len), _s=-out["top_country_share"].fillna(-1.0),
                     _f=-out["top3_firm_share"].fillna(-1.0))
    out = out.sort_values(["_r", "_s", "_f", "item_id"]).drop(columns=["_r", "_s", "_f"])
    return out.reset_index(drop=True)[CHOKEPOINT_COLUMNS]
