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

import io
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allychain import schema
from allychain.data.csvread import decode_text, read_text_csv
from allychain.durable import check_output, output_folder
from allychain.errors import DataError, Problem
from allychain.files import read_input
from allychain.model import invariants
from allychain.model.network import IOTables, Network, conform
from allychain.model.validate import ROW, check_references, coerce_table, errors, find_cycles

__all__ = ["read_native", "write_native", "check_destination", "is_native", "FORMAT", "VERSION"]

FORMAT = "allychain-network"
VERSION = 1
CROSSWALK_COLUMNS = ["kind", "id", "external_id"]


def is_native(path: Path) -> bool:
    path = Path(path)
    return (path / "manifest.json").exists() or any((path / f"{c}.csv").exists() for c in schema.COMPONENTS)


def _manifest(path: Path) -> dict[str, Any]:
    """The manifest (or one made up from the ``<table>.csv`` files present), checked.

    Every problem in the manifest is collected before raising.
    """
    mf = path / "manifest.json"
    if not mf.exists():
        tables = {c: f"{c}.csv" for c in schema.COMPONENTS if (path / f"{c}.csv").exists()}
        if not tables:
            raise DataError(
                Problem("no network tables found", file=str(path),
                        expected="manifest.json or files such as nodes.csv, items.csv, shares.csv")
            )
        return {"format": FORMAT, "version": VERSION, "name": path.name, "tables": tables}
    where = str(mf)
    try:
        m = json.loads(decode_text(read_input(mf, root=path, what="manifest"), where))
    except json.JSONDecodeError as exc:
        raise DataError(Problem(f"manifest is not valid JSON: {exc.msg}", file=where, row=exc.lineno,
                                expected="a JSON object (see docs/formats.md)")) from None
    except RecursionError:
        raise DataError(Problem("manifest is nested too deeply to read (thousands of levels of [ or {)", file=where,
                                expected="a JSON object a few levels deep (see docs/formats.md)")) from None
    except OSError as exc:
        raise DataError(Problem(f"cannot read manifest: {exc.strerror or exc}", file=where,
                                expected="a readable manifest.json")) from None
    if not isinstance(m, dict):
        raise DataError(Problem("manifest must be a JSON object", file=where, value=type(m).__name__,
                                expected='{"format": "allychain-network", "version": 1, "tables": {...}}'))
    problems: list[Problem] = []
    if m.get("format") != FORMAT:
        problems.append(Problem("unknown format in manifest", file=where, column="format",
                                value=m.get("format"), expected=f"'{FORMAT}'"))
    if m.get("version") != VERSION:
        problems.append(Problem("unsupported format version", file=where, column="version",
                                value=m.get("version"), expected=f"{VERSION} (this allychain reads version {VERSION})"))
    tables = m.get("tables", {})
    if not isinstance(tables, dict):
        problems.append(Problem("manifest 'tables' must map table names to file names", file=where,
                                column="tables", value=tables, expected='{"items": "items.csv", ...}'))
    else:
        bad = [k for k in tables if k not in schema.COMPONENTS]
        if bad:
            problems.append(Problem("unknown tables in manifest", file=where, column="tables", value=bad,
                                    expected="some of " + ", ".join(schema.COMPONENTS)))
        for comp, fname in tables.items():
            problems.extend(_check_member(path, fname, where, f"tables.{comp}"))
        if not tables and not m.get("io"):
            problems.append(Problem("manifest lists no tables", file=where, column="tables", value={},
                                    expected='at least one table, e.g. {"nodes": "nodes.csv"}'))
    for section in ("crosswalks", "io"):
        spec = m.get(section)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            problems.append(Problem(f"manifest '{section}' must be a JSON object", file=where, column=section,
                                    value=spec, expected="see docs/formats.md"))
            continue
        members = spec.items() if section == "crosswalks" else ((k, spec.get(k)) for k in ("Z", "Y"))
        for k, member in members:
            problems.extend(_check_member(path, member, where, f"{section}.{k}"))
    if problems:
        raise DataError(problems)
    return m


def _check_member(folder: Path, fname: object, manifest: str, column: str) -> list[Problem]:
    """A file named by the manifest must be a relative path inside the folder."""
    if not isinstance(fname, str) or not fname.strip():
        return [Problem("file name must be text", file=manifest, column=column, value=fname,
                        expected="a file name relative to the folder, e.g. \"items.csv\"")]
    p = Path(fname)
    if p.is_absolute() or ".." in p.parts:
        return [Problem("file must lie inside the dataset folder", file=manifest, column=column, value=fname,
                        expected="a relative path without '..'")]
    return []


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
            df = read_text_csv(fpath, root=path)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        df, found = coerce_table(comp, df, str(fpath))
        raw[comp] = df
        problems.extend(found)
    # ids across tables: checked against every table that could be read, so that a bad
    # value in one file does not hide an unknown id in another
    order = {f: i for i, f in enumerate(files.values())}
    refs = check_references(raw, files)
    problems.extend(sorted(refs, key=lambda p: (order.get(p.file or "", len(order)), p.row or 0)))
    if "relations" in raw:
        problems.extend(find_cycles(raw["relations"], files["relations"]))
    crosswalks = {}
    for fam, fname in (m.get("crosswalks") or {}).items():
        try:
            cw = read_text_csv(path / fname, root=path)
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
    out = Network(name=str(m.get("name") or path.name), io=io, meta=meta, **tables)
    if invariants.enabled():
        invariants.guard_network(out)
    return out


