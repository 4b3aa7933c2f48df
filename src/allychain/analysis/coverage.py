"""Coverage statements: what an answer could not look at.

Every analysis answer carries one: the requested items that are **not in the data**
at all (no item, stage or share row with that id or name), and those that are in it
but **not assessable** (no individual provider with a known share at the level
asked).  Neither is evidence of low risk: "not covered" is never "no risk".
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterable
from typing import Any

import pandas as pd

from allychain.model.network import Network

__all__ = ["known_ids", "resolve_items", "requested_items", "coverage", "coverage_text", "item_names",
           "nearest_covered", "with_pointers"]


def known_ids(n: Network) -> list[str]:
    """Ids the data knows: items, stages, products of site nodes, and ids with share rows."""
    ids = list(n.items["item_id"].astype(str))
    ids += [str(s) for s in n.stages["stage_id"]]
    ids += [str(p) for p in n.nodes["product"].dropna()]
    ids += [str(p) for p in n.bom["input_product"].dropna()]
    ids += [str(p) for p in n.shares["item_id"].dropna()]
    return list(dict.fromkeys(ids))


def resolve_items(n: Network, items: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split requested ids or names into (ids found in the data, requests not in the data).

    Ids and names match ignoring case (an exact id first); ids of another dataset that a
    combination renamed (e.g. ETO's ``N20`` in ``builtin+eto``) are found through the
    crosswalks in ``n.meta["crosswalks"]``.
    """
    ids = known_ids(n)
    idset = set(ids)
    by_name = {str(nm).casefold(): str(i) for i, nm in zip(n.stages["stage_id"].tolist(), n.stages["name"].tolist(), strict=False)}
    by_name.update({str(nm).casefold(): str(i) for i, nm in zip(n.items["item_id"].tolist(), n.items["name"].tolist(), strict=False)})
    external: dict[str, str] = {}
    for cw in (n.meta.get("crosswalks") or {}).values():
        if isinstance(cw, pd.DataFrame) and {"id", "external_id"} <= set(cw.columns):
            for i, e in zip(cw["id"].tolist(), cw["external_id"].tolist(), strict=False):
                if isinstance(i, str) and isinstance(e, str) and i in idset:
                    external.setdefault(e, i)
    by_id = {i.casefold(): i for i in reversed(ids)}  # ids ignoring case (the first one wins)
    external_folded = {e.casefold(): i for e, i in reversed(list(external.items()))}
    found: list[str] = []
    missing: list[str] = []
    for q in items:
        q = str(q).strip()
        if not q:
            continue
        hit = (q if q in idset else by_id.get(q.casefold()) or by_name.get(q.casefold()) or external.get(q)
               or external_folded.get(q.casefold()))
        if hit is None:
            missing.append(q)
        elif hit not in found:
            found.append(hit)
    return found, missing


def requested_items(n: Network, items: Iterable[str] | None, snap: pd.DataFrame) -> list[str]:
    """Item ids an analysis reports: the resolvable part of ``items``, or by default every
    item of the network plus every id holding share rows in ``snap``."""
    if items is not None:
        return resolve_items(n, items)[0]
    ids = list(n.items["item_id"].astype(str)) + [str(i) for i in snap["item_id"]]
    return list(dict.fromkeys(ids))


def coverage(
    n: Network,
    result: pd.DataFrame,
    requested: Iterable[str] | None = None,
    extra_not_in_data: Iterable[str] = (),
) -> dict[str, Any]:
    """Coverage statement for an analysis result.

    Parameters
    ----------
    result
        A result table with columns ``item_id`` and ``status`` (``assessed`` /
        ``not_assessable``).
    requested
        What the user asked for (ids or names); requests not in the data are listed
        under ``not_in_data``.
    extra_not_in_data
        Ids the analysis met (e.g. relation endpoints) that the data does not
        describe.

    Returns
    -------
    dict
        ``requested`` (count), ``assessed`` (count), ``not_in_data`` (list),
        ``not_assessable`` (list of item ids), ``names`` (item id → display name, for
        every id of ``not_assessable``, so no answer lists bare ids), ``note``.
    """
    missing = list(extra_not_in_data)
    if requested is not None:
        missing += resolve_items(n, requested)[1]
    missing = list(dict.fromkeys(missing))
    st = result["status"] if len(result) else pd.Series(dtype=object)
    not_assessable = list(dict.fromkeys(result.loc[st == "not_assessable", "item_id"].astype(str))) if len(result) \
        else []
    return {
        "requested": int(len(result) + len(missing)),
        "assessed": int((st == "assessed").sum()),
        "not_in_data": missing,
        "not_assessable": not_assessable,
        "names": item_names(n, not_assessable, result),
        "note": "items not in the data or not assessable are not covered; not covered is not 'no risk'",
    }


def item_names(n: Network, ids: Iterable[str], result: pd.DataFrame | None = None) -> dict[str, str]:
    """Display names of item or stage ids: the result's ``item_name`` column first, then the
    network's items and stages; an id without a name maps to itself."""
    known: dict[str, str] = {}
    if result is not None and len(result) and {"item_id", "item_name"} <= set(result.columns):
        known.update({str(i): str(nm) for i, nm in zip(result["item_id"], result["item_name"], strict=False)
                      if isinstance(nm, str)})
    wanted = [str(i) for i in ids]
    if any(i not in known for i in wanted):
        known.update({str(i): str(nm) for i, nm in zip(n.stages["stage_id"], n.stages["name"], strict=False)
                      if str(i) not in known})
        known.update({str(i): str(nm) for i, nm in zip(n.items["item_id"], n.items["name"], strict=False)
                      if str(i) not in known})
    return {i: known.get(i, i) for i in wanted}


