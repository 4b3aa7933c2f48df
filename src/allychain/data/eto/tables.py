"""ETO files → allychain tables: stages, items, providers, shares, relations, and name checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace as _replace
from typing import Any

import pandas as pd

from allychain.data.eto.files import EtoFile, coerce
from allychain.data.eto.parsing import DATASET, negligible, parse_market_size, source_row, txt
from allychain.data.eto.places import AGGREGATE, is_code, resolve_place
from allychain.errors import Problem
from allychain.model.validate import ROW

__all__ = ["ITEM_KINDS", "items_table", "name_findings", "providers_table", "relations_table", "shares_table",
           "stages_table"]

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


def stages_table(f: EtoFile, sources: dict[str, dict[str, Any]], problems: list[Problem],
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
    return coerce("stages", raw, f, mapping, problems)


def _size_findings(f: EtoFile, sizes: list[tuple[float, int | None]], findings: list[Problem]) -> None:
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
            sources[text] = source_row(text)
        out.append(sources[text]["source_id"])
    return out


def items_table(f: EtoFile, sources: dict[str, dict[str, Any]], problems: list[Problem],
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
    df = coerce("items", raw, f, mapping, problems)
    eto_types = ", ".join(ITEM_KINDS)
    for i in range(before, len(problems)):
        p = problems[i]
        if p.column == f.shown("type") and p.message.startswith("unknown"):
            problems[i] = _replace(p, message="unknown input type", expected=f"one of {eto_types}")
    return df


_EXPECTED_PLACE = ("an ISO 3166 country code or name (e.g. 'NLD' or 'Netherlands'), a region ('EUR') "
                   "or an aggregate ('Various countries')")


def providers_table(f: EtoFile, problems: list[Problem], findings: list[Problem]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Providers table (one row per provider_id) and the map ETO provider_id -> allychain id."""
    df = f.df
    rows: list[dict[str, Any]] = []
    id_map: dict[str, str] = {}
    owner: dict[str, tuple[str, int]] = {}  # allychain id -> (ETO id, row) that claimed it
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in df.to_dict("records"):
        if txt(rec["provider_id"]) is not None:
            groups.setdefault(str(rec["provider_id"]), []).append(rec)
    for eto_id, grp in groups.items():
        row = int(grp[0][ROW])
        name = _provider_name(f, eto_id, grp, row, findings)
        aliases = list(dict.fromkeys(r["alias"] for r in grp if txt(r.get("alias")) is not None))
        kind = _provider_kind(f, eto_id, grp, row, problems)
        if kind is None:
            continue
        countries = [r["country"] for r in grp if txt(r.get("country")) is not None]
        home: str | None = None
        if countries:
            try:
                home = resolve_place(countries[0]).id
            except LookupError as exc:
                if kind == "firm":
                    problems.append(Problem(str(exc), file=f.name, row=row, column=f.shown("country"),
                                            value=countries[0], expected=_EXPECTED_PLACE))
                    continue
        if name is None:  # coerce_table reports the empty required name
            rows.append({"provider_id": eto_id, "name": None, "kind": kind, ROW: row})
            continue
        if kind == "firm":
            pid = eto_id
            if AGGREGATE.match(name):
                kind = "aggregate"  # e.g. "Various companies": never one firm
            display, other = name, aliases
        else:
            placed = _place_provider(f, name, aliases, kind, row, problems)
            if placed is None:
                continue
            pid, kind, display, other = placed
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
    out = coerce("providers", raw, f, mapping, problems)
    return out, id_map