def _read_io(path: Path, spec: dict[str, Any]) -> IOTables:
    """Read ``Z`` and ``Y`` (two header rows, two index columns, as pandas writes a
    ``(region, sector)`` MultiIndex); every non-numeric or empty cell is a problem."""
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    files = {key: path / spec[key] for key in ("Z", "Y")}
    layout = "two header rows (region, sector or category) and two index columns (region, sector)"
    for key, f in files.items():
        if not os.path.lexists(f):
            problems.append(Problem("file not found", file=str(f), expected=f"the {key} table named in the manifest"))
            continue
        try:
            raw = read_input(f, root=path, what=f"{key} table")
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        try:
            df = pd.read_csv(io.BytesIO(raw), header=[0, 1], index_col=[0, 1])
        except (OSError, ValueError, IndexError, TypeError, pd.errors.ParserError) as exc:
            problems.append(Problem(f"cannot read the {key} table: {exc}", file=str(f), expected=layout))
            continue
        num = df.apply(pd.to_numeric, errors="coerce").astype(float)
        bad = num.isna().to_numpy() | ~np.isfinite(num.to_numpy())
        for i, j in zip(*np.nonzero(bad), strict=True):
            r, c = df.index[i], df.columns[j]
            v = df.iat[i, j]
            problems.append(
                Problem(f"row {'/'.join(map(str, r))}: not a finite number", file=str(f), column="/".join(map(str, c)),
                        value=None if pd.isna(v) else str(v), expected="a finite number (empty cells are not allowed)")
            )
        frames[key] = num
    if problems:
        raise DataError(problems)
    try:
        return IOTables(Z=frames["Z"], Y=frames["Y"], unit=str(spec.get("unit", "")), name=str(spec.get("name", "")))
    except DataError as exc:
        raise DataError([replace(p, file=str(files[p.file]) if p.file in files else p.file)
                         for p in exc.problems]) from None


def write_native(network: Network, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``network`` as a native folder at ``path``.

    Tables with no rows are not written.  Everything goes to a temporary sibling
    folder first and is moved into place at the end; if anything fails, the
    temporary folder is removed and an existing ``path`` is left as it was.

    Parameters
    ----------
    overwrite
        Replace an existing folder.  Only an empty folder or a folder in the native
        format (one with an allychain ``manifest.json``) is replaced, so a mistyped
        destination never deletes unrelated files.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false, or it exists but is not an
        empty or native-format folder.
    OutputError
        ``path`` is a file, cannot be written, or another run is writing it (see
        :mod:`allychain.durable`: one writer at a time, modes kept, leftovers of
        killed runs removed).
    OSError
        If writing fails (the destination is then unchanged).
    """
    path = check_destination(path, overwrite)
    with output_folder(path, accept=_replaceable, what="destination") as tmp:
        _write_folder(network, tmp)
    return path


def check_destination(path: str | Path, overwrite: bool = False) -> Path:
    """Check a :func:`write_native` destination before any work (see its Raises)."""
    path = Path(path)
    if (path.exists() or path.is_symlink()) and not path.is_dir():
        raise FileExistsError(f"{path} exists and is not a folder; a folder is expected here")
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True (CLI: --overwrite) to replace it")
        if not _replaceable(path):
            raise FileExistsError(f"{path} exists and is not an allychain native-format folder (no manifest.json "
                                  "naming format 'allychain-network'); refusing to replace it")
    check_output(path, "folder", overwrite=True, what="destination")
    return path


def _replaceable(path: Path) -> bool:
    if path.is_symlink() or not path.is_dir():
        return False
    if not any(path.iterdir()):
        return True
    try:
        m = json.loads((path / "manifest.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(m, dict) and m.get("format") == FORMAT


def _write_folder(network: Network, folder: Path) -> None:
    tables = {}
    for comp, df in network.tables():
        if df.empty:
            continue
        fname = f"{comp}.csv"
        conform(comp, df).to_csv(folder / fname, index=False, lineterminator="\n")
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
            cw.to_csv(folder / fname, index=False, lineterminator="\n")
            manifest["crosswalks"][fam] = fname
    if network.io is not None:
        (folder / "io").mkdir()
        network.io.Z.to_csv(folder / "io" / "Z.csv", lineterminator="\n")
        network.io.Y.to_csv(folder / "io" / "Y.csv", lineterminator="\n")
        manifest["io"] = {"Z": "io/Z.csv", "Y": "io/Y.csv", "unit": network.io.unit, "name": network.io.name}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
