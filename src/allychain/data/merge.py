"""Combining networks from several datasets with provenance kept per row.

:func:`merge` is a union: every share, relation and source row keeps its
``dataset``; entities (stages, items, providers, nodes) that appear in both are
joined on their id, missing attributes filled from the other side.  Where both
sides state a value and they differ, the left side's value is used and the
disagreement is recorded in ``network.meta["conflicts"]`` (a DataFrame) — never
silently overwritten.  Share rows of two datasets for the same item, provider and
year are both kept; where their values differ that is a conflict too.

:func:`harmonize` renames one dataset's ids to another's vocabulary through a
crosswalk (e.g. the built-in dataset's ids for ETO's ``N20``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

import pandas as pd

from allychain import schema
from allychain.model import invariants
from allychain.model.network import Network

__all__ = ["merge", "merge_all", "harmonize", "CONFLICT_COLUMNS"]

CONFLICT_COLUMNS = ["table", "key", "column", "value_a", "dataset_a", "value_b", "dataset_b", "used"]
ENTITY = {"stages": "stage_id", "items": "item_id", "providers": "provider_id", "nodes": "node_id",
          "sources": "source_id"}
ROWS = {
    "shares": ["item_id", "provider_id", "year", "basis", "dataset"],
    "relations": ["source", "target", "kind"],
    "edges": ["supplier", "customer"],
    "bom": ["node_id", "input_product"],
    "alliances": ["alliance_id", "member"],
}


def _label(n: Network) -> str:
    return ",".join(n.datasets) or n.name


def _same(a: object, b: object) -> bool:
    if pd.isna(a) or pd.isna(b):  # type: ignore[arg-type]
        return True
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return a == b


def _identical(a: object, b: object) -> bool:
    """Equal, or both missing (unlike :func:`_same`, a missing value matches only a missing one)."""
    a_na, b_na = pd.isna(a), pd.isna(b)  # type: ignore[call-overload]
    return bool(a_na and b_na) or (not a_na and not b_na and a == b)


def _merge_entities(comp: str, a: pd.DataFrame, b: pd.DataFrame, la: str, lb: str,
                    conflicts: list[dict]) -> pd.DataFrame:
    key = ENTITY[comp]
    both = set(a[key]) & set(b[key])
    if not both:
        return pd.concat([a, b], ignore_index=True)
    ai = a.set_index(key)
    bi = b.set_index(key)
    common = [k for k in a[key] if k in both]  # in a's order
    ca, cb = ai.loc[common], bi.loc[common]
    cols = [c for c in ai.columns if c in bi.columns and c != "dataset"]
    values = {c: (ca[c].tolist(), cb[c].tolist()) for c in cols}
    for i, k in enumerate(common):
        for col in cols:
            va, vb = values[col][0][i], values[col][1][i]
            if not _same(va, vb):
                conflicts.append(dict(table=comp, key=str(k), column=col, value_a=va, dataset_a=la,
                                      value_b=vb, dataset_b=lb, used=la))
    filled = ai.combine_first(bi.loc[bi.index.isin(both)])
    filled = filled.loc[list(a[key])]
    out = pd.concat([filled.reset_index(), b[~b[key].isin(both)]], ignore_index=True)
    return out[list(a.columns) + [c for c in out.columns if c not in a.columns]]


def merge(a: Network, b: Network, name: str | None = None) -> Network:
    """Union of two networks; ``a`` takes precedence where they disagree.

    Conflicts (both sides state different values) are appended to
    ``meta["conflicts"]``; ``meta["precedence"]`` lists the datasets in order.
    Associative where no conflicts exist.
    """
    la, lb = _label(a), _label(b)
    conflicts: list[dict] = []
    tables = {}
    for comp in schema.COMPONENTS:
        ta, tb = a.table(comp), b.table(comp)
        if tb.empty:
            tables[comp] = ta
        elif ta.empty:
            tables[comp] = tb
        elif comp in ENTITY:
            tables[comp] = _merge_entities(comp, ta, tb, la, lb, conflicts)
        else:
            both = pd.concat([ta, tb], ignore_index=True)
            tables[comp] = both.drop_duplicates(ROWS[comp], keep="first").reset_index(drop=True)
            if comp == "shares":
                _share_conflicts(ta, tb, conflicts)
    prev = [m.get("conflicts") for m in (a.meta, b.meta) if m.get("conflicts") is not None]
    allc = pd.concat([*prev, pd.DataFrame(conflicts, columns=CONFLICT_COLUMNS)], ignore_index=True) \
        if prev else pd.DataFrame(conflicts, columns=CONFLICT_COLUMNS)
    prec = [d for d in [*a.meta.get("precedence", a.datasets), *b.meta.get("precedence", b.datasets)]]
    meta = {
        "precedence": list(dict.fromkeys(prec)),
        "conflicts": allc,
        "findings": tuple(a.meta.get("findings", ())) + tuple(b.meta.get("findings", ())),
        "crosswalks": {**b.meta.get("crosswalks", {}), **a.meta.get("crosswalks", {})},
        "description": " + ".join(x for x in (a.meta.get("description"), b.meta.get("description")) if x),
    }
    io = a.io if a.io is not None else b.io
    out = Network(name=name or f"{a.name}+{b.name}", io=io, meta=meta, **tables)
    if invariants.enabled():
        invariants.guard_union(out, (a, b), {**{c: [k] for c, k in ENTITY.items()}, **ROWS})
    return out


def _share_conflicts(ta: pd.DataFrame, tb: pd.DataFrame, conflicts: list[dict]) -> None:
    k = ["item_id", "provider_id", "year"]
    j = ta.dropna(subset=["share"]).merge(tb.dropna(subset=["share"]), on=k, suffixes=("_a", "_b"))
    j = j[(j["share_a"] - j["share_b"]).abs() > 1e-9]
    for rec in j.to_dict("records"):
        yr = "unknown year" if pd.isna(rec["year"]) else rec["year"]
        same_row = all(_identical(rec[f"{c}_a"], rec[f"{c}_b"]) for c in ("dataset", "basis"))
        conflicts.append(dict(table="shares", key=f"{rec['item_id']}/{rec['provider_id']}/{yr}", column="share",
                              value_a=rec["share_a"], dataset_a=rec["dataset_a"], value_b=rec["share_b"],
                              dataset_b=rec["dataset_b"], used=str(rec["dataset_a"]) if same_row else "both rows kept"))


def merge_all(networks: Iterable[Network], name: str | None = None) -> Network:
    nets = list(networks)
    out = reduce(merge, nets)
    return out.replace(name=name) if name else out


def harmonize(n: Network, crosswalk: pd.DataFrame) -> Network:
    """Rename ``n``'s item, stage and provider ids through ``crosswalk`` (columns ``kind``
    = item|stage|provider, ``id`` = target id, ``external_id`` = id in ``n``)."""
    maps = {
        kind: dict(zip(g["external_id"].astype(str), g["id"].astype(str), strict=True))
        for kind, g in crosswalk.groupby("kind")
    }
    im, pm, sm = maps.get("item", {}), maps.get("provider", {}), maps.get("stage", {})
    if not im and not pm and not sm:
        return n
    ism = {**sm, **im}  # share rows and relations may name stages as well as items

    def ren(df: pd.DataFrame, cols: Iterable[str], m: dict[str, str]) -> pd.DataFrame:
        df = df.copy()
        for c in cols:
            df[c] = df[c].map(lambda v: m.get(v, v) if isinstance(v, str) else v).astype("string")
        return df

    return n.replace(
        stages=ren(n.stages, ["stage_id"], sm),
        items=ren(ren(n.items, ["item_id"], im), ["stage_id"], sm),
        shares=ren(ren(n.shares, ["item_id"], ism), ["provider_id"], pm),
        relations=ren(n.relations, ["source", "target"], im),
        providers=ren(n.providers, ["provider_id"], pm),
        nodes=ren(n.nodes, ["product"], im),
        bom=ren(n.bom, ["input_product"], im),
        alliances=ren(n.alliances, ["member"], pm),
    )
