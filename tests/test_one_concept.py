"""builtin+eto shows one concept once: no two items of the combined map carry the same name once
case, punctuation and plurals are set aside (the crosswalk renames ETO's ids onto the built-in
ones, so a concept both datasets hold appears under one id)."""

from __future__ import annotations

import re
from collections import defaultdict

from allychain.data.load import builtin_concepts, load


def _norm(name: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", name.casefold()).split()
    return " ".join(w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words)


def test_no_concept_twice_in_builtin_plus_eto(eto_dir):
    n = load(f"builtin+{eto_dir}")
    by_name: dict[str, list[str]] = defaultdict(list)
    for i, nm in zip(n.items["item_id"].astype(str), n.items["name"].astype(str), strict=True):
        by_name[_norm(nm)].append(i)
    twice = {k: v for k, v in by_name.items() if len(v) > 1}
    assert twice == {}
    # every crosswalked built-in item replaced its ETO twin: the ETO id is gone from the combined items
    ids = set(n.items["item_id"].astype(str))
    crossed = {e for lst in builtin_concepts()["external_ids"] for e in lst}
    assert crossed and not (crossed & ids)
    # and the crosswalk is complete for names: no ETO item is named like a built-in item it is not mapped to
    eto = load(str(eto_dir))
    eto_names = {_norm(nm): str(i) for i, nm in zip(eto.items["item_id"], eto.items["name"].astype(str), strict=True)}
    b = builtin_concepts().drop_duplicates("item_id")
    unmapped = {str(r.item_id): eto_names[_norm(r.name)] for r in b.itertuples()
                if _norm(r.name) in eto_names and eto_names[_norm(r.name)] not in r.external_ids}
    assert unmapped == {}
