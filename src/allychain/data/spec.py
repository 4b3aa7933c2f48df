"""The reader boundary for specification files: scenarios, Monte Carlo specifications,
allocation plans, stockpile specifications and capacity paths.

One safe YAML loader serves every reader (and the REST API's scenario upload):

* only regular files are read (a folder, FIFO or device given as a file is refused before
  it is opened), at most :attr:`Limits.max_bytes` of them;
* the text must be UTF-8 (a byte-order mark is allowed); anything else is refused with the
  offset of the first bad byte and a hint to re-save the file as UTF-8;
* YAML aliases (``*name``) are refused — a 455-byte "billion laughs" file is rejected while
  it is being parsed, before anything expands — and nesting deeper than
  :attr:`Limits.max_depth` is refused before Python's recursion limit is reached;
* numbers are read as YAML 1.2 writes them (``1e5`` and ``1.0e300`` are numbers, not text);
  non-finite numbers (``.inf``, ``.nan``, ``1e309``) and integers beyond ±2**53 (a
  400-digit horizon) are refused naming the key path and the value.

Every problem is a :class:`~allychain.errors.SpecError` (a
:class:`~allychain.errors.ScenarioError`) of the form
``FILE: key 'KEY.PATH': got VALUE; expected WHAT``; reading problems name the file and
what was expected.  The limits are documented in docs/formats.md and can be changed per
call (``limits=Limits(...)``) or for a process with ``ALLYCHAIN_SPEC_MAX_BYTES`` and
``ALLYCHAIN_SPEC_MAX_DEPTH``.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allychain.errors import ScenarioError, SpecError
from allychain.model.spec import check_values

if TYPE_CHECKING:
    import pandas as pd

    from allychain.optimize.allocation import AllocationPlan
    from allychain.optimize.stockpile import StockpileSpec
    from allychain.simulate.montecarlo import MonteCarloSpec
    from allychain.simulate.scenario import Scenario
    from allychain.talent.stockflow import Programme

__all__ = ["Limits", "read_text", "load_yaml_text", "read_yaml", "read_scenario", "parse_scenario_text",
           "read_montecarlo", "read_allocation_plan", "read_stockpile_spec", "read_capacity_path",
           "read_programmes", "read_workforce"]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ScenarioError(f"environment variable {name}: got {raw!r}; expected a whole number") from None
    if value < 1:
        raise ScenarioError(f"environment variable {name}: got {raw!r}; expected a whole number >= 1")
    return value


@dataclass(frozen=True)
class Limits:
    """Limits of the specification reader.

    Parameters
    ----------
    max_bytes
        Largest file (or uploaded text) accepted, in bytes (default 1 MiB;
        ``ALLYCHAIN_SPEC_MAX_BYTES``).  Capacity-path CSV files may be 64 times larger.
    max_depth
        Deepest nesting of mappings and lists accepted (default 32;
        ``ALLYCHAIN_SPEC_MAX_DEPTH``).  allychain's own formats need 5.
    """

    max_bytes: int = 1 << 20
    max_depth: int = 32

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, overridden by the environment variables named above."""
        return cls(max_bytes=_env_int("ALLYCHAIN_SPEC_MAX_BYTES", cls.max_bytes),
                   max_depth=_env_int("ALLYCHAIN_SPEC_MAX_DEPTH", cls.max_depth))


def _limits(limits: Limits | None) -> Limits:
    return limits if limits is not None else Limits.from_env()


def _regular_file(path: Path, what: str, max_bytes: int) -> int:
    """The size of ``path``, after checking it is a regular file of at most ``max_bytes``."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: {what} not found; expected an existing file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the {what} ({exc.strerror}); expected a readable file") from None
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError(f"{path}: is a folder; expected the {what} (a file)")
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(f"{path}: is not a regular file (a pipe, socket or device); expected the {what} "
                            "(a file)")
    if st.st_size > max_bytes:
        raise ScenarioError(f"{path}: {st.st_size:,} bytes; expected a {what} of at most {max_bytes:,} bytes "
                            "(ALLYCHAIN_SPEC_MAX_BYTES raises the limit)")
    return st.st_size


def decode_utf8(raw: bytes, source: str) -> str:
    """``raw`` as UTF-8 text (a byte-order mark is dropped); a clear error otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1]
        line = raw.count(b"\n", 0, exc.start) + 1
        hint = (" (it looks like UTF-16)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else
                " (it looks like Latin-1 or Windows-1252)" if bad and bad[0] >= 0x80 else "")
        raise ScenarioError(f"{source}: line {line}: byte 0x{bad.hex()} at offset {exc.start} is not UTF-8{hint}; "
                            "expected UTF-8 text (save the file as UTF-8)") from None


