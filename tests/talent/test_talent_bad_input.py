"""Bad input: every problem names its file, row and column (tables) or key path (programme files)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from allychain.data.spec import read_programmes
from allychain.errors import DataError, SpecError
from allychain.talent import builtin_workforce
from allychain.talent.params import read_table, validated

HEADER = "country,level,flow,year,value,unit,source_id,confidence,note\n"


def _problems(body: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(DataError) as exc:
        validated(read_table(HEADER + body), "workforce.csv", sources=pd.Series(["s"]))
    for p in exc.value.problems:
        assert p.file == "workforce.csv"
    return [(p.row, p.column, p.message) for p in exc.value.problems]


def test_negative_flow_share_above_one_year_out_of_range_named_by_row_and_column() -> None:
    got = _problems("KOR,all,stock,2021,100,persons,s,high,\n"
                    "KOR,all,migration,2021,-5,persons/year,s,high,\n"
                    "KOR,all,entry_share,2021,1.2,fraction,s,high,\n"
                    "KOR,all,attrition,1850,0.1,fraction/year,s,high,\n")
    assert (3, "value", "negative value (flows, stocks and rates cannot be negative)") in got
    assert (4, "value", "share or rate above 100 %") in got
    assert (5, "year", "year out of range") in got
    assert len(got) == 3


def test_unknown_values_units_sources_and_duplicates() -> None:
    got = _problems("KOR,all,stock,2021,100,persons,s,high,\n"
                    "KOR,all,stock,2021,110,persons,s,high,\n"
                    "KOR,phd,demand,2031,200,persons,s,high,\n"
                    "Korea,all,pipeline,2021,5,persons,nowhere,sure,\n")
    rows = {(r, c) for r, c, _ in got}
    assert {(4, "level"), (5, "country"), (5, "unit"), (5, "source_id"), (5, "confidence"), (2, "flow")} <= rows
    assert any("duplicate row: lines 2, 3" in m for _, _, m in got)


def test_missing_column_is_reported_once() -> None:
    with pytest.raises(DataError, match="missing column"):
        validated(read_table("country,level\nKOR,all\n"), "w.csv")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "programme.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(("body", "key", "expected"), [
    ("- {country: XYZ, per_year: 10, from: 2025}", "programmes[0].country", "a country with workforce parameters"),
    ("- {country: KOR, level: bachelor, per_year: 10, from: 2025}", "programmes[0].level", "a level with a workforce"),
    ("- {country: KOR, per_year: -10, from: 2025}", "programmes[0].per_year", "people per year >= 0"),
    ("- {country: KOR, per_year: 10, from: 2025, entry_share: 1.5}", "programmes[0].entry_share", "fraction"),
    ("- {country: KOR, per_year: 10, from: 1900}", "programmes[0].from", "from 2000 to 2100"),
    ("- {country: KOR, per_year: 10, from: 2025, until: 2024}", "programmes[0].until", "from 2025"),
    ("- {country: KOR, per_year: 10, from: 2025, size: 3}", "programmes[0].size", "one of the keys"),
])
def test_programme_file_errors_name_file_and_key_path(tmp_path: Path, body: str, key: str, expected: str) -> None:
    p = _write(tmp_path, "programmes:\n  " + body + "\n")
    with pytest.raises(SpecError) as exc:
        read_programmes(p, builtin_workforce())
    assert exc.value.key == key and exc.value.file == str(p)
    assert expected in str(exc.value)


def test_programme_file_read(tmp_path: Path) -> None:
    p = _write(tmp_path, "programmes:\n  - name: academy\n    country: kor\n    per_year: 1000\n    from: 2025\n"
                         "    until: 2030\n    entry_share: 0.8\n")
    (prog,) = read_programmes(p, builtin_workforce())
    assert (prog.name, prog.country, prog.level, prog.per_year, prog.start, prog.end, prog.entry_share) == \
        ("academy", "KOR", "all", 1000.0, 2025, 2030, 0.8)
