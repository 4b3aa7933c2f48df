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
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from allychain.errors import DataError, Problem
from allychain.files import read_input
from allychain.model.columns import INVISIBLE, capped, describe_chars
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
    """Read ``path`` as a table of strings (blank cell → missing), header on row 1.

    Accepts a UTF-8 byte-order mark and any line ending. The returned frame carries
    the row number of each record in column ``_row`` (see the module docstring).
    Text columns are pandas string columns (Arrow-backed when pyarrow is installed);
    a blank or whitespace-only cell is missing (``NA``).

    A file without any ``"`` is split into lines and parsed by pandas' C reader in
    one go; a file with quotes goes through Python's :mod:`csv` reader, which knows
    where each quoted record starts.  Either way the cost is linear in the size of
    the file and the problems found are the same.

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
        at once), or one that leads outside ``root``.  Rows with the wrong number of
        fields are listed (up to the problem cap, the rest counted), as are every empty
        and every duplicate column name and header names holding a byte-order mark or
        other invisible characters.
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
    del data
    if not text.strip():
        raise DataError(Problem("file is empty", file=name, expected="a header row (and data rows)"))
    if '"' in text:
        header, header_line, records, starts = _records_quoted(text, name)
        counts = np.fromiter((len(r) for r in records), dtype=np.int64, count=len(records))
        cells_of: Callable[[int], list[str]] = records.__getitem__
    else:
        plain = _Plain(text)
        header, header_line, starts, counts = plain.header, plain.header_line, plain.starts, plain.counts
        cells_of = plain.cells
    header = [h.strip() for h in header]
    problems = _header_problems(header, header_line, name)
    bad = np.flatnonzero(counts != len(header))
    problems += capped(bad, lambda i: _width_problem(cells_of(i), int(starts[i]), len(header), name))
    if problems:
        raise DataError(problems)
    df = _frame(header, records) if '"' in text else plain.frame(header)
    df[ROW] = starts
    return df


class _Plain:
    """A CSV text without quotes: every non-blank line is one record.

    Lines, blank lines and field counts are found with numpy on the UTF-8 bytes
    (no Python loop over lines); pandas' C reader then parses the records.
    """

    def __init__(self, text: str) -> None:
        self.text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.raw = self.text.encode("utf-8")
        b = np.frombuffer(self.raw, dtype=np.uint8)
        self.bytes = b
        ends = np.flatnonzero(b == 10)
        self.lo = np.concatenate(([0], ends + 1))
        self.hi = np.concatenate((ends, [len(b)]))
        commas = np.flatnonzero(b == 44)
        counts = np.searchsorted(commas, self.hi) - np.searchsorted(commas, self.lo) + 1
        # a line is blank when it holds only whitespace and commas; lines without any
        # printable ASCII other than ',' are checked one by one (Unicode whitespace)
        content = (b > 32) & (b < 127) & (b != 44)
        nonempty = self.hi > self.lo
        has = np.zeros(len(self.lo), dtype=bool)
        if nonempty.any():
            has[nonempty] = np.logical_or.reduceat(content, self.lo[nonempty])
        blank = ~has
        for i in np.flatnonzero(~has & nonempty):
            blank[i] = not self.line(int(i)).replace(",", "").strip()
        kept = np.flatnonzero(~blank)
        self.h = int(kept[0])
        self.header = self.line(self.h).split(",")
        self.header_line = self.h + 1
        self.records = kept[1:]
        self.starts = self.records + 1
        self.counts = counts[self.records]
        self.skip = np.flatnonzero(blank[: self.records[-1] + 1] if len(self.records) else blank)

    def _arrow(self, header: list[str]) -> pd.DataFrame | None:
        """Parse with pyarrow's multi-threaded CSV reader when every blank line is empty (else None)."""
        if (self.hi[self.skip] > self.lo[self.skip]).any():
            return None  # lines of only commas/spaces: pyarrow would read them as records
        try:
            import pyarrow as pa
            import pyarrow.csv as pacsv
        except ImportError:
            return None
        body = pa.py_buffer(memoryview(self.raw)[int(self.lo[self.h + 1]):] if self.h + 1 < len(self.lo) else b"")
        try:
            table = pacsv.read_csv(
                body,
                read_options=pacsv.ReadOptions(column_names=header),
                parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False, newlines_in_values=False,
                                                 ignore_empty_lines=True),
                convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False))
        except (pa.ArrowInvalid, ValueError):
            return None
        if table.num_rows != len(self.records):
            return None
        df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
        return _blanks_missing(df, header)

    def line(self, i: int) -> str:
        return bytes(self.bytes[self.lo[i]:self.hi[i]]).decode("utf-8")

    def cells(self, k: int) -> list[str]:
        return self.line(int(self.records[k])).split(",")

    def frame(self, header: list[str]) -> pd.DataFrame:
        dtype = _string_dtype()
        if not len(self.records):
            return pd.DataFrame({h: pd.Series([], dtype=dtype) for h in header})
        fast = self._arrow(header)
        if fast is not None:
            return fast
        skip = sorted(set(range(self.h + 1)) | {int(i) for i in self.skip})
        df = pd.read_csv(io.StringIO(self.text), header=None, names=header, dtype=dtype, na_filter=False,
                         keep_default_na=False, quoting=csv.QUOTE_NONE, engine="c", index_col=False,
                         skiprows=skip if len(skip) > self.h + 1 else self.h + 1, skip_blank_lines=False,
                         nrows=len(self.records))
        return _blanks_missing(df, header)


