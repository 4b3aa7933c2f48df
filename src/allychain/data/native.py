"""The native folder format: one CSV file per table plus ``manifest.json``.

A folder holds any subset of the tables in :mod:`allychain.schema` as
``<table>.csv`` (UTF-8, comma-separated, header row, empty cell = missing), and a
``manifest.json``::

    {"format": "allychain-network", "version": 1, "name": "my-network",
     "description": "...", "license": "...",
     "tables": {"nodes": "nodes.csv", "edges": "edges.csv", "bom": "bom.csv"},
     "crosswalks": {"eto": "crosswalk_eto.csv"},
     "io": {"Z": "io/Z.csv", "Y": "io/Y.csv", "unit": "M.EUR"}}

The manifest is optional when reading: without one, every ``<table>.csv`` present is
read.  :func:`write_native` then :func:`read_native` returns an equal network (the
round trip is an identity for valid networks).  Writing goes to a temporary folder
that replaces the destination only once everything is written, so a failure never
leaves a half-written folder.  See docs/formats.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from allychain import schema
from allychain.data.csvread import read_text_csv
from allychain.errors import DataError, Problem
from allychain.model.network import IOTables, Network, conform
from allychain.model.validate import ROW, check_references, coerce_table, errors, find_cycles

__all__ = ["read_native", "write_native", "is_native", "FORMAT", "VERSION"]

FORMAT = "allychain-network"
VERSION = 1
CROSSWALK_COLUMNS = ["kind", "id", "external_id"]


def is_native(path: Path) -> bool:
    path = Path(path)
    return (path / "manifest.json").exists() or any(
        (path / f"{c}.csv").exists() for c in ("nodes", "items", "shares", "providers")
    )


def _manifest(path: Path) -> dict[str, Any]:
    mf = path / "manifest.json"
    if not mf.exists():
        tables = {c: f"{c}.csv" for c in schema.COMPONENTS if (path / f"{c}.csv").exists()}
        if not tables:
            raise DataError(
                Problem("no network tables found", file=str(path),
                        expected="manifest.json or files such as nodes.csv, items.csv, shares.csv")
            )
        return {"format": FORMAT, "version": VERSION, "name": path.name, "tables": tables}
    try:
        m = json.loads(mf.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(Problem(f"manifest is not valid JSON: {exc}", file=str(mf),
                                expected="a JSON object (see docs/formats.md)")) from None
    if not isinstance(m, dict):
        raise DataError(Problem("manifest must be a JSON object", file=str(mf), expected="{...}"))
    if m.get("format") != FORMAT:
        raise DataError(Problem("unknown format in manifest", file=str(mf), column="format",
                                value=m.get("format"), expected=f"'{FORMAT}'"))
    if m.get("version") != VERSION:
        raise DataError(Problem("unsupported format version", file=str(mf), column="version",
                                value=m.get("version"), expected=str(VERSION)))
    tables = m.get("tables", {})
    if not isinstance(tables, dict) or any(k not in schema.COMPONENTS for k in tables):
        bad = [k for k in tables if k not in schema.COMPONENTS] if isinstance(tables, dict) else tables
        raise DataError(Problem("unknown tables in manifest", file=str(mf), column="tables", value=bad,
                                expected="some of " + ", ".join(schema.COMPONENTS)))
    return m


def read_native(path: str | Path, dataset: str | None = None) -> Network:
    """Read a native folder.

    Parameters
    ----------
    path
        The folder.
    dataset
        Provenance label written into the ``dataset`` column of rows that have none;
        defaults to the manifest's name.

    Raises
    ------
    DataError
        Listing every problem found (file, row, column, value, expected).
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(Problem("not a folder", file=str(path), expected="a folder in the native format"))
    m = _manifest(path)
    label = dataset or str(m.get("name") or path.name)
    raw: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for comp, fname in m.get("tables", {}).items():
        fpath = path / fname
        files[comp] = str(fpath)
        try:
            df = read_text_csv(fpath)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        df, found = coerce_table(comp, df, str(fpath))
        raw[comp] = df
        problems.extend(found)
    if not errors(problems):
        problems.extend(check_references(raw, files))
        if "relations" in raw:
            problems.extend(find_cycles(raw["relations"], files["relations"]))
    crosswalks = {}
    for fam, fname in (m.get("crosswalks") or {}).items():
        try:
            cw = read_text_csv(path / fname)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        missing = [c for c in CROSSWALK_COLUMNS if c not in cw.columns]
        if missing:
            problems.append(Problem(f"crosswalk lacks columns {missing}", file=str(path / fname),
                                    expected=", ".join(CROSSWALK_COLUMNS)))
            continue
        crosswalks[fam] = cw[CROSSWALK_COLUMNS].astype("string")
    io = None
    if m.get("io"):
        try:
            io = _read_io(path, m["io"])
        except DataError as exc:
            problems.extend(exc.problems)
    errs = errors(problems)
    if errs:
        raise DataError(errs)
    tables = {c: df.drop(columns=[ROW]) for c, df in raw.items()}
    for comp in ("shares", "relations", "sources"):
        if comp in tables:
            t = tables[comp]
            t["dataset"] = t["dataset"].fillna(label) if "dataset" in t else label
    meta = {
        "description": m.get("description", ""),
        "license": m.get("license", ""),
        "path": str(path),
        "crosswalks": crosswalks,
        "findings": tuple(p for p in problems if p.severity == "warning"),
    }
    return Network(name=str(m.get("name") or path.name), io=io, meta=meta, **tables)


def _read_io(path: Path, spec: dict[str, Any]) -> IOTables:
    try:
        Z = pd.read_csv(path / spec["Z"], header=[0, 1], index_col=[0, 1])
        Y = pd.read_csv(path / spec["Y"], header=[0, 1], index_col=[0, 1])
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(Problem(f"cannot read input-output tables: {exc}", file=str(path),
                                expected="io/Z.csv and io/Y.csv with two header rows and two index columns")) from None
    return IOTables(Z=Z, Y=Y, unit=str(spec.get("unit", "")), name=str(spec.get("name", "")))


def write_native(network: Network, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``network`` as a native folder at ``path``.

    Tables with no rows are not written. Everything goes to a temporary sibling
    folder first and is moved into place at the end.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (CLI: --overwrite) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tables = {}
        for comp, df in network.tables():
            if df.empty:
                continue
            fname = f"{comp}.csv"
            conform(comp, df).to_csv(tmp / fname, index=False, lineterminator="\n")
            tables[comp] = fname
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "name": network.name,
            "description": network.meta.get("description", ""),
            "license": network.meta.get("license", ""),
            "tables": tables,
        }
        cws = network.meta.get("crosswalks") or {}
        if cws:
            manifest["crosswalks"] = {}
            for fam, cw in cws.items():
                fname = f"crosswalk_{fam}.csv"
                cw.to_csv(tmp / fname, index=False, lineterminator="\n")
                manifest["crosswalks"][fam] = fname
        if network.io is not None:
            (tmp / "io").mkdir()
            network.io.Z.to_csv(tmp / "io" / "Z.csv")
            network.io.Y.to_csv(tmp / "io" / "Y.csv")
            manifest["io"] = {"Z": "io/Z.csv", "Y": "io/Y.csv", "unit": network.io.unit, "name": network.io.name}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path