def read_text(path: str | Path, what: str = "specification file", limits: Limits | None = None,
              max_bytes: int | None = None) -> str:
    """The UTF-8 text of a regular file, within the size limit."""
    lim = _limits(limits)
    path = Path(path)
    cap = max_bytes if max_bytes is not None else lim.max_bytes
    _regular_file(path, what, cap)
    try:
        # opened without blocking and checked on the descriptor: a file swapped for a FIFO
        # after the check above is refused too, instead of blocking the reader
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ScenarioError(f"{path}: is not a regular file; expected the {what} (a file)")
            raw = fh.read(cap + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the {what} ({exc.strerror}); expected a readable file") from None
    if len(raw) > cap:
        raise ScenarioError(f"{path}: more than {cap:,} bytes; expected a {what} of at most {cap:,} bytes")
    return decode_utf8(raw, str(path))


# --------------------------------------------------------------------------- the YAML loader
_FLOAT_12 = re.compile(r"""^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$
                          |^[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$""", re.X)


class _Huge(float):
    """A number too large for a float (``1e309``): infinite, but remembers its text."""

    text: str


def _loader(source: str, max_depth: int) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
        yaml_constructors = dict(yaml.SafeLoader.yaml_constructors)
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise ScenarioError(f"{source}: line {event.start_mark.line + 1}: YAML alias '*{event.anchor}'; "
                                    "expected plain values (aliases and anchors are not accepted in "
                                    "specification files)")
            self.depth += 1
            try:
                if self.depth > max_depth:
                    mark = self.peek_event().start_mark
                    raise ScenarioError(f"{source}: line {mark.line + 1}: nesting deeper than {max_depth} levels; "
                                        "expected at most that (ALLYCHAIN_SPEC_MAX_DEPTH raises the limit)")
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_yaml_float(self, node: Any) -> Any:
            value = super().construct_yaml_float(node)
            if value in (float("inf"), float("-inf")) and "inf" not in node.value.lower():
                huge = _Huge(value)
                huge.text = node.value
                return huge
            return value

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))
    Loader.add_constructor("tag:yaml.org,2002:float", Loader.construct_yaml_float)
    return Loader


def load_yaml_text(text: str, source: str, limits: Limits | None = None) -> Any:
    """Parse specification YAML text safely (see the module notes) and check its values.

    Raises
    ------
    ScenarioError
        Text too long, not YAML, aliases, nesting too deep, non-finite or huge numbers.
    """
    import yaml

    lim = _limits(limits)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > lim.max_bytes:
        raise ScenarioError(f"{source}: {size:,} bytes; expected at most {lim.max_bytes:,} bytes")
    try:  # the reader refuses control characters (NUL, …) as it is made
        loader = _loader(source, lim.max_depth)(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML ({getattr(exc, 'reason', None) or exc}); "
                            "expected printable text (no NUL or other control characters)") from None
    try:
        doc = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{source}: {where}not valid YAML ({problem}); expected a YAML mapping of keys") from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise ScenarioError(f"{source}: nesting too deep; expected at most {lim.max_depth} levels") from None
    finally:
        loader.dispose()
    check_values(doc, source)
    return doc


def read_yaml(path: str | Path, what: str = "specification file", limits: Limits | None = None) -> Any:
    """The checked YAML document of a specification file (see :func:`load_yaml_text`)."""
    return load_yaml_text(read_text(path, what, limits), str(path), limits)


def _mapping(doc: Any, source: str, what: str) -> dict[str, Any]:
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise SpecError(source, "(top level)", doc, f"a mapping of keys ({what})")
    return doc


