"""Event extraction on hand-checked sentences: fields, spans, dates, linking rules, offline."""

from __future__ import annotations

import socket

import pytest

from allychain.watch import extract, gazetteer, read_document


def _one(x):
    assert len(x.events) == 1, [e.to_dict() for e in x.events]
    return x.events[0]


def test_runs_with_the_socket_layer_blocked(builtin, no_network) -> None:
    with pytest.raises(AssertionError):
        socket.socket()  # the fixture really blocks
    x = extract(builtin, "China will require licences for exports of gallium and germanium from 1 August. "
                         "The commerce ministry announced the rules on Monday.", date="2023-07-03")
    ev = _one(x)
    assert ev.type == "licence_requirement"
    assert ev.item_ids == ["gallium", "germanium"]
    assert [m.id for m in ev.imposing] == ["CHN"]
    assert ev.effective.value == "2023-08-01" and ev.effective.resolved == "inferred"
    assert ev.announced.value == "2023-07-03" and ev.announced.resolved == "relative"  # Monday 3 July 2023


def test_every_span_slices_its_text(builtin) -> None:
    text = ("Japan's trade ministry said on 1 July 2019 that exports of fluorinated polyimide, resists and "
            "hydrogen fluoride to South Korea will require individual licences from 4 July.")
    ev = _one(extract(builtin, text, date="2019-07-01"))
    for m in [*ev.items, *ev.imposing, *ev.targeted, ev.trigger, ev.announced, ev.effective]:
        assert text[m.start:m.end] == m.text
    assert [m.id for m in ev.targeted] == ["KOR"] and [m.id for m in ev.imposing] == ["JPN"]
    assert ev.announced.value == "2019-07-01" and ev.effective.value == "2019-07-04"


def test_item_ids_exist_and_unknown_names_are_reported(builtin) -> None:
    text = ("China will require export permits for graphite, lithium, hafnium tetrachloride and gallium "
            "from 1 December.")
    ev = _one(extract(builtin, text, date="2023-10-20"))
    ids = set(builtin.items["item_id"])
    assert sorted(ev.item_ids) == ["gallium", "graphite"] and set(ev.item_ids) <= ids
    unl = {m.text: m for m in ev.unlinked}
    assert unl["lithium"].match == "known"  # in the lexicon, not in this network
    assert unl["hafnium tetrachloride"].match == "unknown"  # nothing matched: reported, not dropped
    assert text[unl["hafnium tetrachloride"].start:unl["hafnium tetrachloride"].end] == "hafnium tetrachloride"


def test_control_numbers_resolve_by_longest_prefix_and_hs_codes(builtin) -> None:
    ev = _one(extract(builtin, "A national export licence is required for items under 3B001.f.4 and HS 2811.11.",
                      date="2024-09-06"))
    by = {m.text: m for m in ev.items}
    assert by["3B001.f.4"].ids == ("lithography-tools",) and by["3B001.f.4"].match == "control"
    assert by["HS 2811.11"].ids == ("hydrogen-fluoride",) and by["HS 2811.11"].match == "hs"
    ev = _one(extract(builtin, "Licences are required for ECCN 3B999 equipment from 1 May.", date="2024-01-02"))
    assert not ev.items and ev.unlinked[0].text == "ECCN 3B999"  # a number nobody knows: unlinked


def test_fuzzy_names_link_with_their_score(builtin) -> None:
    ev = _one(extract(builtin, "Beijing announced export controls on germanuim from 1 August.", date="2023-07-03"))
    assert ev.item_ids == ["germanium"]
    assert ev.items[0].match == "fuzzy" and 88 <= ev.items[0].score < 100


@pytest.mark.parametrize(("phrase", "date", "role", "value"), [
    ("from 1 August", "2023-07-03", "effective", "2023-08-01"),
    ("next month", "2023-07-03", "effective", "2023-08"),
    ("within 90 days", "2023-07-03", "effective", "2023-10-01"),
    ("with immediate effect", "2024-12-03", "effective", "2024-12-03"),
    ("as of 7 September 2024", "2024-09-06", "effective", "2024-09-07"),
    ("from December", "2023-10-20", "effective", "2023-12"),
])
def test_relative_dates_resolve_against_the_document_date(builtin, phrase, date, role, value) -> None:
    ev = _one(extract(builtin, f"Japan will restrict exports of photoresists to South Korea {phrase}.", date=date))
    assert getattr(ev, role).value == value


