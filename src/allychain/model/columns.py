"""Column-wise coercion of raw text cells into typed columns, with capped problem lists.

The boundary validator (:func:`allychain.model.validate.coerce_table`) works one
*column* at a time with pandas/numpy operations, never one row at a time in Python:
the cost of checking a table grows linearly with its size and stays within a small
multiple of a plain ``pandas.read_csv`` of the same file (see
``benchmarks/bench_validate.py``).  Only the cells that fail the fast path (a few in
a good file) are looked at one by one, to say precisely what is wrong with them.

Problem lists are capped: each check of each column lists at most
:func:`max_problems` rows and then one summary problem that counts the rest
(:attr:`Problem.omitted`), so a file with millions of bad cells costs memory in
proportion to the cap, not to the file.  Set ``ALLYCHAIN_MAX_PROBLEMS`` to change the
cap (default 100 per check and column).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from allychain.errors import Problem

__all__ = ["max_problems", "capped", "text_cells", "parse_numbers", "parse_bools", "script_problems",
           "MAX_PROBLEMS_ENV", "DEFAULT_MAX_PROBLEMS"]

MAX_PROBLEMS_ENV = "ALLYCHAIN_MAX_PROBLEMS"
#: Problems listed per check and column before the rest are only counted.
DEFAULT_MAX_PROBLEMS = 100

_NUM = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
#: Scripts whose letters look alike (Latin a / Cyrillic а / Greek α): an id mixing them is a look-alike trap.
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
#: Characters that show as nothing (zero-width, BOM, word joiner, soft hyphen).
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def max_problems() -> int:
    """The cap on listed problems per check and column (``$ALLYCHAIN_MAX_PROBLEMS``, default 100)."""
    try:
        return max(1, int(os.environ.get(MAX_PROBLEMS_ENV, DEFAULT_MAX_PROBLEMS)))
    except ValueError:
        return DEFAULT_MAX_PROBLEMS


def capped(indices: np.ndarray | list[int], make: Callable[[int], Problem], limit: int | None = None) -> list[Problem]:
    """Problems for the positions ``indices`` (in order), at most ``limit`` of them listed.

    When more positions fail, one more problem — made for the first unlisted
    position — says how many were not listed and carries that count in
    :attr:`Problem.omitted`.  Cost: O(limit), whatever ``len(indices)``.
    """
    lim = max_problems() if limit is None else limit
    idx = np.asarray(indices)
    out = [make(int(i)) for i in idx[:lim]]
    rest = len(idx) - lim
    if rest > 0:
        first = make(int(idx[lim]))
        out.append(replace(first, message=f"{rest:,} more rows with this problem are not listed "
                                          f"(from row {first.row}): {first.message}", value=None, omitted=rest))
    return out


def _arrow_strings() -> str | None:
    """The pandas dtype of pyarrow-backed strings, when pyarrow is installed."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    return "string[pyarrow]"


