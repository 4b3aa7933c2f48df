"""The local indicator store: series kept in a file of the user data folder when no workspace is used.

``<data dir>/watch/indicators.csv`` (the data dir: ``$ALLYCHAIN_DATA_DIR``, else
``$XDG_DATA_HOME/allychain``, else ``~/.local/share/allychain`` — the same rule as the
embedded workspace) holds one indicator table (``schema/indicators.csv``).  Ingesting a
file checks it whole first (:func:`allychain.watch.importers.read_indicators`), then
merges it: rows with the key of a stored row replace it, others are added.  The file is
written to a temporary file and renamed over the old one, so a failed ingest leaves the
store as it was.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from allychain.errors import DataError, Problem

__all__ = ["store_path", "load_indicators", "ingest", "IngestReport"]

log = logging.getLogger(__name__)


def store_path(root: str | Path | None = None) -> Path:
    """The store file: ``root/watch/indicators.csv`` (default root: the user data folder)."""
    if root is None:
        env = os.environ.get("ALLYCHAIN_DATA_DIR")
        xdg = os.environ.get("XDG_DATA_HOME")
        root = Path(env).expanduser() if env else (
            (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "allychain")
    return Path(root) / "watch" / "indicators.csv"


def load_indicators(root: str | Path | None = None) -> pd.DataFrame:
    """The stored table (empty when nothing was ingested)."""
    from allychain.watch.indicators import empty, validated

    p = store_path(root)
    if not p.exists():
        return empty()
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    raw["value"] = pd.to_numeric(raw["value"].replace("", None), errors="coerce")
    return validated(raw, str(p))


@dataclass
class IngestReport:
    """What an ingest did: rows read, added and replaced, the store's size, warnings."""

    file: str
    layout: str
    rows_read: int
    added: int
    replaced: int
    stored: int
    warnings: list[Problem] = field(default_factory=list)


def ingest(path: str | Path, layout: str = "long", root: str | Path | None = None) -> IngestReport:
    """Read ``path`` in ``layout`` and merge it into the store (all or nothing).

    Raises
    ------
    DataError
        The file's problems; the store is not touched.
    """
    from allychain.watch.importers import read_indicators
    from allychain.watch.indicators import COLUMNS, KEY

    got = read_indicators(path, layout)
    old = load_indicators(root)
    new = got.table
    k_old = pd.MultiIndex.from_frame(old[KEY]) if len(old) else pd.MultiIndex.from_tuples([], names=KEY)
    k_new = pd.MultiIndex.from_frame(new[KEY])
    replaced = int(k_old.isin(k_new).sum()) if len(old) else 0
    merged = pd.concat([old[~k_old.isin(k_new)] if len(old) else old, new], ignore_index=True)[COLUMNS]
    merged = merged.sort_values(KEY, kind="stable").reset_index(drop=True)
    p = store_path(root)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".indicators-", suffix=".csv", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            merged.to_csv(fh, index=False)
        os.replace(tmp, p)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise DataError(Problem(f"cannot write the indicator store: {e}", file=str(p))) from None
    log.info("%s: %d rows stored (%d added, %d replaced)", p, len(merged), len(new) - replaced, replaced)
    return IngestReport(str(path), layout, len(new), len(new) - replaced, replaced, len(merged), got.warnings)