def _records_quoted(text: str, name: str) -> tuple[list[str], int, list[list[str]], np.ndarray]:
    """Header, header line, records and start lines, read with :mod:`csv` (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 1
    records: list[list[str]] = []
    starts: list[int] = []
    last = 0  # line on which the previous record ended
    try:
        for rec in reader:
            start, last = last + 1, reader.line_num
            if not rec or not "".join(rec).strip():
                continue
            if header is None:
                header, header_line = rec, start
                continue
            records.append(rec)
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
    return header, header_line, records, np.asarray(starts, dtype=np.int64)


def _header_problems(header: list[str], line: int, name: str) -> list[Problem]:
    problems = []
    for i, h in enumerate(header):
        if h == "":
            problems.append(Problem(f"empty column name in header (column {i + 1})", file=name, row=line,
                                    expected="a name for every column"))
        hidden = [(p, c) for p, c in enumerate(h) if c in INVISIBLE]
        if hidden:
            what = ("a byte-order mark (U+FEFF)" if any(c == "\ufeff" for _, c in hidden)
                    else "invisible characters")
            clean = "".join(c for c in h if c not in INVISIBLE).strip()
            problems.append(Problem(f"column name '{clean}' (column {i + 1}) contains {what}: "
                                    f"{describe_chars(hidden)}", file=name, row=line, column=clean,
                                    value=h, expected="column names without byte-order marks or invisible "
                                    "characters (a file pasted together from several files? save as 'CSV UTF-8' once)"))
    for h in dict.fromkeys(h for h in header if h and header.count(h) > 1):
        problems.append(Problem(f"duplicate column name '{h}' in header", file=name, row=line,
                                column=h, expected="each column name once"))
    return problems


def _width_problem(cells: list[str], line: int, width: int, name: str) -> Problem:
    text = ",".join("" if not c.strip() else c for c in cells)
    return Problem(f"row has {len(cells)} fields but the header has {width}", file=name, row=line,
                   value=text if len(text) <= 80 else text[:77] + "...",
                   expected=f"{width} comma-separated fields (truncated file, or an unquoted comma?)")


def _frame(header: list[str], records: list[list[str]]) -> pd.DataFrame:
    """Records read by :mod:`csv` as string columns, blank cells missing."""
    dtype = _string_dtype()
    if not records:
        return pd.DataFrame({h: pd.Series([], dtype=dtype) for h in header})
    return _blanks_missing(pd.DataFrame(records, columns=header, dtype=object).astype(dtype), header)


def _blanks_missing(df: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    for h in header:
        col = df[h]
        df[h] = col.mask((col.str.strip() == "").fillna(True))
    return df.reset_index(drop=True)


def _string_dtype() -> str:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "object"
    return "string[pyarrow]"
