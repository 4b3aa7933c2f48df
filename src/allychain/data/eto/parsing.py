"""Text parsing of ETO cells: market sizes, sources, flags (no I/O)."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import pandas as pd

__all__ = ["DATASET", "negligible", "parse_market_size", "source_row", "txt"]

DATASET = "eto"

_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_STRAY_LINK = re.compile(r"\]\(([^)]*)\)")
_MONEY = re.compile(
    r"^\s*(?:US\s*|USD\s*)?\$\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>trillion|billion|million|thousand|tn|bn|mn|[tbmk])?\b"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_SCALE = {"trillion": 1e12, "tn": 1e12, "t": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9,
          "million": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3, "": 1.0}
_YEAR_IN_PARENS = re.compile(r"\(\s*((?:19|20)\d{2})\s*\)")


def parse_market_size(text: str | None, year: int | None = None) -> tuple[float, int | None]:
    """Parse an ETO market-size text into US dollars and a year.

    Parameters
    ----------
    text
        E.g. ``"$574 billion (2022)"``, ``"$296 million (2025)"``, ``"$10.9 billion"``.
    year
        Year to use when the text states none (the ``year`` column of ``inputs.csv``).

    Returns
    -------
    (usd, year)
        ``usd`` is NaN when the text is empty or unparseable (unknown, never 0);
        ``year`` is the last four-digit year in parentheses, else ``year``.

    Examples
    --------
    >>> parse_market_size("$574 billion (2022)")
    (574000000000.0, 2022)
    >>> parse_market_size("$56.2 billion (microprocessors) (2019)")
    (56200000000.0, 2019)
    >>> parse_market_size("$10.9 billion", year=2025)
    (10900000000.0, 2025)
    >>> parse_market_size("not stated")
    (nan, None)
    """
    if txt(text) is None:
        return math.nan, None
    m = _MONEY.match(str(text))
    if not m:
        return math.nan, None
    value = float(m.group("num").replace(",", "")) * _SCALE[(m.group("unit") or "").lower()]
    years = _YEAR_IN_PARENS.findall(m.group("rest"))
    return value, int(years[-1]) if years else year


def source_id_of(text: str) -> str:
    return "eto-src-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def source_row(text: str) -> dict[str, Any]:
    """A ``sources`` row from a source text: title without markdown links, url = first link."""
    links = _MD_LINK.findall(text)
    title = _MD_LINK.sub(lambda m: m.group(1), text)
    title = _STRAY_LINK.sub("", title)
    title = re.sub(r"\s+", " ", title).strip() or text.strip()
    url = None
    if links:
        url = links[0][1].split(",")[0].strip() or None
    else:
        bare = re.search(r"https?://\S+", text)
        url = bare.group(0).rstrip(").,;") if bare else None
    return {"source_id": source_id_of(text), "title": title, "url": url, "dataset": DATASET}


def txt(v: object) -> str | None:
    """A cell as stripped text; ``None`` when empty or missing."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    t = str(v).strip()
    return t or None



_YES = {"negligible", "true", "t", "yes", "y", "1", "x"}
_NO = {"false", "f", "no", "n", "0", "not negligible"}


def negligible(v: object) -> object:
    """``negligible_market_share`` cell → "true"/"false"; releases write "negligible", "Negligible", TRUE."""
    t = txt(v)
    if t is None:
        return None
    key = t.lower()
    return "true" if key in _YES else "false" if key in _NO else t