def text_cells(col: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(stripped text of every cell, blank mask).

    A cell is blank when it is missing (None, NaN, NA) or only whitespace.  Cells
    that are not text (numbers or booleans handed over by a caller) are turned into
    their ``str``.  With pyarrow installed the text is an Arrow-backed string
    Series and every operation on it runs in Arrow's compute kernels; without, an
    object Series.
    """
    missing = col.isna().to_numpy(dtype=bool)
    arrow = _arrow_strings()
    if arrow is not None:
        text = col.astype(arrow).str.strip()
    else:
        obj = col.astype(object)
        if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
            obj = obj.map(lambda v: v if isinstance(v, str) else str(v), na_action="ignore")
        text = obj.str.strip()
    blank = missing | (text == "").fillna(True).to_numpy(dtype=bool)
    return text, blank


def _to_float(text: pd.Series, blank: np.ndarray) -> np.ndarray:
    """Fast parse of every cell (NaN where a cell does not parse)."""
    cells = text.where(~blank)
    try:  # Arrow's cast accepts exactly the decimal syntax allychain accepts (plus nan/inf, re-checked)
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(cells.array if hasattr(cells.array, "__arrow_array__") else cells.astype(object),
                       type=pa.string(), from_pandas=True)
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=float).copy()
    except Exception:  # noqa: BLE001 — pyarrow missing, or some cell is not a number: the general path
        pass
    try:
        return np.asarray(pd.to_numeric(cells.astype(object), errors="coerce"), dtype=float).copy()
    except (OverflowError, TypeError, ValueError):  # integers beyond 64 bits on some pandas versions
        return np.full(len(text), np.nan)


def parse_numbers(text: pd.Series, blank: np.ndarray, percent_ok: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parse stripped text cells as numbers.

    Returns
    -------
    (values, status)
        ``values`` float64 (NaN where blank or bad); ``status`` int8 per cell:
        0 parsed (or blank), 1 not a number, 2 a number too large to be finite
        (``1e309``, a 400-digit integer).  The words ``nan`` and ``inf`` are not
        numbers.
    """
    status = np.zeros(len(text), dtype=np.int8)
    values = _to_float(text, blank)
    # cells the fast parser did not turn into a finite number (a few in a good file, maybe
    # millions in a bad one): clean them and match the number syntax column-wise too
    idx = np.flatnonzero(~blank & ~np.isfinite(values))
    if not len(idx):
        return values, status
    sub = text.iloc[idx].str.replace("\u00a0", "", regex=False).str.strip()
    if percent_ok:
        sub = sub.str.replace(r"%$", "", regex=True).str.strip()
    syntax = sub.str.fullmatch(_NUM.pattern).fillna(False).to_numpy(dtype=bool)
    values[idx] = np.nan
    status[idx[~syntax]] = 1
    good = idx[syntax]
    if len(good):
        parsed = np.array([float(t) for t in sub[syntax].tolist()], dtype=float)  # digits only: float() is safe
        finite = np.isfinite(parsed)
        values[good[finite]] = parsed[finite]
        status[good[~finite]] = 2
    return values, status


def parse_bools(text: pd.Series, blank: np.ndarray) -> tuple[pd.arrays.BooleanArray, np.ndarray]:
    """(boolean array, bad mask) for cells reading true/t/yes/y/1 or false/f/no/n/0 (any case)."""
    low = text.str.lower().astype(object)
    true = low.isin(_TRUE).to_numpy(dtype=bool) & ~blank
    false = low.isin(_FALSE).to_numpy(dtype=bool) & ~blank
    bad = ~blank & ~true & ~false
    out = pd.array(np.where(true, True, False), dtype="boolean")
    out[~(true | false)] = pd.NA
    return out, bad


def _scripts(text: str) -> dict[str, list[tuple[int, str]]]:
    """Letters of ``text`` by confusable script: script → [(position, char)]."""
    found: dict[str, list[tuple[int, str]]] = {}
    for pos, ch in enumerate(text):
        if not ch.isalpha():
            continue
        script = unicodedata.name(ch, "").split(" ")[0]
        if script in _CONFUSABLE_SCRIPTS:
            found.setdefault(script, []).append((pos, ch))
    return found


def describe_chars(chars: list[tuple[int, str]]) -> str:
    """``U+0430 CYRILLIC SMALL LETTER A at position 2, …`` (positions 1-based)."""
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')} at position {p + 1}" for p, c in chars[:5])


def script_problem(value: str) -> str | None:
    """Why ``value`` is a dangerous id (mixed Latin/Cyrillic/Greek letters, invisible characters), or None."""
    hidden = [(p, c) for p, c in enumerate(value) if c in INVISIBLE]
    if hidden:
        return f"id contains invisible characters ({describe_chars(hidden)})"
    scripts = _scripts(value)
    if len(scripts) < 2:
        return None
    # the minority script's letters are the look-alikes
    major = max(scripts, key=lambda s: len(scripts[s]))
    odd = sorted(pc for s, lst in scripts.items() if s != major for pc in lst)
    names = " and ".join(s.title() for s in sorted(scripts, key=lambda s: s != major))
    return f"id mixes {names} letters, which look alike ({describe_chars(odd)})"


def script_problems(text: pd.Series, blank: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Positions of id cells with look-alike or invisible characters, and why each one.

    Only non-ASCII cells are examined one by one (ASCII ids cannot mix scripts).
    """
    ascii_ok = text.str.isascii().fillna(True).to_numpy(dtype=bool)
    pos: list[int] = []
    why: list[str] = []
    for i in np.flatnonzero(~blank & ~ascii_ok):
        reason = script_problem(str(text.iat[i]))
        if reason:
            pos.append(int(i))
            why.append(reason)
    return np.asarray(pos, dtype=np.int64), why


def read_text_table(text: str) -> pd.DataFrame:
    r"""A CSV text as a table of strings (empty cells as ``""``), each row's file line in ``_line`` —
    the raw form the parameter tables (talent, energy) are checked in, cell by cell.

    >>> read_text_table("a,b\n1,\n")[["a", "b", "_line"]].values.tolist()
    [['1', '', 2]]
    """
    import io

    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    df["_line"] = np.arange(2, len(df) + 2)
    return df