# --------------------------------------------------------------------------- public readers
def read_scenario(path: str | Path, *, limits: Limits | None = None) -> Scenario:
    """Read and validate a scenario file (schema in docs/simulation.md).

    A ``capacity_path`` is read here too (relative to the scenario file), so the
    scenario that comes back needs no further file access.
    """
    from allychain.simulate.scenario import parse_scenario

    path = Path(path)
    doc = _mapping(read_yaml(path, "scenario file", limits), str(path), "name, horizon, shocks …")
    sc = parse_scenario(doc, source=str(path), base=path.parent)
    if sc.capacity_path is not None:
        import dataclasses

        if not sc.capacity_path.exists():
            raise SpecError(str(path), "capacity_path", doc.get("capacity_path"),
                            f"an existing CSV file (looked for {sc.capacity_path})")
        frame = read_capacity_path(sc.capacity_path, limits=limits, source=f"{path}: key 'capacity_path'")
        sc = dataclasses.replace(sc, capacity=frame)
    return sc


def parse_scenario_text(text: str, source: str = "uploaded scenario", *, limits: Limits | None = None) -> Scenario:
    """A scenario from YAML text (an upload): no file may be named (``capacity_path``)."""
    from allychain.simulate.scenario import parse_scenario

    doc = _mapping(load_yaml_text(text, source, limits), source, "name, horizon, shocks …")
    if "capacity_path" in doc:
        raise SpecError(source, "capacity_path", doc["capacity_path"], "no file names in an uploaded scenario "
                        "(capacity_path refers to a file on the server; run such scenarios with "
                        "'allychain simulate')")
    return parse_scenario(doc, source=source, base=None)


def read_montecarlo(path: str | Path, *, limits: Limits | None = None) -> MonteCarloSpec:
    """Read and validate a Monte Carlo specification (schema in docs/simulation.md)."""
    from allychain.simulate.montecarlo import parse_spec

    path = Path(path)
    doc = _mapping(read_yaml(path, "Monte Carlo specification", limits), str(path), "name, horizon, shocks …")
    return parse_spec(doc, str(path))


def read_allocation_plan(path: str | Path, *, limits: Limits | None = None) -> AllocationPlan:
    """Read and validate an allocation PLAN file (schema in docs/decisions.md)."""
    from allychain.optimize.allocation import plan_from_dict

    path = Path(path)
    doc = _mapping(read_yaml(path, "allocation plan", limits), str(path), "shortfalls, supply, commitments …")
    return plan_from_dict(doc, str(path))


def read_stockpile_spec(path: str | Path, *, limits: Limits | None = None) -> StockpileSpec:
    """Read and validate a stockpile SPEC file (schema in docs/decisions.md)."""
    from allychain.optimize.stockpile import spec_from_dict

    path = Path(path)
    doc = _mapping(read_yaml(path, "stockpile specification", limits), str(path), "stockpiles, disruptions …")
    return spec_from_dict(doc, str(path))


def read_programmes(path: str | Path, table: pd.DataFrame | None = None, *,
                    limits: Limits | None = None) -> list[Programme]:
    """Read and validate a talent PROGRAMME file (schema in docs/talent.md); ``table`` is the
    workforce table whose countries and levels the programmes must name.  ``builtin:NAME``
    reads a built-in programme (:data:`allychain.talent.programmes.BUILTIN_PROGRAMMES`)."""
    from allychain.talent.programmes import BUILTIN_PREFIX, builtin_programme_path, parse_programmes

    if isinstance(path, str) and path.startswith(BUILTIN_PREFIX):
        doc = _mapping(read_yaml(builtin_programme_path(path), "programme file", limits), path, "programmes")
        return parse_programmes(doc, path, table)
    path = Path(path)
    doc = _mapping(read_yaml(path, "programme file", limits), str(path), "programmes")
    return parse_programmes(doc, str(path), table)


