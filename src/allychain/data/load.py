"""Resolving a ``--data`` specification to a network.

``builtin`` (the default) is the curated dataset shipped with allychain; ``eto`` is the
ETO dataset in the user cache (see :mod:`allychain.data.download`); any other word is
a path to a folder whose format is detected (native or ETO).  Parts joined with
``+`` are combined with :func:`allychain.data.merge.merge`, leftmost first, after
each part's ids are harmonised through the crosswalks the other parts carry.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from allychain.data.merge import harmonize, merge_all
from allychain.data.native import is_native, read_native
from allychain.errors import DataError, Problem
from allychain.model.network import Network

__all__ = ["builtin_concepts", "load", "load_part", "builtin_path", "detect_format"]

log = logging.getLogger(__name__)


def builtin_path() -> Path:
    """Folder of the built-in curated dataset (native format)."""
    return Path(str(resources.files("allychain.data").joinpath("builtin")))


def detect_format(path: Path) -> str:
    """``"eto"`` or ``"native"`` for a folder; raises :class:`DataError` otherwise."""
    path = Path(path)
    if not path.exists():
        raise DataError(Problem("no such file or folder", file=str(path),
                                expected="builtin, eto, a folder, or a '+' combination of these"))
    if not path.is_dir():
        raise DataError(Problem("not a folder", file=str(path), expected="a folder in the native or ETO format"))
    if (path / "provision.csv").exists() or (path / "inputs.csv").exists():
        return "eto"
    if is_native(path):
        return "native"
    raise DataError(Problem("unrecognised data folder", file=str(path),
                            expected="manifest.json (native format) or provision.csv/inputs.csv (ETO dataset)"))


def example_path(name: str) -> Path:
    """Folder of a small network shipped in ``data/examples`` (``example:NAME`` in ``--data``)."""
    root = Path(str(resources.files("allychain.data").joinpath("examples")))
    known = sorted(p.name for p in root.iterdir() if p.is_dir() and is_native(p))
    if name not in known:
        raise DataError(Problem(f"unknown example network {name!r}", file="example:" + name,
                                expected="one of " + ", ".join(known)))
    return root / name


def load_part(spec: str) -> Network:
    """Load one part of a ``--data`` specification (no ``+``)."""
    spec = spec.strip()
    if spec == "builtin":
        return read_native(builtin_path(), dataset="builtin")
    if spec.startswith("example:"):
        return read_native(example_path(spec.removeprefix("example:")))
    if spec == "eto":
        from allychain.data.download import cached_eto_path

        return _read_eto(cached_eto_path())
    if spec == "pymrio-test":
        from allychain.data.mrio import load_pymrio_test

        return load_pymrio_test()
    if spec.startswith("pymrio:") or _is_pymrio(Path(spec).expanduser()):
        from allychain.data.mrio import load_mrio

        return load_mrio(Path(spec.removeprefix("pymrio:")).expanduser())
    path = Path(spec).expanduser()
    fmt = detect_format(path)
    if fmt == "eto":
        return _read_eto(path)
    return read_native(path)


def _is_pymrio(path: Path) -> bool:
    """A folder or zip archive written by pymrio (``save``/``save_all``)."""
    return (path.is_dir() and (path / "file_parameters.json").exists()) or (path.suffix == ".zip" and path.is_file())


def _read_eto(path: Path) -> Network:
    from allychain.data.eto import read_eto

    return read_eto(path)


def split_spec(spec: str) -> list[str]:
    """Split a ``--data`` specification at ``+``, keeping existing paths whole.

    Starting from the left, each part is the longest run of ``+``-separated pieces that names
    an existing file or folder, else one piece.  So a folder called ``a+b`` can be named as it
    is, alone or in a combination; a name that does not exist splits at every ``+``.

    >>> split_spec("builtin+eto")
    ['builtin', 'eto']
    """
    pieces = spec.split("+")
    parts: list[str] = []
    i = 0
    while i < len(pieces):
        j = next((j for j in range(len(pieces), i + 1, -1)
                  if Path("+".join(pieces[i:j]).strip()).expanduser().exists()), i + 1)
        parts.append("+".join(pieces[i:j]))
        i = j
    return parts


def load(spec: str | Network = "builtin") -> Network:
    """Load a network from a ``--data`` specification, or pass a network through.

    Examples
    --------
    >>> load("builtin")
    Network('builtin': stages=..., items=..., providers=..., shares=..., ...)
    >>> load("builtin+eto")        # doctest: +SKIP
    >>> load("builtin+/data/eto")  # doctest: +SKIP
    >>> load("example:nand_2019").name   # a small network shipped in data/examples
    'nand-2019'

    A ``+`` joins parts, except inside the name of a file or folder that exists:
    ``builtin+runs/a+b`` reads ``builtin`` and the folder ``runs/a+b`` when that folder exists
    (see :func:`split_spec`).
    """
    if isinstance(spec, Network):
        return spec
    parts = split_spec(str(spec))
    if any(not p.strip() for p in parts):
        raise DataError(Problem("empty part in data specification", value=spec,
                                expected="names joined by '+', e.g. builtin+eto"))
    nets = [load_part(p) for p in parts]
    if len(nets) == 1:
        return nets[0]
    # each part carrying a crosswalk for another part's family renames that part's ids
    harmonised = []
    for i, n in enumerate(nets):
        fam = n.meta.get("family")
        for j, other in enumerate(nets):
            cw = (other.meta.get("crosswalks") or {}).get(fam) if fam else None
            if i != j and cw is not None:
                log.debug("harmonising %s ids through %s's crosswalk", n.name, other.name)
                n = harmonize(n, cw)
        harmonised.append(n)
    merged = merge_all(harmonised, name="+".join(p.strip() for p in parts))
    _check_combined_cycles(merged, spec)
    return merged


def _check_combined_cycles(n: Network, spec: str) -> None:
    """Each part is free of cycles, but their relations together may close one."""
    import re
    from dataclasses import replace

    from allychain.model.validate import find_cycles

    rel = n.relations
    if rel is None or rel.empty:
        return
    found = find_cycles(rel.reset_index(drop=True), f"relations of {spec} (combined)")
    if found:  # row numbers of the combined table mean nothing to the user; the ids name the rows
        raise DataError([replace(p, row=None, message=re.sub(r" \(rows [0-9, ]+\)$", "", p.message))
                         for p in found])


def builtin_groupings() -> pd.DataFrame:
    """The built-in dataset's groupings (G7, EU, OECD, Wassenaar, IPEF, MSP …; not the analysed cases),
    in the ``alliances`` schema, for partner pools on data that holds none (see docs/analysis.md)."""
    return _builtin_groupings().copy()


@lru_cache(maxsize=1)
def _builtin_groupings() -> pd.DataFrame:
    a = load_part("builtin").alliances
    return a[a["kind"].astype(object).ne("case")].reset_index(drop=True)


def builtin_concepts() -> pd.DataFrame:
    """The built-in dataset's concept hierarchy, for pointing from an item a dataset lacks to
    the nearest one it covers (neon → ETO's electronic gases).

    One row per built-in item and parent link: ``item_id``, ``name``, ``parent_id``
    (``None`` for an item without parents), ``relation`` (``is_type_of`` or
    ``goes_into``) and ``external_ids`` (the item's ids in other datasets, from the
    built-in crosswalks: a list).
    """
    return _builtin_concepts().copy()


@lru_cache(maxsize=1)
def _builtin_concepts() -> pd.DataFrame:
    b = load_part("builtin")
    external: dict[str, list[str]] = {}
    for cw in (b.meta.get("crosswalks") or {}).values():
        if isinstance(cw, pd.DataFrame) and {"id", "external_id"} <= set(cw.columns):
            for i, e in zip(cw["id"].astype(str), cw["external_id"].astype(str), strict=False):
                external.setdefault(i, []).append(e)
    rel = b.relations if b.relations is not None else pd.DataFrame(columns=["source", "target", "kind"])
    rows = []
    for i, nm in zip(b.items["item_id"].astype(str), b.items["name"].astype(str), strict=False):
        mine = rel[rel["source"].astype(str) == i]
        links = list(zip(mine["target"].astype(str), mine["kind"].astype(str), strict=False)) or [(None, None)]
        for parent, kind in links:
            rows.append({"item_id": i, "name": nm, "parent_id": parent, "relation": kind,
                         "external_ids": list(external.get(i, []))})
    return pd.DataFrame(rows, columns=["item_id", "name", "parent_id", "relation", "external_ids"])
