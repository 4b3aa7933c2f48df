"""The five ETO files: their columns across releases, reading one file, repeated rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace as _replace
from pathlib import Path

import pandas as pd

from allychain.data.csvread import read_text_csv
from allychain.data.eto.parsing import txt
from allychain.errors import DataError, Problem
from allychain.model.validate import ROW, coerce_table

__all__ = ["FILES", "OPTIONAL", "REQUIRED", "EtoFile", "coerce", "collapse_repeated_rows", "read_file", "relabel"]

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


@dataclass
class EtoFile:
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


def read_file(folder: Path, fname: str, problems: list[Problem]) -> EtoFile | None:
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
            df[c] = pd.Series([txt(v) for v in df[c]], index=df.index, dtype=object)
    return EtoFile(path, df, header)



def shown_names(f: EtoFile, mapping: Mapping[str, str]) -> dict[str, str]:
    """Schema column -> the file's column name, for messages."""
    return {schema_col: f.shown(eto_col) for schema_col, eto_col in mapping.items()}


def coerce(component: str, raw: pd.DataFrame, f: EtoFile, mapping: Mapping[str, str],
            problems: list[Problem]) -> pd.DataFrame:
    df, found = coerce_table(component, raw, f.name, column_names=shown_names(f, mapping))
    problems.extend(found)
    return df


def relabel(problems: list[Problem], start: int, file: str, columns: Mapping[str, str]) -> None:
    """Rename schema columns to the file's columns in problems from ``start`` on for ``file``."""
    for i in range(start, len(problems)):
        p = problems[i]
        if p.file == file and p.column is not None and p.column in columns:
            problems[i] = _replace(p, column=columns[p.column])




def collapse_repeated_rows(f: EtoFile, what: str, findings: list[Problem]) -> EtoFile:
    """Keep the first of rows that repeat another row of ``f`` word for word.

    A row repeated with every cell the same (after trimming spaces) is a publishing slip
    that changes nothing — the 2019 release repeats one provision row so — so it is read
    once, with a warning (check ``repeated_rows``) naming both rows.  Rows that share a
    key but differ in any cell are left in place: the schema's unique-key check rejects
    them, naming both rows.
    """
    cols = [c for c in f.df.columns if c != ROW]
    repeated = f.df.duplicated(cols, keep="first")
    if not repeated.any():
        return f
    first_row: dict[tuple[object, ...], int] = {}
    for rec in f.df[cols + [ROW]].itertuples(index=False, name=None):
        key, row = tuple(rec[:-1]), int(rec[-1])
        if key in first_row:
            cells = ", ".join(f"{f.shown(c)}={v}" for c, v in zip(cols, key, strict=True) if v is not None)
            findings.append(Problem(f"{what} repeats row {first_row[key]} word for word ({cells}); read once",
                                    file=f.name, row=row, check="repeated_rows", severity="warning"))
        else:
            first_row[key] = row
    return _replace(f, df=f.df[~repeated].reset_index(drop=True))