def read_workforce(path: str | Path, *, limits: Limits | None = None) -> pd.DataFrame:
    """Read and validate a workforce parameter CSV (columns of schema/talent.csv; see
    docs/talent.md): every problem names the file, line and column."""
    import pandas as pd

    from allychain.talent.params import read_table, validated

    lim = _limits(limits)
    path = Path(path)
    text = read_text(path, "workforce parameter table (CSV)", lim, max_bytes=lim.max_bytes * 64)
    try:
        raw = read_table(text)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ScenarioError(f"{path}: cannot read the CSV ({exc}); expected the columns of docs/talent.md") from None
    return validated(raw, str(path))


def read_energy_tables(folder: str | Path, base: Any = None, *, limits: Limits | None = None) -> Any:
    """Your own energy rows: ``intensity.csv``, ``supply.csv``, ``cooperation.csv`` and ``sources.csv`` (any
    of them, at least one table) in ``folder``, columns as in docs/energy.md, added to ``base`` (default the
    built-in tables; a row with the key of a built-in row replaces it) by :func:`allychain.energy.dataset.extend`.
    Every problem names the file, line and column."""
    import pandas as pd

    from allychain.energy.dataset import TABLES, extend, load_builtin, read_table

    lim = _limits(limits)
    root = Path(folder)
    if not root.is_dir():
        raise ScenarioError(f"{root}: not a folder; expected a folder holding some of "
                            f"{', '.join(f'{t}.csv' for t in (*TABLES, 'sources'))}")
    raw: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for name in (*TABLES, "sources"):
        path = root / f"{name}.csv"
        if not path.exists():
            continue
        text = read_text(path, f"energy {name} table (CSV)", lim, max_bytes=lim.max_bytes * 64)
        try:
            raw[name] = read_table(text)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ScenarioError(f"{path}: cannot read the CSV ({exc}); expected the columns of docs/energy.md") from None
        files[name] = str(path)
    if not set(raw) & set(TABLES):
        raise ScenarioError(f"{root}: no energy table found; expected some of "
                            f"{', '.join(f'{t}.csv' for t in TABLES)} (and sources.csv for their sources)")
    sources = raw.pop("sources", None)
    return extend(base if base is not None else load_builtin(), raw, sources, files)


#: largest step a capacity path may name (about 2,700 years of days)
MAX_STEP = 1_000_000


def read_capacity_path(path: str | Path, *, limits: Limits | None = None, source: str | None = None) -> pd.DataFrame:
    """Read a capacity-path CSV: a ``step`` column, then one column per shocked node (named
    as in the data) holding the share of capacity lost at that step (a fraction, 0–1).

    Returns a frame indexed by step (whole numbers from 0 to 1,000,000) with one float
    column per node.
    """
    import io

    import numpy as np
    import pandas as pd

    lim = _limits(limits)
    path = Path(path)
    src = source or str(path)
    text = read_text(path, "capacity path (CSV)", lim, max_bytes=lim.max_bytes * 64)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ScenarioError(f"{src}: cannot read the CSV ({exc}); expected a 'step' column then one column per "
                            "node") from None
    if "step" not in df.columns:
        raise ScenarioError(f"{src}: column 'step' missing (got {list(df.columns)[:5]}); expected a 'step' column "
                            "then one column per node")

    def bad_cell(col: str, mask: np.ndarray, expected: str) -> ScenarioError:
        row = int(np.flatnonzero(mask)[0])
        return ScenarioError(f"{src}: row {row + 2}, column {col!r}: got {df[col].iloc[row]!r}; expected {expected}")

    steps = pd.to_numeric(df["step"].str.strip(), errors="coerce")
    bad = (steps.isna() | (steps < 0) | (steps > MAX_STEP) | (steps != steps.round())).to_numpy()
    if bad.any():
        raise bad_cell("step", bad, f"a whole number from 0 to {MAX_STEP:,}")
    if steps.duplicated().any():
        raise bad_cell("step", steps.duplicated().to_numpy(), "each step once")
    vals = df.drop(columns="step").apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce"))
    for col in vals.columns:
        v = vals[col]
        badv = (v.isna() | (v < 0) | (v > 1)).to_numpy()
        if badv.any():
            raise bad_cell(col, badv, "a share of capacity lost, a fraction from 0 to 1")
    vals.index = steps.astype(np.int64).to_numpy()
    vals.index.name = "step"
    return vals.astype(float)
