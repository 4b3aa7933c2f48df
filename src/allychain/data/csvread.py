"""Reading CSV files as text with clear errors (shared by every importer).

Rows are numbered as a text editor or spreadsheet shows them: the header is row 1,
and each record carries the line on which it *starts* (a quoted field spanning two
lines does not shift the record's number; the records after it are numbered by the
line they start on).  Blank lines are skipped but still counted.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from allychain.errors import DataError, Problem
from allychain.files import read_input
from allychain.model.validate import ROW

__all__ = ["read_text_csv", "parse_text_csv", "decode_text"]

_UTF8_HINT = "a UTF-8 encoded CSV file (in a spreadsheet: save as 'CSV UTF-8')"
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_text(data: bytes, name: str) -> str:
    """Decode ``data`` as UTF-8 (a byte-order mark is accepted and dropped).

    Raises
    ------
    DataError
        For UTF-16/UTF-32 files, bytes that are not UTF-8 (with the row and byte
        offset of the first one) and NUL bytes (with the row of the first one).
    """
    for bom, enc in _WIDE_BOMS:
        if data.startswith(bom):
            raise DataError(Problem(f"file is {enc} encoded", file=name, row=1, expected=_UTF8_HINT))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            Problem(
                f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                "(Latin-1 or Windows-1252 file?)",
                file=name,
                row=line,
                value=data[max(0, exc.start - 10) : exc.start + 10].decode("latin-1"),
                expected=_UTF8_HINT,
            )
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise DataError(
            Problem(
                "file contains NUL bytes (a binary file, or UTF-16 without byte-order mark?)",
                file=name,
                row=text.count("\n", 0, nul) + 1,
                expected=_UTF8_HINT,
            )
        )
    return text


def read_text_csv(path: Path, required: bool = True, root: Path | None = None) -> pd.DataFrame:
    """Read ``path`` as a table of strings (empty cell → ``None``), header on row 1.

    Accepts a UTF-8 byte-order mark and any line ending. The returned frame carries
    the row number of each record in column ``_row`` (see the module docstring).

    Parameters
    ----------
    path
        The CSV file.
    required
        Kept for callers of earlier versions; a missing file is always an error.
    root
        The data folder the file must stay inside once symbolic links are resolved
        (see :func:`allychain.files.read_input`: also only regular files are read).

    Raises
    ------
    DataError
        Naming the file (and row where known) for a missing, unreadable, empty,
        non-UTF-8 or malformed file, one that is not a regular file (a FIFO is refused
        at once), or one that leads outside ``root``.  Every row with the wrong number of fields is
        listed, as are every empty and every duplicate column name.
    """
    path = Path(path)
    name = str(path)
    data = read_input(path, root=root, what="CSV file")
    return parse_text_csv(data, name)


def parse_text_csv(data: bytes, name: str) -> pd.DataFrame:
    """Parse the bytes of a CSV file as :func:`read_text_csv` does a path.

    ``name`` is the file name the messages show (e.g. an uploaded file's name).

    Raises
    ------
    DataError
        For empty, non-UTF-8 or malformed text (see :func:`read_text_csv`).
    """
    text = decode_text(data, name)
    if not text.strip():
        raise DataError(Problem("file is empty", file=name, expected="a header row (and data rows)"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 1
    records: list[list[str | None]] = []
    starts: list[int] = []
    last = 0  # line on which the previous record ended
    try:
        for rec in reader:
            start, last = last + 1, reader.line_num
            if not rec or all(c.strip() == "" for c in rec):
                continue
            if header is None:
                header, header_line = rec, start
                continue
            records.append([None if c.strip() == "" else c for c in rec])
            starts.append(start)
    except csv.Error as exc:
        msg = str(exc)
        if "unexpected end of data" in msg:
            what = "unterminated quote: a field opened with '\"' is never closed"
            expected = "a closing '\"' (or no quote) in this row"
        else:
            what = f"malformed CSV: {msg}"
            expected = "valid CSV (a field containing a quote must be quoted, with inner quotes doubled)"
        raise DataError(Problem(what, file=name, row=last + 1, expected=expected)) from None
    assert header is not None  # the text is not blank, so some record exists
    header = [h.strip() for h in header]
    problems = []
    for i, h in enumerate(header):
        if h == "":
            problems.append(Problem(f"empty column name in header (column {i + 1})", file=name, row=header_line,
                                    expected="a name for every column"))
    for h in dict.fromkeys(h for h in header if h and header.count(h) > 1):
        problems.append(Problem(f"duplicate column name '{h}' in header", file=name, row=header_line,
                                column=h, expected="each column name once"))
    for record, line in zip(records, starts, strict=True):
        if len(record) != len(header):
            text = ",".join(c or "" for c in record)
            problems.append(
                Problem(
                    f"row has {len(record)} fields but the header has {len(header)}",
                    file=name,
                    row=line,
                    value=text if len(text) <= 80 else text[:77] + "...",
                    expected=f"{len(header)} comma-separated fields (truncated file, or an unquoted comma?)",
                )
            )
    if problems:
        raise DataError(problems)
    df = pd.DataFrame(records, columns=header, dtype=object)
    df[ROW] = starts
    return df
