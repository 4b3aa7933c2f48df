"""Testing helpers for allychain and for code built on it.

* :func:`assert_network_equal` compares two networks table by table (after
  :func:`~allychain.model.network.conform`), optionally ignoring row order.
* Hypothesis strategies that draw *valid* networks — networks that pass the
  boundary validation of :func:`allychain.data.native.read_native` unchanged:
  :func:`share_networks` (items, providers, shares with unknown shares and unknown
  years, acyclic relations, sources, stages, alliances), :func:`site_networks`
  (nodes, edges, bills of materials) and :func:`networks` (either, or both in one).

The strategies need the ``hypothesis`` package (``pip install 'allychain[test]'``);
the assertion helpers do not.

Examples
--------
>>> from hypothesis import given, settings
>>> from allychain.testing import share_networks, assert_network_equal
>>> @settings(max_examples=5, deadline=None)
... @given(share_networks())
... def test_replace_is_a_copy(n):
...     assert_network_equal(n, n.replace())
>>> test_replace_is_a_copy()

A failing comparison names the table and what differs:

>>> import pandas as pd
>>> from allychain.model.network import Network
>>> a = Network(items=pd.DataFrame({"item_id": ["N1"], "name": ["Wafers"], "kind": ["material"]}))
>>> assert_network_equal(a, a.replace(items=a.items.assign(name=["Wafer"])))
Traceback (most recent call last):
...
AssertionError: networks differ in table 'items': ...
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from allychain import schema
from allychain.model.network import DTYPES, Network, conform

if TYPE_CHECKING:  # pragma: no cover
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "hf_imports_comtrade",
    "assert_network_equal",
    "assert_table_equal",
    "frame",
    "ids",
    "texts",
    "share_networks",
    "site_networks",
    "networks",
]


# -- assertions ---------------------------------------------------------------------
def _ordered(component: str, df: pd.DataFrame) -> pd.DataFrame:
    """Schema columns first, extra columns sorted by name, rows sorted by their text."""
    cols = schema.columns(component)
    df = df[cols + sorted(c for c in df.columns if c not in cols)]
    if df.empty:
        return df.reset_index(drop=True)
    cells = df.astype(object).map(lambda v: "\x00" if v is None or v is pd.NA or v != v else repr(v))
    key = cells.agg("\x1f".join, axis=1).to_numpy(dtype=object)
    return df.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)


def assert_table_equal(component: str, a: pd.DataFrame, b: pd.DataFrame, *, ignore_row_order: bool = False,
                       check_exact: bool = True) -> None:
    """Assert two tables of ``component`` are equal after :func:`conform` (values,
    dtypes and columns; NaN equals NaN).

    Raises
    ------
    AssertionError
        Naming the table and the first difference.
    """
    if a.empty and b.empty and list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes):
        return
    ta, tb = conform(component, a), conform(component, b)
    if ignore_row_order:
        ta, tb = _ordered(component, ta), _ordered(component, tb)
    try:
        pd.testing.assert_frame_equal(ta, tb, check_dtype=True, check_exact=check_exact)
    except AssertionError as exc:
        raise AssertionError(f"networks differ in table '{component}': {exc}") from None


def assert_network_equal(
    a: Network,
    b: Network,
    *,
    ignore_row_order: bool = False,
    tables: Iterable[str] | None = None,
    check_name: bool = False,
    check_io: bool = True,
    check_exact: bool = True,
) -> None:
    """Assert two networks hold equal tables.

    Parameters
    ----------
    ignore_row_order
        Compare each table's rows as a multiset (for unions such as
        :func:`allychain.data.merge.merge`, whose row order depends on the order of
        its arguments).
    tables
        Only these tables (default: all of :data:`allychain.schema.COMPONENTS`).
    check_name
        Also compare :attr:`Network.name`.
    check_io
        Also compare the input-output tables (``Z``, ``Y``, ``x``, unit).
    check_exact
        Compare floats exactly (the default: a write/read round trip must not
        change a single bit); otherwise with pandas' default tolerance.

    Raises
    ------
    AssertionError
        Naming the first table that differs.
    """
    if check_name and a.name != b.name:
        raise AssertionError(f"networks differ in name: {a.name!r} != {b.name!r}")
    for comp in tables if tables is not None else schema.COMPONENTS:
        assert_table_equal(comp, a.table(comp), b.table(comp), ignore_row_order=ignore_row_order,
                           check_exact=check_exact)
    if check_io:
        if (a.io is None) != (b.io is None):
            raise AssertionError(f"networks differ in io: {a.io is not None} != {b.io is not None}")
        if a.io is not None and b.io is not None:
            for part in ("Z", "Y"):
                try:
                    pd.testing.assert_frame_equal(getattr(a.io, part), getattr(b.io, part), check_exact=check_exact,
                                                  check_names=False)
                except AssertionError as exc:
                    raise AssertionError(f"networks differ in io.{part}: {exc}") from None
            if a.io.unit != b.io.unit:
                raise AssertionError(f"networks differ in io.unit: {a.io.unit!r} != {b.io.unit!r}")


def frame(component: str, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """A table of ``component`` from records (missing keys and ``None`` → NA), with the
    schema's dtypes."""
    data = {}
    for attr in schema.attributes(component):
        values = [r.get(attr.name) for r in rows]
        if attr.dtype == "float":
            data[attr.name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        else:
            data[attr.name] = pd.Series(pd.array(values, dtype=DTYPES[attr.dtype]))
    return pd.DataFrame(data)


# -- strategies ---------------------------------------------------------------------
def _st() -> Any:
    try:
        from hypothesis import strategies as st
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("allychain.testing strategies need hypothesis: pip install 'allychain[test]'") from exc
    return st


_ID_ALPHABET = string.ascii_letters + string.digits + "-_.éü한"


def ids(max_size: int = 6) -> SearchStrategy[str]:
    """Identifiers: short, non-blank, no surrounding space (letters, digits, ``-_.``
    and a few non-ASCII letters to exercise UTF-8)."""
    st = _st()
    return st.text(alphabet=_ID_ALPHABET, min_size=1, max_size=max_size)


def texts(max_size: int = 16, newlines: bool = True) -> SearchStrategy[str]:
    """Free text as a reader returns it: non-blank, stripped, no control characters
    except (optionally) inner newlines; commas, quotes and any script allowed."""
    st = _st()
    chars = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"))
    if newlines:
        chars = st.one_of(chars, st.just("\n"))
    return st.text(alphabet=chars, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def _opt(strategy: Any) -> Any:
    return _st().one_of(_st().none(), strategy)


def _years() -> Any:
    return _opt(_st().integers(1900, 2100))


def _amount(hi: float = 1e12) -> Any:
    return _st().floats(min_value=0.0, max_value=hi, allow_nan=False, allow_infinity=False)


def share_networks(
    max_items: int = 6,
    max_providers: int = 5,
    max_shares: int = 12,
    datasets: Sequence[str] = ("d1", "d2"),
    name: str | None = None,
    min_shares: int = 0,
    share_years: Sequence[int] | None = None,
    provider_kinds: Sequence[str] = ("country", "firm", "region", "aggregate"),
    share_values: SearchStrategy[float | None] | None = None,
) -> SearchStrategy[Network]:
    """Valid share networks.

    ``min_shares``, ``share_years`` (share rows only in these years, never unknown) and
    ``provider_kinds`` (e.g. mostly ``country``) make
    dense networks, where several providers share one item and year — the cases that
    exercise concentration and dependency arithmetic rather than the "not assessable" path.

    Items, providers, stages and sources with unique ids; share rows with unique
    (item, provider, year, dataset), shares from 0 to 100 % or unknown (NaN) and
    years 1900-2100 or unknown (``<NA>`` in an ``Int64`` column); ``goes_into`` and
    ``is_type_of`` relations without cycles (each points from an earlier to a later
    item); alliances whose members are providers.  Every ``dataset`` cell is one of
    ``datasets`` (never missing, so a write/read round trip keeps it).
    """
    st = _st()
    id_, text, otext, long_text = ids(), texts(), _opt(texts()), _opt(texts(40))
    year, amount = _years(), _opt(_amount())
    ds = st.sampled_from(list(datasets))
    url = _opt(id_.map(lambda x: f"https://example.org/{x}"))
    item_kinds = st.sampled_from(["design", "process", "tool", "material", "chemical", "raw_material", "chip", "output"])
    provider_kind = st.sampled_from(list(provider_kinds))
    country = _opt(st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3))
    unit = _opt(st.sampled_from(["wafers", "units", "kg"]))
    share = share_values if share_values is not None else _opt(st.floats(0.0, 100.0))
    basis = _opt(st.sampled_from(["revenue", "capacity", "production"]))
    negligible = _opt(st.booleans())
    confidence = _opt(st.sampled_from(["high", "medium", "low: estimate"]))
    id_list = st.lists(id_, max_size=3, unique=True)

    @st.composite
    def build(draw: Any) -> Network:
        source_ids = draw(id_list)
        stage_ids = draw(id_list)
        item_ids = draw(st.lists(id_, min_size=1, max_size=max_items, unique=True))
        provider_ids = draw(st.lists(id_, min_size=1, max_size=max_providers, unique=True))
        src = _opt(st.sampled_from(source_ids)) if source_ids else st.none()
        sources = [dict(source_id=s, title=draw(text), publisher=draw(otext), year=draw(year), url=draw(url),
                        dataset=draw(ds)) for s in source_ids]
        stages = [dict(stage_id=s, name=draw(text), description=draw(long_text), market_size=draw(amount),
                       market_size_year=draw(year), source_id=draw(src)) for s in stage_ids]
        stage = _opt(st.sampled_from(stage_ids)) if stage_ids else st.none()
        items = [dict(item_id=i, name=draw(text), kind=draw(item_kinds), stage_id=draw(stage),
                      description=draw(long_text), market_size=draw(amount), market_size_year=draw(year),
                      unit=draw(unit), source_id=draw(src)) for i in item_ids]
        providers = [dict(provider_id=p, name=draw(text), kind=draw(provider_kind), country=draw(country),
                          aliases=draw(otext)) for p in provider_ids]
        share_year = st.sampled_from(list(share_years)) if share_years else year
        keys = draw(st.lists(st.tuples(st.sampled_from(item_ids + stage_ids), st.sampled_from(provider_ids),
                                       share_year, ds),
                             min_size=min(min_shares, len(item_ids + stage_ids) * len(provider_ids)),
                             max_size=max(max_shares, min_shares), unique=True))
        shares = [dict(item_id=i, provider_id=p, year=y, dataset=d, share=draw(share), basis=draw(basis),
                       negligible=draw(negligible), source_id=draw(src), confidence=draw(confidence))
                  for i, p, y, d in keys]
        pairs = [(a, b) for ia, a in enumerate(item_ids) for b in item_ids[ia + 1:]]
        relations = []
        if pairs:
            rel_keys = draw(st.lists(st.tuples(st.sampled_from(pairs), st.sampled_from(["goes_into", "is_type_of"])),
                                     max_size=8, unique=True))
            relations = [dict(source=a, target=b, kind=k, source_id=draw(src), dataset=draw(ds))
                         for (a, b), k in rel_keys]
        members = draw(st.lists(st.tuples(st.sampled_from(["CHIP4", "EU-US"]), st.sampled_from(provider_ids)),
                                max_size=4, unique=True))
        alliances = [dict(alliance_id=a, member=m, name=draw(otext)) for a, m in members]
        return Network(
            name=name or draw(id_),
            stages=frame("stages", stages),
            items=frame("items", items),
            providers=frame("providers", providers),
            shares=frame("shares", shares),
            relations=frame("relations", relations),
            sources=frame("sources", sources),
            alliances=frame("alliances", alliances),
        )

    return build()


def site_networks(max_nodes: int = 6, products: Sequence[str] = ("wafer", "chip", "gas", "tool"),
                  name: str | None = None) -> SearchStrategy[Network]:
    """Valid site-level networks: nodes with a product and a capacity (units per
    period) and optional inventory, demand, margin, time to recover, country, firm,
    name and stage; supply edges between distinct nodes with an optional share (0-1)
    and lead time; bill-of-materials rows with a positive quantity.  No ``items``
    table, as in most site-level folders."""
    st = _st()
    id_, otext = ids(), _opt(texts())
    prod = st.sampled_from(list(products))
    capacity, big = _amount(1e9), _opt(_amount(1e9))
    margin, ttr, lead = _opt(_amount(1e6)), _opt(_amount(520)), _opt(_amount(52))
    country = _opt(st.sampled_from(["KOR", "NLD", "USA", "TWN", "JPN"]))
    stage = _opt(st.sampled_from(["fab", "assembly", "materials"]))
    fraction = _opt(st.floats(0.0, 1.0))
    positive = st.floats(min_value=0.0, max_value=1e6, exclude_min=True, allow_nan=False, allow_infinity=False)

    @st.composite
    def build(draw: Any) -> Network:
        node_ids = draw(st.lists(id_, min_size=1, max_size=max_nodes, unique=True))
        nodes = [dict(node_id=i, product=draw(prod), capacity=draw(capacity), inventory=draw(big), demand=draw(big),
                      margin=draw(margin), ttr=draw(ttr), country=draw(country), firm=draw(otext), name=draw(otext),
                      stage=draw(stage)) for i in node_ids]
        pairs = [(a, b) for a in node_ids for b in node_ids if a != b]
        edges = []
        if pairs:
            chosen = draw(st.lists(st.sampled_from(pairs), max_size=10, unique=True))
            edges = [dict(supplier=a, customer=b, share=draw(fraction), lead_time=draw(lead)) for a, b in chosen]
        bom_keys = draw(st.lists(st.tuples(st.sampled_from(node_ids), prod), max_size=8, unique=True))
        bom = [dict(node_id=i, input_product=p, quantity=draw(positive)) for i, p in bom_keys]
        return Network(name=name or draw(id_), nodes=frame("nodes", nodes), edges=frame("edges", edges),
                       bom=frame("bom", bom))

    return build()


def networks(datasets: Sequence[str] = ("d1", "d2")) -> SearchStrategy[Network]:
    """A share network, a site-level network, or one network holding both."""
    st = _st()

    @st.composite
    def both(draw: Any) -> Network:
        s = draw(share_networks(datasets=datasets))
        t = draw(site_networks())
        return s.replace(nodes=t.nodes, edges=t.edges, bom=t.bom)

    return st.one_of(share_networks(datasets=datasets), site_networks(), both())


#: The months of :func:`hf_imports_comtrade` (2015-01 … 2019-12) and the index of its break (2019-07).
HF_MONTHS = pd.date_range("2015-01-01", periods=60, freq="MS")
HF_BREAK = 54


def hf_imports_comtrade(path: Any, fall: float = 0.3, months: int = 60) -> Any:
    """Write a synthetic UN Comtrade extract of Korea's monthly hydrogen fluoride imports (HS 281111)
    from Japan and China: seasonal, with noise (seed 11); Japan's values fall to ``fall`` × from
    2019-07 (the month Japan's licensing took effect), China's stay quiet.  ``months`` keeps the
    first months only (the same values as the full series).  Returns ``path``."""
    rng = np.random.default_rng(11)
    rows = []
    for partner, base in (("JPN", 8e6), ("CHN", 2e6)):
        t = np.arange(len(HF_MONTHS))
        y = np.log(base) + 0.15 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.05, len(HF_MONTHS))
        if partner == "JPN":
            y[HF_BREAK:] += np.log(fall)
        v = np.exp(y)
        for d, x, q in list(zip(HF_MONTHS, v, v / rng.uniform(2.3, 2.7, len(HF_MONTHS)), strict=True))[:months]:
            rows.append({"freqCode": "M", "period": d.strftime("%Y%m"), "reporterISO": "KOR", "flowCode": "M",
                         "partnerISO": partner, "cmdCode": "281111", "primaryValue": round(x), "netWgt": round(q)})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path

