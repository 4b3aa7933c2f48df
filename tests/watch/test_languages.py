"""Language as data: a Dutch lexicon folder (no code) reads Dutch notices with the same pipeline."""

from __future__ import annotations

import pytest

from allychain.errors import AllychainError
from allychain.watch import extract, languages, load_lexicon


def test_lexicons_are_folders_of_data() -> None:
    assert {"en", "nl"} <= set(languages())
    for lang in ("en", "nl"):
        lex = load_lexicon(lang)
        assert lex.triggers and lex.cues["effective"] and lex.item_terms and lex.countries
        assert all(r.source_id in lex.sources for r in lex.item_terms if r.source_id)


def test_dutch_licence_requirement(builtin) -> None:
    text = ("De Nederlandse regering maakte op 30 juni 2023 bekend dat vanaf 1 september een exportvergunning "
            "verplicht is voor DUV-immersielithografie en depositie-apparatuur naar China.")
    x = extract(builtin, text, date="2023-06-30", language="nl")
    assert len(x.events) == 1
    ev = x.events[0]
    assert ev.type == "licence_requirement"
    assert ev.item_ids == ["arf-immersion-lithography-tools", "deposition-tools"]
    assert [m.id for m in ev.imposing] == ["NLD"] and [m.id for m in ev.targeted] == ["CHN"]
    assert ev.announced.value == "2023-06-30" and ev.effective.value == "2023-09-01"
    assert ev.effective.resolved == "inferred"  # year-less, read by dateparser in Dutch
    assert text[ev.effective.start:ev.effective.end] == "1 september"


def test_dutch_relative_and_immediate_dates(builtin) -> None:
    x = extract(builtin, "China beperkt per direct de export van gallium naar de Verenigde Staten.",
                date="2024-12-03", language="nl")
    ev = x.events[0]
    assert ev.type == "export_control" and ev.item_ids == ["gallium"] and ev.effective.value == "2024-12-03"
    assert [m.id for m in ev.targeted] == ["USA"]
    x = extract(builtin, "Japan stelt een vergunningplicht in voor fotolak naar Zuid-Korea, binnen 30 dagen.",
                date="2019-07-01", language="nl")
    assert x.events[0].effective.value == "2019-07-31"


def test_unknown_language_is_a_clear_error(builtin) -> None:
    with pytest.raises(AllychainError, match="no lexicon for language 'xx'"):
        extract(builtin, "text", language="xx")
