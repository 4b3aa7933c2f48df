"""Bridge to pymrio: multi-regional input-output tables as an :class:`IOTables` network.

``pymrio-test`` is pymrio's bundled six-region, eight-sector test system (``pymrio.load_test()``);
any folder or file pymrio can read (``pymrio.load_all`` / ``pymrio.load``) loads the same way.
pymrio is imported lazily (install the ``sim`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from allychain.errors import DataError, MissingExtraError, Problem
from allychain.model.network import IOTables, Network

__all__ = ["from_pymrio", "load_pymrio_test", "load_mrio"]


def _pymrio() -> Any:
    try:
        import pymrio
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("the pymrio data sources need pymrio: pip install 'allychain[sim]'") from exc
    return pymrio


def from_pymrio(io: Any, name: str = "mrio", source: str | None = None) -> Network:
    """Wrap a ``pymrio.IOSystem`` as a :class:`Network` whose ``io`` holds ``Z``, ``Y`` and ``x``.

    Missing ``Z``/``x`` are computed with pymrio's ``calc_system``.  Regions are the
    network's ``providers`` (kind ``region``), so outputs can be aggregated by them.
    ``source`` (the folder read) is named in messages; a missing table, a non-numeric
    or non-finite cell, or tables pymrio cannot complete raise :class:`DataError`.
    """
    where = source or name
    have = {t: getattr(io, t, None) is not None for t in ("Z", "Y", "A", "x")}
    if not ((have["Z"] or (have["A"] and have["x"])) and have["Y"]):
        missing = [t for t in ("Z", "Y") if not have[t]]
        raise DataError(Problem(f"the MRIO system has no {' or '.join(missing)} table", file=where,
                                expected="Z and Y (or A, x and Y) tables, e.g. a folder written by pymrio's save_all"))
    for t in ("Z", "Y", "A", "x"):
        if have[t]:
            _numeric(getattr(io, t), t, where)
    if not (have["Z"] and have["x"]):
        try:
            io = io.calc_system()
        except Exception as exc:  # noqa: BLE001 — pymrio raises assorted types for inconsistent tables
            raise DataError(Problem(f"pymrio cannot complete the system: {type(exc).__name__}: {exc}"[:300],
                                    file=where, expected="consistent Z, Y (or A, x) tables")) from None
    Z = io.Z.astype(float)
    Y = io.Y.astype(float)
    x = io.x.iloc[:, 0].astype(float) if hasattr(io.x, "iloc") and getattr(io.x, "ndim", 1) == 2 else io.x
    unit = ""
    u = getattr(io, "unit", None)
    if u is not None and hasattr(u, "iloc") and len(u):
        unit = str(u.iloc[0, 0] if getattr(u, "ndim", 1) == 2 else u.iloc[0])
    tables = IOTables(Z=Z, Y=Y, x=x, unit=unit, name=name)
    import pandas as pd

    regions = list(dict.fromkeys(str(r) for r, _ in Z.index))
    providers = pd.DataFrame({"provider_id": regions, "name": regions, "kind": ["region"] * len(regions)})
    return Network(name=name, io=tables, providers=providers, meta={"family": "mrio"})


def _numeric(df: Any, table: str, name: str) -> None:
    """Every cell of a pymrio table must be a finite number; the first bad one is named."""
    import numpy as np
    import pandas as pd

    frame = df.to_frame() if isinstance(df, pd.Series) else df
    num = frame.apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(num.to_numpy(dtype=float))
    if not bad.any():
        return
    i, j = (int(k[0]) for k in np.nonzero(bad))
    row, col = frame.index[i], frame.columns[j]
    label = " / ".join(map(str, row)) if isinstance(row, tuple) else str(row)
    column = " / ".join(map(str, col)) if isinstance(col, tuple) else str(col)
    raise DataError(Problem(f"table {table}: non-numeric or non-finite value at row '{label}' "
                            f"({int(bad.sum()):,} such cells in all)", file=f"{name}/{table}", column=column,
                            value=str(frame.iat[i, j])[:80], expected="a finite number in every cell"))


def load_pymrio_test() -> Network:
    """pymrio's bundled test system (6 regions × 8 sectors, annual, ``Mill USD``)."""
    return from_pymrio(_pymrio().load_test(), name="pymrio-test")


def load_mrio(path: str | Path) -> Network:
    """A pymrio-readable folder or file (``pymrio.load_all``, falling back to ``pymrio.load``)."""
    pymrio = _pymrio()
    path = Path(path)
    if not path.exists():
        raise DataError(Problem("no such file or folder", file=str(path), expected="a pymrio-readable folder or file"))
    try:
        io = pymrio.load_all(path)
    except Exception:  # pymrio raises several unrelated exception types
        try:
            io = pymrio.load(path)
        except Exception as exc:
            raise DataError(Problem(f"pymrio cannot read it: {exc}", file=str(path),
                                    expected="a folder or file written by pymrio (save/save_all)")) from None
    return from_pymrio(io, name=path.name, source=str(path))
