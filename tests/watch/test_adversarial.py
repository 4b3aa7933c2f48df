"""Hostile input: empty, too large, binary, mixed scripts, no sentence ends — a clear error or an
empty result, always in bounded time."""

from __future__ import annotations

import random
import time

import pytest

from allychain.errors import TextInputError
from allychain.watch import MAX_CHARS, extract, read_document


@pytest.mark.parametrize("text", ["", "   \n\n\t  "])
def test_empty_input_gives_no_event(builtin, text) -> None:
    x = extract(builtin, text)
    assert x.events == [] and x.complete


def test_ten_megabytes_are_refused_at_once(builtin) -> None:
    big = "China will require licences for exports of gallium from 1 August. " * 160_000  # ~10.6 MB
    t0 = time.perf_counter()
    with pytest.raises(TextInputError, match="the limit is 1,000,000"):
        extract(builtin, big)
    with pytest.raises(TextInputError, match="limit"):
        read_document(big.encode(), "big.txt")
    assert time.perf_counter() - t0 < 5  # refused before any parsing


def test_binary_garbage_is_refused(builtin) -> None:
    rng = random.Random(1)
    junk = bytes(rng.randrange(256) for _ in range(50_000))
    with pytest.raises(TextInputError, match="binary"):
        read_document(junk, "junk.bin")
    with pytest.raises(TextInputError, match="binary"):
        extract(builtin, junk.decode("latin-1"))


def test_random_text_gives_nothing_quickly(builtin) -> None:
    rng = random.Random(2)
    chars = "abcdefghijklmnopqrstuvwxyz ABCDEFG.,;:0123456789éü€"
    text = "".join(rng.choice(chars) for _ in range(200_000))
    x = extract(builtin, text, date="2024-01-01")
    assert x.complete and x.events == []


def test_mixed_languages_keep_the_english_event_and_say_what_was_not_read(builtin) -> None:
    ko = "중국 상무부는 갈륨과 게르마늄 수출을 통제한다고 발표했다. " * 20
    text = ko + "China will require licences for exports of gallium from 1 August. " + "数据显示出口下降。" * 10
    x = extract(builtin, text, date="2023-07-03")
    assert [e.item_ids for e in x.events] == [["gallium"]]
    assert any("Latin script" in w for w in x.warnings)


def test_text_without_sentence_ends_is_bounded(builtin) -> None:
    text = "gallium export controls on China to Japan from 1 August " * 3_000  # ~170,000 chars, one "sentence"
    assert len(text) < MAX_CHARS
    x = extract(builtin, text, date="2023-07-03")
    assert x.complete and len(x.events) >= 1  # chunked; every span still indexes the text
    for ev in x.events[:20]:
        for m in ev.items:
            assert text[m.start:m.end] == m.text


def test_time_budget_stops_and_says_where(builtin) -> None:
    text = "Japan tightened exports of hydrogen fluoride to South Korea from 4 July. " * 200
    x = extract(builtin, text, date="2019-07-01", time_budget=0.0)
    assert not x.complete and any("time budget" in w for w in x.warnings)


def test_bad_document_date_is_a_clear_error(builtin) -> None:
    from allychain.errors import AllychainError

    with pytest.raises(AllychainError, match="not an ISO date"):
        extract(builtin, "text", date="3 July")
