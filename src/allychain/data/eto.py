"""Importer for the ETO Advanced Semiconductor Supply Chain Dataset.

The dataset (Emerging Technology Observatory, CSET, Georgetown University; licence
CC BY-NC 4.0) is a folder of five CSV files.  :func:`read_eto` maps them onto
allychain's tables:

=================  ==========================================================
ETO file           allychain table
=================  ==========================================================
``stages.csv``     ``stages`` (market size parsed from text, e.g. "$574 billion (2022)")
``inputs.csv``     ``items`` (``type`` → ``kind``; market size parsed from text)
``providers.csv``  ``providers`` (countries → ISO 3166 alpha-3, firms keep the ETO id)
``provision.csv``  ``shares`` (percent; empty = unknown, never zero)
``sequence.csv``   ``relations`` (``goes_into`` and ``is_type_of``)
all ``source``     ``sources`` (one row per distinct source text)
=================  ==========================================================

Releases differ: columns may come in any order, shares may read ``"61%"``, the
``year`` and ``negligible_market_share`` columns may be absent or present, a file may
start with a byte-order mark, and a provider or item may be spelled differently in
two files.  Files are always joined on ids; a differing name is recorded as a
warning in ``network.meta["findings"]`` (check ``"names"``).  Every problem that
makes the data unusable is collected and raised together as one
:class:`~allychain.errors.DataError` naming file, row, ETO column, value and what
was expected.  See docs/eto.md.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace as _replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from allychain.data.csvread import read_text_csv
from allychain.errors import DataError, Problem
from allychain.model.network import Network
from allychain.model.validate import ROW, check_references, coerce_table, errors, find_cycles

__all__ = [
    "read_eto",
    "parse_market_size",
    "resolve_place",
    "Place",
    "FILES",
    "ITEM_KINDS",
    "LICENSE",
    "FAMILY",
]

FAMILY = "eto"
DATASET = "eto"
LICENSE = "CC BY-NC 4.0 — CSET Emerging Technology Observatory"
DESCRIPTION = (
    "ETO Advanced Semiconductor Supply Chain Dataset (Emerging Technology Observatory, Center for Security "
    "and Emerging Technology, Georgetown University): country and firm market shares of the inputs to "
    "advanced logic chips. Licence CC BY-NC 4.0; attribute CSET/ETO."
)

FILES: tuple[str, ...] = ("stages.csv", "inputs.csv", "providers.csv", "provision.csv", "sequence.csv")

# Columns per file: canonical ETO name -> other spellings seen in releases (matched case-insensitively)
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "stages.csv": {"stage_id": (), "stage_name": ("name",)},
    "inputs.csv": {"input_id": (), "input_name": ("name",), "type": ("input_type",)},
    "providers.csv": {"provider_id": (), "provider_name": ("name",), "provider_type": ("type",)},
    "provision.csv": {"provider_id": (), "provided_id": (), "share_provided": ("share", "market_share")},
    "sequence.csv": {"input_id": ()},
}
_SIZE = ("market_size", "global_market_size")
OPTIONAL: dict[str, dict[str, tuple[str, ...]]] = {
    "stages.csv": {"description": (), "market_share_chart_global_market_size_info": _SIZE,
                   "market_share_chart_source": ("source",)},
    "inputs.csv": {"stage_id": (), "description": (), "year": (),
                   "market_share_chart_global_market_size_info": _SIZE, "market_share_chart_source": ("source",)},
    "providers.csv": {"alias": ("aliases",), "country": ()},
    "provision.csv": {"provider_name": (), "provided_name": (), "year": (), "source": (),
                      "negligible_market_share": ("negligible_share", "negligible")},
    "sequence.csv": {"input_name": (), "goes_into_id": (), "goes_into_name": (), "is_type_of_id": (),
                     "is_type_of_name": ()},
}

ITEM_KINDS: dict[str, str] = {
    "tool_resource": "tool",
    "material_resource": "material",
    "process": "process",
    "design_resource": "design",
    "ultimate_output": "output",
}
_PROVIDER_TYPES = {
    "country": "country",
    "organization": "firm",
    "organisation": "firm",
    "company": "firm",
    "firm": "firm",
    "region": "region",
    "aggregate": "aggregate",
}

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


# -- small parsers ------------------------------------------------------------------------------------------------
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
    if _txt(text) is None:
        return math.nan, None
    m = _MONEY.match(str(text))
    if not m:
        return math.nan, None
    value = float(m.group("num").replace(",", "")) * _SCALE[(m.group("unit") or "").lower()]
    years = _YEAR_IN_PARENS.findall(m.group("rest"))
    return value, int(years[-1]) if years else year


def _source_id(text: str) -> str:
    return "eto-src-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def _source_row(text: str) -> dict[str, Any]:
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
    return {"source_id": _source_id(text), "title": title, "url": url, "dataset": DATASET}


# -- countries, regions and aggregates ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """A resolved place: ``kind`` is ``country`` (``id`` ISO 3166 alpha-3), ``region`` or ``aggregate``."""

    id: str
    kind: str
    name: str


REGIONS: dict[str, tuple[str, ...]] = {
    "EUR": ("Europe", "European", "European countries"),
    "EU": ("European Union", "EU27", "EU-27"),
    "APAC": ("Asia-Pacific", "Asia Pacific"),
}
_AGGREGATE = re.compile(r"^\s*(various|multiple|other|others|rest of(?: the)? world|unknown|n/?a)\b", re.I)
_COMMON_NAMES = {
    "us": "USA", "u.s.": "USA", "u.s.a.": "USA", "united states of america": "USA", "america": "USA",
    "uk": "GBR", "u.k.": "GBR", "britain": "GBR", "great britain": "GBR", "england": "GBR",
    "south korea": "KOR", "republic of korea": "KOR", "korea, south": "KOR", "north korea": "PRK",
    "taiwan": "TWN", "chinese taipei": "TWN", "mainland china": "CHN", "prc": "CHN",
    "russia": "RUS", "turkey": "TUR", "macau": "MAC", "macao": "MAC", "hong kong": "HKG",
    "mal": "MYS", "holland": "NLD", "the netherlands": "NLD", "czech republic": "CZE", "vietnam": "VNM", "iran": "IRN",
}


def _aggregate_id(text: str) -> str:
    word = _AGGREGATE.match(text).group(1).lower()  # type: ignore[union-attr]
    if word in ("various", "multiple"):
        return "VARIOUS"
    if word in ("unknown", "n/a", "na"):
        return "UNKNOWN"
    return "OTHER"


@lru_cache(maxsize=1024)
def _country(text: str) -> tuple[str, str]:
    """ISO alpha-3 code and display name of a country code or name; LookupError explains failures."""
    import pycountry

    t = text.strip()
    c = None
    if re.fullmatch(r"[A-Za-z]{3}", t):
        c = pycountry.countries.get(alpha_3=t.upper())
    if c is None and t.casefold() in _COMMON_NAMES:
        c = pycountry.countries.get(alpha_3=_COMMON_NAMES[t.casefold()])
    if c is None:
        try:
            c = pycountry.countries.lookup(t)
        except LookupError:
            c = None
    if c is None:
        try:
            found = pycountry.countries.search_fuzzy(t)
        except LookupError:
            found = []
        if len(found) > 1:
            cands = ", ".join(f"{x.alpha_3} ({x.name})" for x in found[:5])
            raise LookupError(f"ambiguous country name {t!r}: could be {cands}")
        if not found:
            raise LookupError(f"unknown country {t!r}")
        c = found[0]
    return c.alpha_3, getattr(c, "common_name", None) or c.name


def resolve_place(text: str) -> Place:
    """Resolve an ETO country column or country provider name.

    Aggregates (``"Various countries"``, ``"Various"``, ``"Other"``) become kind
    ``aggregate`` (id ``VARIOUS``, ``OTHER`` or ``UNKNOWN``), never a country; regions
    (``"EUR"``/``"Europe"``, ``"EU"``) kind ``region``; everything else must resolve
    to one ISO 3166 country (alpha-3 or alpha-2 code, name, official or common name,
    or a single fuzzy match).

    Raises
    ------
    LookupError
        For an unknown or ambiguous name, saying which candidates matched.

    Examples
    --------
    >>> resolve_place("Netherlands")
    Place(id='NLD', kind='country', name='Netherlands')
    >>> resolve_place("Various countries").kind
    'aggregate'
    >>> resolve_place("Korea")
    Traceback (most recent call last):
    LookupError: ambiguous country name 'Korea': could be PRK (Korea, Democratic People's Republic of), KOR (Korea, Republic of)
    """
    t = str(text).strip()
    if not t:
        raise LookupError("empty country")
    if _AGGREGATE.match(t):
        return Place(_aggregate_id(t), "aggregate", t)
    key = t.casefold()
    for code, names in REGIONS.items():
        if key == code.casefold() or key in {n.casefold() for n in names}:
            return Place(code, "region", names[0])
    iso, name = _country(t)
    return Place(iso, "country", name)


def _is_code(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{2,3}", name.strip()))


# -- reading files ------------------------------------------------------------------------------------------------
@dataclass
class _File:
    """One ETO file as text: rows keyed by canonical ETO column names, and the header actually used."""

    path: Path
    df: pd.DataFrame
    header: dict[str, str]  # canonical ETO name -> column name in the file

    @property
    def name(self) -> str:
        return str(self.path)

    def col(self, canonical: str) -> pd.Series:
        values = self.df[canonical] if canonical in self.df.columns else [None] * len(self.df)
        return pd.Series(list(values), index=self.df.index, dtype=object)

    def shown(self, canonical: str) -> str:
        return self.header.get(canonical, canonical)


def _read_file(folder: Path, fname: str, problems: list[Problem]) -> _File | None:
    path = folder / fname
    if not path.exists():
        problems.append(Problem(f"required file {fname} is missing", file=str(path),
                                expected=f"an ETO dataset folder with {', '.join(FILES)}"))
        return None
    try:
        df = read_text_csv(path, root=folder)
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    by_lower = {str(c).lower(): c for c in df.columns if c != ROW}
    header: dict[str, str] = {}
    rename: dict[str, str] = {}
    for canonical, alts in {**REQUIRED[fname], **OPTIONAL[fname]}.items():
        for cand in (canonical, *alts):
            if cand.lower() in by_lower:
                header[canonical] = by_lower[cand.lower()]
                rename[by_lower[cand.lower()]] = canonical
                break
    missing = [c for c in REQUIRED[fname] if c not in header]
    for c in missing:
        problems.append(Problem(f"required column '{c}' is missing", file=str(path), row=1, column=c,
                                expected=f"columns {', '.join(REQUIRED[fname])} (in any order)"))
    if missing:
        return None
    df = df.rename(columns=rename)
    for c in df.columns:
        if c != ROW:  # text cells as str, missing as None (whatever the pandas string dtype)
            df[c] = pd.Series([_txt(v) for v in df[c]], index=df.index, dtype=object)
    return _File(path, df, header)


def _txt(v: object) -> str | None:
    """A cell as stripped text; ``None`` when empty or missing."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    t = str(v).strip()
    return t or None


def _shown_names(f: _File, mapping: Mapping[str, str]) -> dict[str, str]:
    """Schema column -> the file's column name, for messages."""
    return {schema_col: f.shown(eto_col) for schema_col, eto_col in mapping.items()}


def _coerce(component: str, raw: pd.DataFrame, f: _File, mapping: Mapping[str, str],
            problems: list[Problem]) -> pd.DataFrame:
    df, found = coerce_table(component, raw, f.name, column_names=_shown_names(f, mapping))
    problems.extend(found)
    return df


# -- the tables ---------------------------------------------------------------------------------------------------
def _stages(f: _File, sources: dict[str, dict[str, Any]], problems: list[Problem],
            findings: list[Problem]) -> pd.DataFrame:
    sizes = [parse_market_size(t) for t in f.col("market_share_chart_global_market_size_info")]
    _size_findings(f, sizes, findings)
    raw = pd.DataFrame({
        "stage_id": f.col("stage_id"),
        "name": f.col("stage_name"),
        "description": f.col("description"),
        "market_size": [s for s, _ in sizes],
        "market_size_year": [y for _, y in sizes],
        "source_id": _sources_of(f.col("market_share_chart_source"), sources),
        ROW: f.df[ROW],
    })
    mapping = {"stage_id": "stage_id", "name": "stage_name", "description": "description",
               "market_size": "market_share_chart_global_market_size_info",
               "market_size_year": "market_share_chart_global_market_size_info",
               "source_id": "market_share_chart_source"}
    return _coerce("stages", raw, f, mapping, problems)


def _size_findings(f: _File, sizes: list[tuple[float, int | None]], findings: list[Problem]) -> None:
    col = "market_share_chart_global_market_size_info"
    for text, (usd, _), row in zip(f.col(col), sizes, f.df[ROW], strict=True):
        if text is not None and math.isnan(usd):
            findings.append(Problem("market size not understood; kept as unknown", file=f.name, row=int(row),
                                    column=f.shown(col), value=text, expected="text like '$13 billion (2025)'",
                                    check="market_size", severity="warning"))


def _sources_of(texts: pd.Series, sources: dict[str, dict[str, Any]]) -> list[str | None]:
    out: list[str | None] = []
    for t in texts:
        if t is None or not str(t).strip():
            out.append(None)
            continue
        text = str(t).strip()
        if text not in sources:
            sources[text] = _source_row(text)
        out.append(sources[text]["source_id"])
    return out


def _items(f: _File, sources: dict[str, dict[str, Any]], problems: list[Problem],
           findings: list[Problem]) -> pd.DataFrame:
    year_text = f.col("year")
    years: list[int | None] = []
    for t, row in zip(year_text, f.df[ROW], strict=True):
        y = None
        if t is not None:
            try:
                y = int(float(str(t).strip()))
            except (ValueError, OverflowError):
                problems.append(Problem("not a whole number (year)", file=f.name, row=int(row),
                                        column=f.shown("year"), value=t, expected="a year such as 2025"))
        years.append(y)
    size_text = f.col("market_share_chart_global_market_size_info")
    sizes = [parse_market_size(t, y) for t, y in zip(size_text, years, strict=True)]
    _size_findings(f, sizes, findings)
    types = f.col("type")
    kinds = types.map(lambda t: None if t is None else ITEM_KINDS.get(str(t).strip().lower(), str(t).strip()))
    raw = pd.DataFrame({
        "item_id": f.col("input_id"),
        "name": f.col("input_name"),
        "kind": kinds,
        "stage_id": f.col("stage_id"),
        "description": f.col("description"),
        "market_size": [s for s, _ in sizes],
        "market_size_year": [y for _, y in sizes],
        "source_id": _sources_of(f.col("market_share_chart_source"), sources),
        ROW: f.df[ROW],
    })
    mapping = {"item_id": "input_id", "name": "input_name", "kind": "type", "stage_id": "stage_id",
               "description": "description", "market_size": "market_share_chart_global_market_size_info",
               "market_size_year": "year", "source_id": "market_share_chart_source"}
    before = len(problems)
    df = _coerce("items", raw, f, mapping, problems)
    eto_types = ", ".join(ITEM_KINDS)
    for i in range(before, len(problems)):
        p = problems[i]
        if p.column == f.shown("type") and p.message.startswith("unknown"):
            problems[i] = _replace(p, message="unknown input type", expected=f"one of {eto_types}")
    return df


def _providers(f: _File, problems: list[Problem], findings: list[Problem]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Providers table (one row per provider_id) and the map ETO provider_id -> allychain id."""
    df = f.df
    rows: list[dict[str, Any]] = []
    id_map: dict[str, str] = {}
    owner: dict[str, tuple[str, int]] = {}  # allychain id -> (ETO id, row) that claimed it
    expected_place = ("an ISO 3166 country code or name (e.g. 'NLD' or 'Netherlands'), a region ('EUR') "
                      "or an aggregate ('Various countries')")
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in df.to_dict("records"):
        if _txt(rec["provider_id"]) is not None:
            groups.setdefault(str(rec["provider_id"]), []).append(rec)
    for eto_id, grp in groups.items():
        row = int(grp[0][ROW])
        names = [r["provider_name"] for r in grp if _txt(r["provider_name"]) is not None]
        name = names[0] if names else None
        for n, r in ((r["provider_name"], r[ROW]) for r in grp):
            if n is not None and name is not None and n != name:
                findings.append(Problem(f"provider {eto_id} is named {name!r} at row {row} but differently here",
                                        file=f.name, row=int(r), column=f.shown("provider_name"), value=n,
                                        expected=f"{name!r} (rows joined on provider_id)", check="names",
                                        severity="warning"))
        aliases = list(dict.fromkeys(r["alias"] for r in grp if _txt(r.get("alias")) is not None))
        types = {str(r["provider_type"]).lower() for r in grp if _txt(r["provider_type"]) is not None}
        if len(types) > 1:
            problems.append(Problem(f"provider {eto_id} has several types", file=f.name, row=row,
                                    column=f.shown("provider_type"), value=", ".join(sorted(types)),
                                    expected="one provider_type per provider_id"))
            continue
        ptype = next(iter(types), None)
        kind = _PROVIDER_TYPES.get(ptype or "")
        if kind is None:
            problems.append(Problem("unknown provider type", file=f.name, row=row, column=f.shown("provider_type"),
                                    value=ptype, expected="one of " + ", ".join(_PROVIDER_TYPES)))
            continue
        countries = [r["country"] for r in grp if _txt(r.get("country")) is not None]
        home: str | None = None
        if countries:
            try:
                home = resolve_place(countries[0]).id
            except LookupError as exc:
                if kind == "firm":
                    problems.append(Problem(str(exc), file=f.name, row=row, column=f.shown("country"),
                                            value=countries[0], expected=expected_place))
                    continue
        if name is None:  # coerce_table reports the empty required name
            rows.append({"provider_id": eto_id, "name": None, "kind": kind, ROW: row})
            continue
        if kind == "firm":
            pid = eto_id
            if _AGGREGATE.match(name):
                kind = "aggregate"  # e.g. "Various companies": never one firm
            display, other = name, aliases
        else:
            place = None
            err: LookupError | None = None
            for cand in (name, *aliases):
                try:
                    place = resolve_place(cand)
                    break
                except LookupError as exc:
                    err = err or exc
            if place is None:
                problems.append(Problem(str(err), file=f.name, row=row, column=f.shown("provider_name"),
                                        value=name, expected=expected_place))
                continue
            if kind == "country" or place.kind != "country":
                kind = place.kind
            pid = place.id
            readable = [n for n in (name, *aliases) if not _is_code(n) and not _AGGREGATE.match(n)]
            display = readable[0] if readable else (name if kind != "country" else place.name)
            other = [n for n in (name, *aliases) if n != display and n != pid]
            home = None  # only firms (and aggregates of firms) have a home country
        if pid in owner:
            first_id, first_row = owner[pid]
            problems.append(Problem(f"providers {first_id} (row {first_row}) and {eto_id} are the same provider {pid}",
                                    file=f.name, row=row, column=f.shown("provider_name"), value=name,
                                    expected="each country, region or aggregate listed once"))
            continue
        owner[pid] = (eto_id, row)
        id_map[eto_id] = pid
        rows.append({"provider_id": pid, "name": display, "kind": kind, "country": home,
                     "aliases": "; ".join(dict.fromkeys(other)) or None, ROW: row})
    blank_ids = df[df["provider_id"].isna()]
    raw = pd.concat([pd.DataFrame(rows, columns=["provider_id", "name", "kind", "country", "aliases", ROW]),
                     pd.DataFrame({"provider_id": [None] * len(blank_ids), "name": blank_ids["provider_name"],
                                   "kind": "firm", ROW: blank_ids[ROW]})], ignore_index=True)
    mapping = {"provider_id": "provider_id", "name": "provider_name", "kind": "provider_type",
               "country": "country", "aliases": "alias"}
    out = _coerce("providers", raw, f, mapping, problems)
    return out, id_map


def _shares(f: _File, id_map: Mapping[str, str], sources: dict[str, dict[str, Any]],
            problems: list[Problem]) -> pd.DataFrame:
    eto_ids = f.col("provider_id")
    raw = pd.DataFrame({
        "item_id": f.col("provided_id"),
        "provider_id": eto_ids.map(lambda v: None if v is None else id_map.get(str(v).strip(), str(v).strip())),
        "share": f.col("share_provided"),
        "year": f.col("year"),
        "negligible": f.col("negligible_market_share").map(_negligible),
        "source_id": _sources_of(f.col("source"), sources),
        "dataset": DATASET,
        ROW: f.df[ROW],
    })
    mapping = {"item_id": "provided_id", "provider_id": "provider_id", "share": "share_provided", "year": "year",
               "negligible": "negligible_market_share", "source_id": "source"}
    return _coerce("shares", raw, f, mapping, problems)


_YES = {"negligible", "true", "t", "yes", "y", "1", "x"}
_NO = {"false", "f", "no", "n", "0", "not negligible"}


def _negligible(v: object) -> object:
    """``negligible_market_share`` cell → "true"/"false"; releases write "negligible", "Negligible", TRUE."""
    t = _txt(v)
    if t is None:
        return None
    key = t.lower()
    return "true" if key in _YES else "false" if key in _NO else t


def _relations(f: _File, problems: list[Problem]) -> pd.DataFrame:
    parts = []
    for kind, col in (("goes_into", "goes_into_id"), ("is_type_of", "is_type_of_id")):
        target = f.col(col)
        keep = target.notna()
        parts.append(pd.DataFrame({"source": f.col("input_id")[keep], "target": target[keep], "kind": kind,
                                   "dataset": DATASET, ROW: f.df[ROW][keep]}))
    raw = pd.concat(parts, ignore_index=True).sort_values(ROW, kind="stable").reset_index(drop=True)
    mapping = {"source": "input_id", "target": "goes_into_id/is_type_of_id", "kind": "goes_into_id/is_type_of_id"}
    return _coerce("relations", raw, f, mapping, problems)


def _name_findings(f: _File, id_col: str, name_col: str, known: Mapping[str, set[str]], table: str,
                   what: str, findings: list[Problem]) -> None:
    """Warn where ``name_col`` differs from every name ``known`` holds for the id in ``id_col``."""
    if name_col not in f.df.columns:
        return
    for i, n, r in zip(f.col(id_col), f.col(name_col), f.df[ROW], strict=True):
        if i is None or n is None:
            continue
        names = known.get(str(i).strip())
        if names and str(n).strip() not in names:
            main = sorted(names)[0] if len(names) > 1 else next(iter(names))
            findings.append(Problem(f"{what} {str(i).strip()} is named {str(n).strip()!r} here but {main!r} in {table}",
                                    file=f.name, row=int(r), column=f.shown(name_col), value=n,
                                    expected=f"the name in {table} (rows joined on {f.shown(id_col)})",
                                    check="names", severity="warning"))


def _relabel(problems: list[Problem], start: int, file: str, columns: Mapping[str, str]) -> None:
    """Rename schema columns to the file's columns in problems from ``start`` on for ``file``."""
    for i in range(start, len(problems)):
        p = problems[i]
        if p.file == file and p.column is not None and p.column in columns:
            problems[i] = _replace(p, column=columns[p.column])


def read_eto(path: str | Path) -> Network:
    """Read a folder of the ETO Advanced Semiconductor Supply Chain Dataset.

    Parameters
    ----------
    path
        Folder holding ``stages.csv``, ``inputs.csv``, ``providers.csv``,
        ``provision.csv`` and ``sequence.csv`` (any release; see module docstring).

    Returns
    -------
    Network
        Share network with ``meta["family"] == "eto"``, the licence, and
        ``meta["findings"]`` holding warnings (names differing between files, market
        sizes not understood).  Shares are percent; unknown shares are NaN.

    Raises
    ------
    DataError
        Listing every problem (missing file or column, bad number, unknown id,
        unknown or ambiguous country, cycle), each with file, row, column, value and
        what was expected.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(Problem("not a folder", file=str(folder),
                                expected=f"a folder of the ETO dataset with {', '.join(FILES)}"))
    problems: list[Problem] = []
    findings: list[Problem] = []
    files = {name: _read_file(folder, name, problems) for name in FILES}
    if any(f is None for f in files.values()):
        raise DataError(problems)
    fs: dict[str, _File] = {k: v for k, v in files.items() if v is not None}
    st, inp, prov, pro, seq = (fs[n] for n in FILES)

    sources: dict[str, dict[str, Any]] = {}
    stages = _stages(st, sources, problems, findings)
    items = _items(inp, sources, problems, findings)
    providers, id_map = _providers(prov, problems, findings)
    shares = _shares(pro, id_map, sources, problems)
    relations = _relations(seq, problems)
    src = pd.DataFrame(list(sources.values()), columns=["source_id", "title", "url", "dataset"])
    src_df, found = coerce_table("sources", src, "sources")
    problems.extend(found)

    # names joined on ids: provision.csv and sequence.csv against providers.csv and inputs.csv
    prov_names: dict[str, set[str]] = {}
    for i, n, a in zip(prov.col("provider_id"), prov.col("provider_name"), prov.col("alias"), strict=True):
        if i is not None:
            s = prov_names.setdefault(str(i).strip(), set())
            s.update(str(x).strip() for x in (n, a) if x is not None)
    thing_names: dict[str, set[str]] = {}
    pairs = [*zip(inp.col("input_id"), inp.col("input_name"), strict=True),
             *zip(st.col("stage_id"), st.col("stage_name"), strict=True)]
    for i, n in pairs:
        if i is not None and n is not None:
            thing_names.setdefault(str(i).strip(), set()).add(str(n).strip())
    _name_findings(pro, "provider_id", "provider_name", prov_names, "providers.csv", "provider", findings)
    _name_findings(pro, "provided_id", "provided_name", thing_names, "inputs.csv/stages.csv", "input", findings)
    for id_col, name_col in (("input_id", "input_name"), ("goes_into_id", "goes_into_name"),
                             ("is_type_of_id", "is_type_of_name")):
        _name_findings(seq, id_col, name_col, thing_names, "inputs.csv", "input", findings)

    if not errors(problems):
        tables = {"stages": stages, "items": items, "providers": providers, "shares": shares,
                  "relations": relations, "sources": src_df}
        names = {"stages": st.name, "items": inp.name, "providers": prov.name, "shares": pro.name,
                 "relations": seq.name, "sources": "sources"}
        start = len(problems)
        problems.extend(check_references(tables, names))
        problems.extend(find_cycles(relations, seq.name))
        _relabel(problems, start, pro.name, {"item_id": pro.shown("provided_id"),
                                             "provider_id": pro.shown("provider_id")})
        _relabel(problems, start, inp.name, {"stage_id": inp.shown("stage_id")})
        targets = {f"{inp.name} column 'item_id'": f"{inp.name} column '{inp.shown('input_id')}'"}
        for i in range(start, len(problems)):
            p = problems[i]
            if p.file == seq.name and p.column in ("source", "target"):
                p = _replace(p, column=_relation_column(seq, p))
            for old, new in targets.items():
                if p.expected and old in p.expected:
                    p = _replace(p, expected=p.expected.replace(old, new))
            problems[i] = p
    errs = errors(problems)
    if errs:
        raise DataError(errs)
    tables_out = {
        "stages": stages.drop(columns=[ROW]),
        "items": items.drop(columns=[ROW]),
        "providers": providers.drop(columns=[ROW]),
        "shares": shares.drop(columns=[ROW]),
        "relations": relations.drop(columns=[ROW]),
        "sources": src_df.drop(columns=[ROW]),
    }
    meta = {
        "family": FAMILY,
        "license": LICENSE,
        "description": DESCRIPTION,
        "path": str(folder),
        "crosswalks": {},
        "provider_ids": dict(id_map),  # ETO provider_id -> allychain provider_id
        "findings": tuple(findings),
    }
    return Network(name="eto", meta=meta, **tables_out)


def _relation_column(seq: _File, p: Problem) -> str:
    if p.column == "source":
        return seq.shown("input_id")
    at_row = seq.df[seq.df[ROW] == p.row]
    for col in ("goes_into_id", "is_type_of_id"):
        if col in at_row.columns and (at_row[col] == p.value).any():
            return seq.shown(col)
    return seq.shown("goes_into_id")
