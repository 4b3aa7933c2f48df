"""Reading CSV files as text with clear errors (shared by every importer)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from allychain.errors import DataError, Problem
from allychain.model.validate import ROW

__all__ = ["read_text_csv"]

_LINE = re.compile(r"line (\d+)")


def read_text_csv(path: Path, required: bool = True) -> pd.DataFrame:
    """Read ``path`` as a table of strings (empty cell → ``None``), header on row 1.

    Accepts a UTF-8 byte-order mark. Raises :class:`DataError` naming the file (and
    row where known) for a missing, empty, non-UTF-8 or malformed file. The returned
    frame carries the spreadsheet row number of each record in column ``_row``.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise DataError(Problem("file not found", file=name, expected="an existing CSV file"))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            Problem(
                f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}",
                file=name,
                row=line,
                expected="a UTF-8 encoded CSV file (save it as 'CSV UTF-8')",
            )
        ) from None
    if "\x00" in text:
        raise DataError(Problem("file contains NUL bytes (binary or UTF-16?)", file=name,
                                expected="a UTF-8 encoded CSV file"))
    if not text.strip():
        raise DataError(Problem("file is empty", file=name, expected="a header row and data rows"))
    # Row numbers: count physical records with the csv module (quoted newlines allowed)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader)
        records = []
        starts = []
        for rec in reader:
            if not rec or all(c.strip() == "" for c in rec):
                continue
            records.append(rec)
            starts.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(
            Problem(f"malformed CSV: {exc}", file=name, row=reader.line_num,
                    expected="valid CSV (check quotes and delimiters)")
        ) from None
    header = [h.strip() for h in header]
    if any(h == "" for h in header):
        i = header.index("")
        raise DataError(Problem(f"empty column name in header (column {i + 1})", file=name, row=1,
                                expected="a name for every column"))
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise DataError(Problem(f"duplicate column names {dup}", file=name, row=1,
                                expected="each column name once"))
    problems = []
    for rec, line in zip(records, starts):
        if len(rec) != len(header):
            problems.append(
                Problem(
                    f"row has {len(rec)} fields but the header has {len(header)}",
                    file=name,
                    row=line,
                    expected=f"{len(header)} comma-separated fields (truncated file or stray comma?)",
                )
            )
    if problems:
        raise DataError(problems)
    df = pd.DataFrame(records, columns=header, dtype=object)
    df = df.map(lambda v: None if v.strip() == "" else v)
    df[ROW] = starts
    return df
