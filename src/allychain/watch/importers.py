"""Importers of indicator series from the usual public layouts.

* ``long``: the schema's own columns (``schema/indicators.csv``); ``date`` may be
  ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (then ``freq`` defaults to A).
* ``comtrade``: a UN Comtrade extract as the Comtrade Plus bulk/API download writes it
  (``period``, ``reporterISO``, ``flowCode`` M/X, ``partnerISO``, ``cmdCode``,
  ``primaryValue`` in USD, ``netWgt`` in kg), or the legacy layout (``Period``,
  ``Reporter ISO``, ``Trade Flow``, ``Partner ISO``, ``Commodity Code``,
  ``Trade Value (US$)``, ``Netweight (kg)``).  Partner ``W00``/``WLD``/World is the
  total.  Re-exports and re-imports are left out (a warning counts them).
* ``baci``: a CEPII BACI file (``t`` year, ``i`` exporter, ``j`` importer as numeric
  country codes, ``k`` HS6 product, ``v`` value in thousand USD, ``q`` quantity in
  metric tons), read as the importer's imports from the exporter (USD, kg).

Every importer checks the whole file first: a missing column, a negative value or
quantity, a duplicate period, a value that is not a number is an error naming the
row (1-based line of the file, header = 1), and nothing is returned.  A row whose
HS code the crosswalk does not know is left out with a warning naming it (the
series cannot be tied to an item).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from allychain.errors import DataError, Problem
from allychain.model.members import is_iso3
from allychain.watch.indicators import COLUMNS, WORLD, crosswalk, validated

__all__ = ["LAYOUTS", "Ingested", "read_indicators", "from_frame"]

log = logging.getLogger(__name__)

LAYOUTS = ("long", "comtrade", "baci")

#: Comtrade column aliases (Comtrade Plus name → legacy names)
_COMTRADE = {
    "period": ("period", "Period", "refPeriodId"),
    "freq": ("freqCode", "Frequency"),
    "reporter": ("reporterISO", "Reporter ISO", "ReporterISO"),
    "flow": ("flowCode", "Trade Flow", "Trade Flow Code"),
    "partner": ("partnerISO", "Partner ISO", "PartnerISO"),
    "hs_code": ("cmdCode", "Commodity Code"),
    "value": ("primaryValue", "Trade Value (US$)", "TradeValue"),
    "quantity": ("netWgt", "Netweight (kg)", "NetWeight"),
}
_FLOWS = {"M": "import", "X": "export", "1": "import", "2": "export", "IMPORT": "import", "EXPORT": "export",
          "IMPORTS": "import", "EXPORTS": "export"}
_WORLD = {"W00", "WLD", "WORLD", "0", "000"}
#: BACI country codes that are not ISO 3166 numeric codes (CEPII's country_codes file)
_BACI_CODES = {"251": "FRA", "579": "NOR", "699": "IND", "757": "CHE", "842": "USA", "490": "TWN", "58": "BEL"}


@dataclass
class Ingested:
    """What an importer read: the table (schema columns) and the warnings (rows left out)."""

    table: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    layout: str = "long"


def read_indicators(path: str | Path, layout: str = "long", source: str | None = None) -> Ingested:
    """Read an indicator file in one of :data:`LAYOUTS`.

    Parameters
    ----------
    path
        A CSV file (UTF-8; ``.gz`` and ``.zip`` are read as compressed).
    layout
        ``long``, ``comtrade`` or ``baci``.
    source
        The ``source`` column for Comtrade and BACI rows (default: the layout name).

    Raises
    ------
    DataError
        Every problem that makes rows unusable, each naming file, row and column.
    """
    p = Path(path)
    if layout not in LAYOUTS:
        raise DataError(Problem(f"unknown layout {layout!r}", file=p.name, expected=" | ".join(LAYOUTS)))
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise DataError(Problem("no such file", file=str(p))) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise DataError(Problem(f"cannot be read as CSV: {str(e).splitlines()[0]}", file=p.name)) from None
    return from_frame(raw, layout, file=p.name, source=source)


def from_frame(raw: pd.DataFrame, layout: str, file: str | None = None, source: str | None = None) -> Ingested:
    """:func:`read_indicators` on a frame of strings already read (line = index + 2)."""
    raw = raw.reset_index(drop=True)
    lines = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    if layout == "long":
        df = _long(raw, file)
        warnings: list[Problem] = []
    else:
        df, warnings = (_comtrade if layout == "comtrade" else _baci)(raw, file, source or layout)
        df, more = _link_items(df, file, lines)
        warnings += more
    ln = lines.loc[df.index].to_numpy()
    df = df.reset_index(drop=True)
    table = validated(df, file, pd.Series(ln, index=df.index))
    log.info("%s: %d rows read (%s layout), %d warning(s)", file, len(table), layout, len(warnings))
    return Ingested(table, warnings, layout)


def _pick(raw: pd.DataFrame, spec: dict[str, tuple[str, ...]], need: list[str], file: str | None) -> dict[str, str]:
    found = {k: next((a for a in names if a in raw.columns), "") for k, names in spec.items()}
    missing = [f"{k} ({' or '.join(spec[k])})" for k in need if not found[k]]
    if missing:
        raise DataError(Problem(f"missing column(s): {'; '.join(missing)}", file=file, row=1,
                                expected="a Comtrade extract with these columns"))
    return found


def _period(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(ISO first day, freq) of periods written YYYYMM, YYYY-MM, YYYY-MM-DD or YYYY ('' when unreadable)."""
    t = text.astype(str).str.strip()
    date = pd.Series("", index=t.index)
    freq = pd.Series("", index=t.index)
    m6 = t.str.fullmatch(r"\d{6}")
    date[m6], freq[m6] = t[m6].str[:4] + "-" + t[m6].str[4:] + "-01", "M"
    m7 = t.str.fullmatch(r"\d{4}-\d{2}")
    date[m7], freq[m7] = t[m7] + "-01", "M"
    m10 = t.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    date[m10], freq[m10] = t[m10], "M"
    m4 = t.str.fullmatch(r"\d{4}")
    date[m4], freq[m4] = t[m4] + "-01-01", "A"
    date[~(m6 | m7 | m10 | m4)] = t  # left as read: the pattern check names the row
    return date, freq


