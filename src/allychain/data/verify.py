"""Checks of a downloaded release before it may replace the cached copy.

A transfer can end early without any protocol error: a server that sends no
``Content-Length`` and closes the connection after a line gives a shorter, well-formed
CSV file.  So besides the per-file checks (non-empty, UTF-8, the expected header) every
table's **rows** and **SHA-256** are recorded in ``checksums.json`` and compared with the
copy being replaced: a table that lost rows is refused (the cached copy stays) unless
the caller accepts it (``--allow-fewer-rows``, for a release that really shrank).  The
ETO project publishes no checksums of its releases, so the record of the first download
is the reference, and every later download shows what changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from allychain.errors import DownloadError

__all__ = ["check_file", "sha256", "table_record", "previous_records", "compare_releases"]

_CHUNK = 1 << 16


def check_file(path: Path, url: str) -> int | None:
    """Non-empty, UTF-8, and (for a known ETO file) the expected header columns.

    Returns
    -------
    int or None
        The number of data rows (CSV records after the header, blank lines not
        counted) of a ``.csv`` file; ``None`` for other files.
    """
    data = path.read_bytes()
    if not data.strip():
        raise DownloadError(f"{url}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DownloadError(f"{url}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                            "the server sent something else than the CSV file") from None
    if path.suffix.lower() != ".csv":
        return None
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise DownloadError(f"{url}: not a readable CSV file ({exc}); the transfer may have been cut") from None
    header = records[0] if records else []
    from allychain.data.eto import REQUIRED

    spec = REQUIRED.get(path.name)
    if spec is not None:
        have = {h.strip().lower() for h in header}
        missing = [c for c, alts in spec.items() if not ({c, *alts} & have)]
        if missing:
            raise DownloadError(f"{url}: header lacks columns {', '.join(missing)} "
                                f"(got {', '.join(header[:8]) or 'none'}); is this the ETO dataset?")
    return max(0, len(records) - 1)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def table_record(path: Path, url: str) -> dict[str, Any]:
    """``{"sha256", "bytes", "rows"}`` of a checked file (``rows`` only for CSV files)."""
    rows = check_file(path, url)
    rec: dict[str, Any] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    if rows is not None:
        rec["rows"] = rows
    return rec


def previous_records(folder: Path, names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Records of the tables of the copy about to be replaced (empty when there is none).

    Computed from the files themselves, so a copy made by hand counts as much as one
    downloaded; files that cannot be read as such are left out."""
    from allychain.errors import DataError
    from allychain.files import read_input

    out: dict[str, dict[str, Any]] = {}
    for name in names:
        p = folder / name
        if not p.is_file():
            continue
        try:
            data = read_input(p, root=folder)
            text = data.decode("utf-8-sig")
            rows = sum(1 for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)) - 1
        except (DataError, UnicodeDecodeError, csv.Error):
            continue
        out[name] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": max(0, rows)}
    return out


def compare_releases(previous: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]],
                     allow_fewer_rows: bool = False) -> dict[str, str]:
    """What changed per table between the cached copy and the download.

    Returns
    -------
    dict
        File name → ``"new"``, ``"unchanged"`` or ``"changed: R1 → R2 rows"``.

    Raises
    ------
    DownloadError
        A table has fewer rows than in the cached copy (and ``allow_fewer_rows`` is
        false): most likely a transfer cut short at a line boundary.
    """
    changes: dict[str, str] = {}
    shrunk = []
    for name, rec in new.items():
        old = previous.get(name)
        if old is None:
            changes[name] = "new"
        elif old["sha256"] == rec["sha256"]:
            changes[name] = "unchanged"
        else:
            before, after = old.get("rows"), rec.get("rows")
            changes[name] = f"changed: {before:,} → {after:,} rows" if before is not None and after is not None \
                else "changed"
            if before is not None and after is not None and after < before:
                shrunk.append(f"{name}: {after:,} rows, the cached copy has {before:,}")
    if shrunk and not allow_fewer_rows:
        raise DownloadError("the download has fewer rows than the cached copy — most likely a transfer cut short; "
                            "nothing was replaced:\n  - " + "\n  - ".join(shrunk)
                            + "\nIf the release really shrank, download again with --allow-fewer-rows.")
    return changes
