"""Importer for the ETO Advanced Semiconductor Supply Chain Dataset.

The dataset (Emerging Technology Observatory, CSET, Georgetown University; licence
CC BY-NC 4.0) is a folder of five CSV files.  :func:`read_eto` maps them onto
allychain's tables:

=================  ==========================================================
ETO file           allychain table
=================  ==========================================================
``stages.csv``     ``stages`` (market size parsed from text, e.g. "$574 billion (2022)")
``inputs.csv``     ``items`` (``type`` → ``kind``; market size parsed from text)
``providers.csv``  ``providers`` (countries → ISO 3166 alpha-3, firms keep the ETO id)
``provision.csv``  ``shares`` (percent; empty = unknown, never zero)
``sequence.csv``   ``relations`` (``goes_into`` and ``is_type_of``)
all ``source``     ``sources`` (one row per distinct source text)
=================  ==========================================================

Releases differ: columns may come in any order, shares may read ``"61%"``, the
``year`` and ``negligible_market_share`` columns may be absent or present, a file may
start with a byte-order mark, and a provider or item may be spelled differently in
two files.  Files are always joined on ids; a differing name is recorded as a
warning in ``network.meta["findings"]`` (check ``"names"``).  Every problem that
makes the data unusable is collected and raised together as one
:class:`~allychain.errors.DataError` naming file, row, ETO column, value and what
was expected.  See docs/eto.md.

The reader is split along its seams: :mod:`~allychain.data.eto.parsing` (cell text),
:mod:`~allychain.data.eto.places` (countries, regions, aggregates),
:mod:`~allychain.data.eto.files` (the files and their columns across releases) and
:mod:`~allychain.data.eto.tables` (files → allychain tables); :func:`read_eto` joins them.
"""

from __future__ import annotations

from dataclasses import replace as _replace
from pathlib import Path
from typing import Any

import pandas as pd

from allychain.data.eto.files import FILES, OPTIONAL, REQUIRED, EtoFile, collapse_repeated_rows, read_file, relabel
from allychain.data.eto.parsing import DATASET, parse_market_size
from allychain.data.eto.places import REGIONS, Place, resolve_place
from allychain.data.eto.tables import (
    ITEM_KINDS,
    items_table,
    name_findings,
    providers_table,
    relations_table,
    shares_table,
    stages_table,
)
from allychain.errors import DataError, Problem
from allychain.model.network import Network
from allychain.model.validate import ROW, check_references, coerce_table, errors, find_cycles

__all__ = [
    "read_eto",
    "parse_market_size",
    "resolve_place",
    "Place",
    "FILES",
    "REQUIRED",
    "OPTIONAL",
    "REGIONS",
    "ITEM_KINDS",
    "LICENSE",
    "FAMILY",
    "DATASET",
]

FAMILY = "eto"
LICENSE = "CC BY-NC 4.0 — CSET Emerging Technology Observatory"
DESCRIPTION = (
    "ETO Advanced Semiconductor Supply Chain Dataset (Emerging Technology Observatory, Center for Security "
    "and Emerging Technology, Georgetown University): country and firm market shares of the inputs to "
    "advanced logic chips. Licence CC BY-NC 4.0; attribute CSET/ETO."
)