def _long(raw: pd.DataFrame, file: str | None) -> pd.DataFrame:
    df = raw.copy()
    missing = [c for c in ("date", "kind", "reporter", "value", "unit", "source") if c not in df.columns]
    if missing:
        raise DataError(Problem(f"missing column(s): {', '.join(missing)}", file=file, row=1,
                                expected=", ".join(COLUMNS)))
    date, freq = _period(df["date"])
    if "freq" not in df.columns:
        df["freq"] = freq
    df["freq"] = df["freq"].where(df["freq"] != "", freq)
    df["date"] = date
    for c in ("flow", "partner", "hs_code", "item"):
        if c not in df.columns:
            df[c] = ""
    df["hs_code"] = df["hs_code"].astype(str).str.replace(".", "", regex=False)
    hs_items = crosswalk().set_index("hs_code")["item"]
    df["item"] = df["item"].where(df["item"] != "", df["hs_code"].map(hs_items)).fillna("")
    return df


def _comtrade(raw: pd.DataFrame, file: str | None, source: str) -> tuple[pd.DataFrame, list[Problem]]:
    c = _pick(raw, _COMTRADE, ["period", "reporter", "flow", "partner", "hs_code", "value"], file)
    date, freq = _period(raw[c["period"]])
    if c["freq"]:
        freq = raw[c["freq"]].str.strip().str.upper().str[:1].where(lambda s: s != "", freq)
    flow_raw = raw[c["flow"]].astype(str).str.strip().str.upper()
    flow = flow_raw.map(_FLOWS)
    warnings = []
    other = flow.isna() & (flow_raw != "")
    if other.any():
        warnings.append(Problem(f"{int(other.sum())} row(s) with flows other than imports and exports "
                                f"({', '.join(sorted(set(flow_raw[other]))[:5])}) left out", file=file,
                                column=c["flow"], severity="warning"))
    partner = raw[c["partner"]].astype(str).str.strip().str.upper()
    partner = partner.where(~partner.isin(_WORLD), WORLD)
    base = pd.DataFrame({"date": date, "freq": freq, "flow": flow.fillna(flow_raw.where(flow_raw == "", "?")),
                         "reporter": raw[c["reporter"]].str.strip().str.upper(), "partner": partner,
                         "hs_code": raw[c["hs_code"]].str.strip().str.replace(".", "", regex=False),
                         "source": source, "item": ""}, index=raw.index)
    base = base[~other]
    rows = [base.assign(kind="trade_value", unit="USD", value=raw[c["value"]])]
    if c["quantity"]:
        rows.append(base.assign(kind="trade_quantity", unit="kg", value=raw[c["quantity"]]))
    return pd.concat(rows), warnings