def _provider_name(f: EtoFile, eto_id: str, grp: list[dict[str, Any]], row: int,
                   findings: list[Problem]) -> Any:
    """The first non-empty name of a provider's rows (None if none); a warning for each row naming it otherwise."""
    names = [r["provider_name"] for r in grp if txt(r["provider_name"]) is not None]
    name = names[0] if names else None
    for n, r in ((r["provider_name"], r[ROW]) for r in grp):
        if n is not None and name is not None and n != name:
            findings.append(Problem(f"provider {eto_id} is named {name!r} at row {row} but differently here",
                                    file=f.name, row=int(r), column=f.shown("provider_name"), value=n,
                                    expected=f"{name!r} (rows joined on provider_id)", check="names",
                                    severity="warning"))
    return name


def _provider_kind(f: EtoFile, eto_id: str, grp: list[dict[str, Any]], row: int,
                   problems: list[Problem]) -> str | None:
    """The allychain kind of a provider's one ETO ``provider_type``; None (a problem reported) if ambiguous or unknown."""
    types = {str(r["provider_type"]).lower() for r in grp if txt(r["provider_type"]) is not None}
    if len(types) > 1:
        problems.append(Problem(f"provider {eto_id} has several types", file=f.name, row=row,
                                column=f.shown("provider_type"), value=", ".join(sorted(types)),
                                expected="one provider_type per provider_id"))
        return None
    ptype = next(iter(types), None)
    kind = _PROVIDER_TYPES.get(ptype or "")
    if kind is None:
        problems.append(Problem("unknown provider type", file=f.name, row=row, column=f.shown("provider_type"),
                                value=ptype, expected="one of " + ", ".join(_PROVIDER_TYPES)))
    return kind


def _place_provider(f: EtoFile, name: Any, aliases: list[Any], kind: str, row: int,
                    problems: list[Problem]) -> tuple[str, str, Any, list[Any]] | None:
    """A country, region or aggregate provider as a place: (id, kind, display name, other names).

    The name and then each alias is tried; None (a problem reported) if none is a known place.
    """
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
                                value=name, expected=_EXPECTED_PLACE))
        return None
    if kind == "country" or place.kind != "country":
        kind = place.kind
    pid = place.id
    readable = [n for n in (name, *aliases) if not is_code(n) and not AGGREGATE.match(n)]
    display = readable[0] if readable else (name if kind != "country" else place.name)
    other = [n for n in (name, *aliases) if n != display and n != pid]
    return pid, kind, display, other


def shares_table(f: EtoFile, id_map: Mapping[str, str], sources: dict[str, dict[str, Any]],
            problems: list[Problem]) -> pd.DataFrame:
    eto_ids = f.col("provider_id")
    raw = pd.DataFrame({
        "item_id": f.col("provided_id"),
        "provider_id": eto_ids.map(lambda v: None if v is None else id_map.get(str(v).strip(), str(v).strip())),
        "share": f.col("share_provided"),
        "year": f.col("year"),
        "negligible": f.col("negligible_market_share").map(negligible),
        "source_id": _sources_of(f.col("source"), sources),
        "dataset": DATASET,
        ROW: f.df[ROW],
    })
    mapping = {"item_id": "provided_id", "provider_id": "provider_id", "share": "share_provided", "year": "year",
               "negligible": "negligible_market_share", "source_id": "source"}
    return coerce("shares", raw, f, mapping, problems)



def relations_table(f: EtoFile, problems: list[Problem]) -> pd.DataFrame:
    parts = []
    for kind, col in (("goes_into", "goes_into_id"), ("is_type_of", "is_type_of_id")):
        target = f.col(col)
        keep = target.notna()
        parts.append(pd.DataFrame({"source": f.col("input_id")[keep], "target": target[keep], "kind": kind,
                                   "dataset": DATASET, ROW: f.df[ROW][keep]}))
    raw = pd.concat(parts, ignore_index=True).sort_values(ROW, kind="stable").reset_index(drop=True)
    mapping = {"source": "input_id", "target": "goes_into_id/is_type_of_id", "kind": "goes_into_id/is_type_of_id"}
    return coerce("relations", raw, f, mapping, problems)


def name_findings(f: EtoFile, id_col: str, name_col: str, known: Mapping[str, set[str]], table: str,
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