def read_eto(path: str | Path) -> Network:
    """Read a folder of the ETO Advanced Semiconductor Supply Chain Dataset.

    Parameters
    ----------
    path
        Folder holding ``stages.csv``, ``inputs.csv``, ``providers.csv``,
        ``provision.csv`` and ``sequence.csv`` (any release; see module docstring).

    Returns
    -------
    Network
        Share network with ``meta["family"] == "eto"``, the licence, and
        ``meta["findings"]`` holding warnings (names differing between files, market
        sizes not understood).  Shares are percent; unknown shares are NaN.

    Raises
    ------
    DataError
        Listing every problem (missing file or column, bad number, unknown id,
        unknown or ambiguous country, cycle), each with file, row, column, value and
        what was expected.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(Problem("not a folder", file=str(folder),
                                expected=f"a folder of the ETO dataset with {', '.join(FILES)}"))
    problems: list[Problem] = []
    findings: list[Problem] = []
    files = {name: read_file(folder, name, problems) for name in FILES}
    if any(f is None for f in files.values()):
        raise DataError(problems)
    fs: dict[str, EtoFile] = {k: v for k, v in files.items() if v is not None}
    st, inp, prov, pro, seq = (fs[n] for n in FILES)

    sources: dict[str, dict[str, Any]] = {}
    stages = stages_table(st, sources, problems, findings)
    items = items_table(inp, sources, problems, findings)
    providers, id_map = providers_table(prov, problems, findings)
    pro = collapse_repeated_rows(pro, "provision row", findings)
    shares = shares_table(pro, id_map, sources, problems)
    relations = relations_table(seq, problems)
    src = pd.DataFrame(list(sources.values()), columns=["source_id", "title", "url", "dataset"])
    src_df, found = coerce_table("sources", src, "sources")
    problems.extend(found)

    _name_findings(st, inp, prov, pro, seq, findings)
    if not errors(problems):
        tables = {"stages": stages, "items": items, "providers": providers, "shares": shares,
                  "relations": relations, "sources": src_df}
        _reference_checks(tables, st, inp, prov, pro, seq, problems)
    errs = errors(problems)
    if errs:
        raise DataError(errs)
    tables_out = {
        "stages": stages.drop(columns=[ROW]),
        "items": items.drop(columns=[ROW]),
        "providers": providers.drop(columns=[ROW]),
        "shares": shares.drop(columns=[ROW]),
        "relations": relations.drop(columns=[ROW]),
        "sources": src_df.drop(columns=[ROW]),
    }
    meta = {
        "family": FAMILY,
        "license": LICENSE,
        "description": DESCRIPTION,
        "path": str(folder),
        "crosswalks": {},
        "provider_ids": dict(id_map),  # ETO provider_id -> allychain provider_id
        "findings": tuple(findings),
    }
    return Network(name="eto", meta=meta, **tables_out)


def _name_findings(st: EtoFile, inp: EtoFile, prov: EtoFile, pro: EtoFile, seq: EtoFile,
                   findings: list[Problem]) -> None:
    """Warn where provision.csv or sequence.csv names an id differently from providers.csv or inputs.csv."""
    prov_names: dict[str, set[str]] = {}
    for i, n, a in zip(prov.col("provider_id"), prov.col("provider_name"), prov.col("alias"), strict=True):
        if i is not None:
            s = prov_names.setdefault(str(i).strip(), set())
            s.update(str(x).strip() for x in (n, a) if x is not None)
    thing_names: dict[str, set[str]] = {}
    pairs = [*zip(inp.col("input_id"), inp.col("input_name"), strict=True),
             *zip(st.col("stage_id"), st.col("stage_name"), strict=True)]
    for i, n in pairs:
        if i is not None and n is not None:
            thing_names.setdefault(str(i).strip(), set()).add(str(n).strip())
    name_findings(pro, "provider_id", "provider_name", prov_names, "providers.csv", "provider", findings)
    name_findings(pro, "provided_id", "provided_name", thing_names, "inputs.csv/stages.csv", "input", findings)
    for id_col, name_col in (("input_id", "input_name"), ("goes_into_id", "goes_into_name"),
                             ("is_type_of_id", "is_type_of_name")):
        name_findings(seq, id_col, name_col, thing_names, "inputs.csv", "input", findings)


def _reference_checks(tables: dict[str, pd.DataFrame], st: EtoFile, inp: EtoFile, prov: EtoFile, pro: EtoFile,
                      seq: EtoFile, problems: list[Problem]) -> None:
    """Append the cross-table reference and cycle problems, named by the ETO files and columns."""
    names = {"stages": st.name, "items": inp.name, "providers": prov.name, "shares": pro.name,
             "relations": seq.name, "sources": "sources"}
    start = len(problems)
    problems.extend(check_references(tables, names))
    problems.extend(find_cycles(tables["relations"], seq.name))
    relabel(problems, start, pro.name, {"item_id": pro.shown("provided_id"),
                                         "provider_id": pro.shown("provider_id")})
    relabel(problems, start, inp.name, {"stage_id": inp.shown("stage_id")})
    targets = {f"{inp.name} column 'item_id'": f"{inp.name} column '{inp.shown('input_id')}'"}
    for i in range(start, len(problems)):
        p = problems[i]
        if p.file == seq.name and p.column in ("source", "target"):
            p = _replace(p, column=_relation_column(seq, p))
        for old, new in targets.items():
            if p.expected and old in p.expected:
                p = _replace(p, expected=p.expected.replace(old, new))
        problems[i] = p


def _relation_column(seq: EtoFile, p: Problem) -> str:
    if p.column == "source":
        return seq.shown("input_id")
    at_row = seq.df[seq.df[ROW] == p.row]
    for col in ("goes_into_id", "is_type_of_id"):
        if col in at_row.columns and (at_row[col] == p.value).any():
            return seq.shown(col)
    return seq.shown("goes_into_id")