def _baci(raw: pd.DataFrame, file: str | None, source: str) -> tuple[pd.DataFrame, list[Problem]]:
    missing = [x for x in ("t", "i", "j", "k", "v") if x not in raw.columns]
    if missing:
        raise DataError(Problem(f"missing column(s): {', '.join(missing)}", file=file, row=1,
                                expected="a BACI file with columns t, i, j, k, v, q"))
    iso = {x: _BACI_CODES.get(x.lstrip("0") or "0") or _numeric_iso(x) for x in
           set(raw["i"].str.strip()) | set(raw["j"].str.strip())}
    base = pd.DataFrame({"date": raw["t"].str.strip() + "-01-01", "freq": "A", "flow": "import",
                         "reporter": raw["j"].str.strip().map(iso), "partner": raw["i"].str.strip().map(iso),
                         "hs_code": raw["k"].str.strip().str.zfill(6), "source": source, "item": ""},
                        index=raw.index)

    def scaled(col: str) -> pd.Series:
        """thousand USD → USD, metric tons → kg; BACI's 'NA' is a gap; other text kept for the error message."""
        num = pd.to_numeric(raw[col], errors="coerce")
        gap = raw[col].str.strip().isin(["", "NA"])
        return (num * 1000.0).astype(object).where(num.notna(), raw[col].where(~gap, None))

    rows = [base.assign(kind="trade_value", unit="USD", value=scaled("v"))]
    if "q" in raw.columns:
        rows.append(base.assign(kind="trade_quantity", unit="kg", value=scaled("q")))
    return pd.concat(rows), []


def _numeric_iso(code: str) -> str:
    from allychain.model.members import lookup_country

    try:
        return lookup_country(code.zfill(3))[0] if code.isdigit() else code
    except LookupError:
        return code  # the reporter/partner pattern check names the row


def _link_items(df: pd.DataFrame, file: str | None, lines: pd.Series) -> tuple[pd.DataFrame, list[Problem]]:
    """Items from the crosswalk; rows of unknown HS codes left out with a warning naming the rows."""
    hs_items = crosswalk().set_index("hs_code")["item"]
    df = df.assign(item=df["hs_code"].map(hs_items))
    unknown = df["item"].isna()
    warnings = []
    if unknown.any():
        bad = df[unknown & ~df.index.duplicated()]
        for code, grp in bad.groupby("hs_code", sort=True):
            shown = ", ".join(str(int(lines[i])) for i in grp.index[:10])
            more = f" and {len(grp) - 10} more" if len(grp) > 10 else ""
            warnings.append(Problem(f"HS code not in the crosswalk: {len(grp)} row(s) left out (rows {shown}{more})",
                                    file=file, row=int(lines[grp.index[0]]), column="hs_code", value=code,
                                    expected="a 6-digit code of allychain's HS crosswalk", severity="warning"))
    df = df[~unknown]
    bad_iso = ~df["reporter"].map(is_iso3) | ~(df["partner"].isin([WORLD]) | df["partner"].map(is_iso3))
    if bad_iso.any():
        i = bad_iso[bad_iso].index[0]
        col = "reporter" if not is_iso3(df.loc[bad_iso, "reporter"].iloc[0]) else "partner"
        raise DataError(Problem(f"{int(bad_iso.sum())} row(s) with a country that is not an ISO 3166 code",
                                file=file, row=int(lines[i]), column=col, value=df.loc[bad_iso, col].iloc[0],
                                expected="an ISO alpha-3 code (or a numeric code BACI uses)"))
    return df, warnings
