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


def from_pymrio(io: Any, name: str = "mrio") -> Network:
    """Wrap a ``pymrio.IOSystem`` as a :class:`Network` whose ``io`` holds ``Z``, ``Y`` and ``x``.

    Missing ``Z``/``x`` are computed with pymrio's ``calc_system``.  Regions are the
    network's ``providers`` (kind ``region``), so outputs can be aggregated by them.
    """
    if getattr(io, "Z", None) is None or getattr(io, "x", None) is None:
        io = io.calc_system() if getattr(io, "Z", None) is not None else io.calc_all()
    if getattr(io, "Z", None) is None or getattr(io, "Y", None) is None:
        raise DataError(Problem("the MRIO system has no Z or Y table", file=name, expected="Z and Y (or A and x)"))
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
    return from_pymrio(io, name=path.name)
