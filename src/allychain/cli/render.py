"""Rendering results for the terminal: table (Rich), JSON or CSV on stdout."""

from __future__ import annotations

import json
import math
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Format", "records", "dumps", "emit"]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _jsonable(v: Any) -> Any:
    import pandas as pd  # imported here so that `allychain --help` starts without pandas

    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"  # JSON has no infinity; null would read as unknown
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return _jsonable(v.item())
        except (ValueError, AttributeError):
            pass
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    if isinstance(v, pd.DataFrame):
        return records(v)
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts, missing values as ``None`` (never 0)."""
    return [{str(k): _jsonable(v) for k, v in rec.items()} for rec in df.to_dict("records")]


def dumps(obj: Any) -> str:
    return json.dumps(_jsonable(obj), indent=2, ensure_ascii=False)


def emit(obj: Any, fmt: Format, title: str | None = None) -> None:
    """Print a DataFrame or dict in the chosen format to stdout."""
    import pandas as pd

    if fmt == Format.json:
        sys.stdout.write(dumps(obj) + "\n")
        return
    if isinstance(obj, dict):
        obj = pd.DataFrame({"key": list(obj), "value": [_fmt_cell(v) for v in obj.values()]})
    if fmt == Format.csv:
        obj.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    from rich.table import Table
    from rich.text import Text

    from allychain.cli.console import console

    table = Table(title=Text(title) if title is not None else None, show_lines=False, header_style="bold")
    for col in obj.columns:
        numeric = pd.api.types.is_numeric_dtype(obj[col]) and not pd.api.types.is_bool_dtype(obj[col])
        table.add_column(Text(str(col)), justify="right" if numeric else "left", overflow="fold")
    for rec in obj.itertuples(index=False):  # cells as Text: square brackets in ids and names stay as written
        table.add_row(*[Text(_fmt_cell(v)) for v in rec])
    width = None if sys.stdout.isatty() else 240  # pipes and files get the whole table, unwrapped
    console(soft_wrap=False, width=width).print(table)


def _fmt_cell(v: Any) -> str:
    import pandas as pd

    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return str(v)