def coverage_text(cov: dict[str, Any], names: dict[str, str] | None = None, limit: int = 12) -> str:
    """One or two lines of plain text stating a coverage dict: names first, ids beside them."""
    names = {**(cov.get("names") or {}), **(names or {})}

    def show(ids: list[str]) -> str:
        shown = [f"{names.get(i, i)} ({i})" if names.get(i, i) != i else i for i in ids[:limit]]
        more = f" … and {len(ids) - limit} more" if len(ids) > limit else ""
        return ", ".join(shown) + more

    lines = [f"coverage: {cov['assessed']} of {cov['requested']} requested item(s) assessed"]
    if cov["not_in_data"]:
        lines.append(f"  not in the data ({len(cov['not_in_data'])}): {show(cov['not_in_data'])}")
        for q, p in list((cov.get("nearest") or {}).items())[:limit]:
            lines.append(f"    {q}: nearest covered item {p['name']} ({p['item_id']}) — {p['how']}")
    if cov["not_assessable"]:
        lines.append(f"  in the data but not assessable — no known share ({len(cov['not_assessable'])}): "
                     f"{show(cov['not_assessable'])}")
    if cov["not_in_data"] or cov["not_assessable"]:
        lines.append("  not covered is not 'no risk'")
    return "\n".join(lines)


_WORD = re.compile(r"[a-z0-9]+")


def _concept_of(q: str, concepts: pd.DataFrame) -> str | None:
    """The concept a request names: its id or name (ignoring case), else the one concept whose
    name contains all the request's words ("neon" → "Semiconductor-grade neon")."""
    f = q.casefold()
    ids = concepts["item_id"].astype(str)
    names = concepts["name"].astype(str)
    for col in (ids, names):
        hit = concepts.loc[col.str.casefold() == f, "item_id"]
        if len(hit):
            return str(hit.iloc[0])
    words = set(_WORD.findall(f))
    if not words:
        return None
    holders = {str(i) for i, nm in zip(ids, names, strict=False) if words <= set(_WORD.findall(nm.casefold()))}
    return holders.pop() if len(holders) == 1 else None


def nearest_covered(n: Network, requests: Iterable[str], concepts: pd.DataFrame | None = None,
                    cutoff: float = 0.75) -> dict[str, dict[str, str]]:
    """For each request the data lacks, the nearest item it covers, and how the two relate.

    With a concept hierarchy (``item_id``, ``name``, ``parent_id``, ``relation``,
    ``external_ids``; see :func:`allychain.data.load.builtin_concepts`) the request's
    ancestors are walked breadth-first, kinds first (``is_type_of``), then what the item
    goes into; the first ancestor the data covers — by id, by name, or through an
    external id — is the pointer.  Otherwise the closest item name (``difflib``, ratio
    ≥ ``cutoff``) is offered as a possible spelling.  Requests with neither are left out.

    Returns
    -------
    dict
        request → ``item_id``, ``name`` (in the data) and ``how`` (a short phrase:
        "neon is a type of it", "a close name").
    """
    found, missing = resolve_items(n, requests)
    del found
    out: dict[str, dict[str, str]] = {}
    if not missing:
        return out
    names = item_names(n, known_ids(n))
    parents: dict[str, list[tuple[str, str]]] = {}
    external: dict[str, list[str]] = {}
    label: dict[str, str] = {}
    if concepts is not None and len(concepts):
        for r in concepts.itertuples(index=False):
            label[str(r.item_id)] = str(r.name)
            external[str(r.item_id)] = [str(e) for e in (r.external_ids or [])]
            if isinstance(r.parent_id, str):
                parents.setdefault(str(r.item_id), []).append((str(r.parent_id), str(r.relation)))
    for q in missing:
        start = _concept_of(q, concepts) if concepts is not None and len(concepts) else None
        hit = _walk_up(n, start, parents, external, label) if start else None
        if hit is not None:
            item, phrase = hit
            out[q] = {"item_id": item, "name": names.get(item, item), "how": phrase}
            continue
        close = difflib.get_close_matches(q.casefold(), [v.casefold() for v in names.values()], n=1, cutoff=cutoff)
        if close:
            item = next(i for i, v in names.items() if v.casefold() == close[0])
            out[q] = {"item_id": item, "name": names[item], "how": "a close name"}
    return out


def _walk_up(n: Network, start: str, parents: dict[str, list[tuple[str, str]]], external: dict[str, list[str]],
             label: dict[str, str]) -> tuple[str, str] | None:
    """Breadth-first over the ancestors of ``start`` (kinds before uses); the first one the data covers."""
    first = {"is_type_of": 0, "goes_into": 1}
    queue: deque[tuple[str, list[str]]] = deque([(start, [])])
    seen = {start}
    while queue:
        node, path = queue.popleft()
        if path:
            found, _ = resolve_items(n, [node, *external.get(node, []), label.get(node, node)])
            if found:
                return found[0], _phrase(label.get(start, start), path)
        for parent, rel in sorted(parents.get(node, []), key=lambda pr: first.get(pr[1], 2)):
            if parent not in seen:
                seen.add(parent)
                queue.append((parent, [*path, rel]))
    return None


def _phrase(name: str, path: list[str]) -> str:
    if all(r == "is_type_of" for r in path):
        return f"{name} is a {'kind' if len(path) == 1 else 'kind of a kind'} of it"
    return f"{name} goes into it" + ("" if len(path) == 1 else f" ({len(path)} links up)")


def with_pointers(n: Network, cov: dict[str, Any], concepts: pd.DataFrame | None = None) -> dict[str, Any]:
    """``cov`` with ``nearest``: for each request not in the data, the nearest covered item
    (see :func:`nearest_covered`)."""
    if not cov.get("not_in_data"):
        return cov
    return {**cov, "nearest": nearest_covered(n, cov["not_in_data"], concepts)}