def test_relative_dates_without_document_date_are_left_open_with_a_warning(builtin) -> None:
    x = extract(builtin, "Japan will restrict exports of photoresists to South Korea next month.")
    ev = _one(x)
    assert ev.effective is None and any("no document date" in w for w in x.warnings)


def test_disruptions_have_locations_and_firms(builtin) -> None:
    ev = _one(extract(builtin, "A fire on 3 January damaged part of ASML's factory in Berlin, Germany, which makes "
                               "parts for EUV systems.", date="2022-01-05"))
    assert ev.type == "fire" and [f.id for f in ev.firms] == ["asml"]
    assert [m.id for m in ev.locations] == ["DEU"] and not ev.imposing
    assert ev.item_ids == ["euv-lithography-tools"] and ev.effective.value == "2022-01-03"


def test_html_and_pdf_give_the_same_events(builtin) -> None:
    html = (b"<html><head><style>p{}</style><script>var x='export ban on neon';</script></head><body>"
            b"<h1>Notice</h1><p>Japan tightened exports of hydrogen fluoride to South Korea from 4 July.</p>"
            b"</body></html>")
    text = read_document(html, "notice.html")
    assert "var x" not in text
    ev = _one(extract(builtin, text, date="2019-07-01"))
    assert ev.item_ids == ["hydrogen-fluoride"]
    pdf = _tiny_pdf("Japan tightened exports of hydrogen fluoride to South Korea from 4 July.")
    ev2 = _one(extract(builtin, read_document(pdf, "notice.pdf"), date="2019-07-01"))
    assert ev2.item_ids == ev.item_ids and ev2.effective == ev.effective or ev2.effective.value == "2019-07-04"


def _tiny_pdf(line: str) -> bytes:
    """A one-page PDF whose text layer is ``line`` (Helvetica), built by hand with a correct xref table."""
    stream = f"BT /F1 10 Tf 20 100 Td ({line}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 200] /Resources << /Font << /F1 5 0 R >> >> "
            b"/Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_gazetteer_is_built_from_the_network(builtin) -> None:
    g = gazetteer(builtin)
    ids = set(builtin.items["item_id"])
    linked = {i for e in g.entries if e.label == "ITEM" for i in e.ids}
    assert linked <= ids and {"gallium", "neon", "euv-lithography-tools"} <= linked
    firms = {i for e in g.entries if e.label == "FIRM" for i in e.ids}
    assert firms == set(builtin.firms())
    assert g.code("3B001.f.4") is not None and g.code("3B001.f.4").ids == ("lithography-tools",)


@pytest.mark.parametrize("text", ["1 August 2023", "August 1, 2023", "Aug. 1 2023", "1 August", "15 Sept 2024",
                                  "December", "29 February 2024", "3 January", "31 December"])
@pytest.mark.parametrize("prefer", ["future", "past"])
def test_direct_date_reading_agrees_with_dateparser(text: str, prefer: str) -> None:
    """The fast English reading gives what dateparser gives (the peer it replaces in the common case)."""
    import datetime as dt

    import dateparser

    from allychain.watch.dates import _clean, _direct

    base = dt.date(2023, 7, 3)
    want = dateparser.parse(_clean(text), languages=["en"], settings={
        "PREFER_DATES_FROM": prefer, "RELATIVE_BASE": dt.datetime(2023, 7, 3), "PREFER_DAY_OF_MONTH": "first"})
    assert want is not None
    assert _direct(_clean(text), base, prefer) == want.date()


def test_dateline_gives_the_document_date_when_none_is_given(builtin) -> None:
    text = "TOKYO, 1 July 2019 —\nJapan will restrict exports of photoresists to South Korea from 4 July."
    x = extract(builtin, text)
    assert x.date == "2019-07-01" and any("first line" in w for w in x.warnings)
    assert x.events[0].effective.value == "2019-07-04"
    assert extract(builtin, text, date="2020-01-01").events[0].effective.value == "2020-07-04"  # given date wins
    assert extract(builtin, "Japan will restrict exports of photoresists next month.").date is None
