"""The table boundary: numbers beyond float range, marks hidden in headers, look-alike ids,
capped problem lists, and the two CSV paths (with and without quotes) giving the same table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allychain
from allychain.data.csvread import read_text_csv
from allychain.errors import DataError
from allychain.model.columns import MAX_PROBLEMS_ENV
from allychain.model.validate import coerce_table

ITEMS = "item_id,name,kind\nN1,Silicon wafers,material\nN2,Lithography tools,tool\n"
PROVIDERS = "provider_id,name,kind\nUSA,United States,country\nKOR,South Korea,country\n"


def folder(tmp: Path, **files: str | bytes) -> Path:
    d = tmp / "net"
    d.mkdir()
    base = {"items.csv": ITEMS, "providers.csv": PROVIDERS}
    for name, text in {**base, **files}.items():
        (d / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return d


def problems_of(path: Path) -> list:
    with pytest.raises(DataError) as exc:
        allychain.load(str(path))
    return exc.value.problems


@pytest.mark.parametrize("value", ["1e309", "-1e309", "9" * 400, "1" * 400 + ".5"])
def test_numbers_beyond_float_range_are_out_of_range_not_text(tmp_path: Path, value: str) -> None:
    d = folder(tmp_path, **{"nodes.csv": f"node_id,product,capacity\nW1,wafer,{value}\n"})
    (p,) = problems_of(d)
    assert (p.row, p.column, p.value) == (2, "capacity", value)
    assert "out of range" in p.message and "finite" in p.message and "not a number" not in p.message
    assert "finite number" in (p.expected or "")


def test_nan_and_inf_words_stay_not_a_number(tmp_path: Path) -> None:
    d = folder(tmp_path, **{"nodes.csv": "node_id,product,capacity\nW1,wafer,nan\nW2,wafer,Infinity\n"})
    assert [p.message for p in problems_of(d)] == ["not a number", "not a number"]


def test_a_bom_inside_a_header_is_named_as_a_bom(tmp_path: Path) -> None:
    # two files pasted together: the second file's BOM lands inside the header
    d = folder(tmp_path, **{"shares.csv": "\ufeffitem_id,\ufeffprovider_id,share\nN1,USA,40\n"})
    (p,) = problems_of(d)
    assert p.row == 1 and p.column == "provider_id"
    assert "byte-order mark (U+FEFF)" in p.message and "misspelling" not in p.message


def test_a_zero_width_space_in_a_header_is_named(tmp_path: Path) -> None:
    d = folder(tmp_path, **{"shares.csv": "item_id,provider\u200b_id,share\nN1,USA,40\n"})
    (p,) = problems_of(d)
    assert "U+200B ZERO WIDTH SPACE" in p.message and p.column == "provider_id"


def test_homoglyph_ids_are_rejected_with_the_code_points(tmp_path: Path) -> None:
    items = ITEMS + "g\u0430llium,Gallium,raw_material\n"  # Cyrillic а
    d = folder(tmp_path, **{"items.csv": items})
    (p,) = problems_of(d)
    assert (p.row, p.column, p.value) == (4, "item_id", "g\u0430llium")
    assert "Latin and Cyrillic" in p.message and "U+0430 CYRILLIC SMALL LETTER A at position 2" in p.message


def test_ids_in_one_non_latin_script_are_fine(tmp_path: Path) -> None:
    items = ITEMS + "\u0433\u0430\u043b\u043b\u0438\u0439,Gallium (ru),raw_material\n\u6771\u4eac,Tokyo,material\n"
    n = allychain.load(str(folder(tmp_path, **{"items.csv": items})))
    assert "\u0433\u0430\u043b\u043b\u0438\u0439" in set(n.items["item_id"])


def test_problem_lists_are_capped_and_the_rest_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_PROBLEMS_ENV, "5")
    rows = "".join(f"{it},{pr},{150 + y},{y}\n" for it in ("N1", "N2") for pr in ("USA", "KOR")
                   for y in range(1901, 2101))
    d = folder(tmp_path, **{"shares.csv": "item_id,provider_id,share,year\n" + rows})
    with pytest.raises(DataError) as exc:
        allychain.load(str(d))
    err = exc.value
    assert len(err.problems) == 6 and err.total == 800
    last = err.problems[-1]
    assert last.omitted == 795 and last.row == 7 and "795 more rows" in last.message
    assert "800 problems found" in str(err)


def test_the_default_cap_keeps_a_million_bad_cells_cheap() -> None:
    raw = pd.DataFrame({"item_id": ["N1"] * 50_000, "provider_id": [f"P{i}" for i in range(50_000)],
                        "share": ["lots"] * 50_000})
    _, problems = coerce_table("shares", raw, "shares.csv")
    assert len(problems) == 101 and sum(p.count for p in problems) == 50_000


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='",\r\n\x00\ufeff'),
                max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cells, cells, cells), min_size=1, max_size=8),
       st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_quoted_and_plain_paths_read_the_same_table(tmp_path_factory: pytest.TempPathFactory, rows: list,
                                                    newline: str, blank_lines: bool) -> None:
    d = tmp_path_factory.mktemp("csv")
    lines = ["a,b,c"] + [",".join(r) for r in rows]
    if blank_lines:
        lines = [lines[0], ""] + [x for ln in lines[1:] for x in (ln, " ,  ,")]
    plain = newline.join(lines) + newline
    quoted = plain.replace("a,b,c", '"a",b,c', 1)  # one quote sends the file through the csv module
    (d / "p.csv").write_text(plain, encoding="utf-8", newline="")
    (d / "q.csv").write_text(quoted, encoding="utf-8", newline="")
    try:
        p = read_text_csv(d / "p.csv")
    except DataError as exc:
        with pytest.raises(DataError) as exc2:
            read_text_csv(d / "q.csv")
        assert [str(x) for x in exc.value.problems] == [str(x).replace("q.csv", "p.csv") for x in exc2.value.problems]
        return
    q = read_text_csv(d / "q.csv")
    pd.testing.assert_frame_equal(p.astype(object), q.astype(object))
