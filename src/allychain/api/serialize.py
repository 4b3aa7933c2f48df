"""JSON for API answers: DataFrames as records, missing values as ``null`` (never 0).

An infinite value (a time to survive the rest of the network covers for ever)
becomes the string ``"inf"`` as in :meth:`allychain.optimize.result.Result.to_dict`;
JSON has no infinity.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable", "records", "dumps"]


def jsonable(v: Any) -> Any:
    """A value made of dicts, lists, str, int, float (finite), bool and None."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.DataFrame):
        return records(v)
    if isinstance(v, pd.Series):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, np.ndarray, pd.Index)):
        return [jsonable(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(v, str):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        try:
            return jsonable(v.item())
        except (ValueError, AttributeError):
            pass
    return str(v)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a DataFrame as JSON-ready dicts."""
    cols = [str(c) for c in df.columns]
    return [{c: jsonable(x) for c, x in zip(cols, row, strict=True)} for row in df.itertuples(index=False, name=None)]


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON of :func:`jsonable` (obj)."""
    doc = jsonable(obj)
    try:
        return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from the input: escaped, still valid JSON
        return json.dumps(doc, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
