"""Events from text: the extraction pipeline.

1. the document is checked (size, binary) and tokenised by a blank spaCy pipeline
   with a rule-based sentencizer (no model is downloaded);
2. the gazetteer (:mod:`allychain.watch.gazetteer`) marks items, firms and countries;
   control-list numbers and HS codes are matched by pattern;
3. each sentence is tested against the lexicon's trigger patterns; the strongest
   trigger of each family (policy, disruption, market) opens an event;
4. the event takes the sentence's items (unknown product names in the object of the
   measure are reported as ``unlinked``, not dropped), firms, countries by role
   (:mod:`allychain.watch.roles`) and dates (:mod:`allychain.watch.dates`);
5. the next two sentences without a trigger fill what the event still lacks (items,
   countries, dates), and events of one family that follow each other and share
   items (or where one has none) are merged.

Work per document is bounded: at most :data:`~allychain.watch.text.MAX_CHARS`
characters, and a time budget (seconds) after which the remaining sentences are not
read (``complete`` is then False and a warning says where it stopped).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from allychain.model.network import Network
from allychain.watch.dates import DateHit, assign_dates, find_dates, parse_document_date
from allychain.watch.events import POLICY_TYPES, Event, Extraction, ItemMention, Mention
from allychain.watch.events import family as _family
from allychain.watch.gazetteer import CONTROL_RE, HS_RE, Entry, Gazetteer, gazetteer
from allychain.watch.roles import country_roles, object_phrases
from allychain.watch.text import MAX_CHARS, check_text

__all__ = ["extract", "extract_many", "TIME_BUDGET"]

log = logging.getLogger(__name__)

#: Seconds of work per document after which the rest of the text is not read (a document at the size
#: limit takes about 20 s on a loaded 2-core machine; see docs/benchmarks.md)
TIME_BUDGET = 60.0
#: Sentences after an event sentence that may complete it
CONTEXT = 2
_MAX_SENTENCE = 3000


@dataclass
class _Span:
    start: int
    end: int
    text: str
    entry: Entry


@dataclass
class _Sent:
    start: int
    end: int
    spans: list[_Span] = field(default_factory=list)


def _mentions(gaz: Gazetteer, doc: Any, text: str) -> list[_Span]:
    """Gazetteer and code matches over the whole text, longest first, not overlapping."""
    cands: list[tuple[int, int, Entry]] = []
    for rx in (CONTROL_RE, HS_RE):
        for m in rx.finditer(text):
            code = m.group(1) if rx is CONTROL_RE else m.group(1) + "." + m.group(2)
            ent = gaz.code(code)
            if ent is None:
                ent = Entry("KNOWN", (), "code", "control-list number or HS code not in the lexicon")
            cands.append((m.start(), m.end(), ent))
    for matcher in (gaz.orth, gaz.lower):
        for key, s, e in matcher(doc):
            span = doc[s:e]
            cands.append((span.start_char, span.end_char, gaz.entry_of(int(doc.vocab.strings[key]))))
    cands.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken = bytearray(len(text) + 1)
    out = []
    for s, e, entry in cands:
        if any(taken[s:e]):
            continue
        taken[s:e] = b"\x01" * (e - s)
        out.append(_Span(s, e, text[s:e], entry))
    return sorted(out, key=lambda x: x.start)


def _sentences(doc: Any, text: str) -> list[_Sent]:
    out = []
    for s in doc.sents:
        a, b = s.start_char, s.end_char
        while b - a > _MAX_SENTENCE:  # bound the work on text without sentence ends
            out.append(_Sent(a, a + _MAX_SENTENCE))
            a += _MAX_SENTENCE
        if text[a:b].strip():
            out.append(_Sent(a, b))
    return out


def _triggers(gaz: Gazetteer, text: str, sent: _Sent) -> dict[str, tuple[str, int, int, int]]:
    """Per family: (type, priority, start, end) of the strongest trigger in the sentence."""
    s = text[sent.start:sent.end]
    best: dict[str, tuple[str, int, int, int]] = {}
    screen = gaz.lexicon.any_trigger
    if screen is not None and screen.search(s) is None:
        return best
    for t in gaz.lexicon.triggers:
        m = t.regex.search(s)
        if m is None:
            continue
        cur = best.get(t.family)
        if cur is None or t.priority > cur[1] or (t.priority == cur[1] and m.start() < cur[2] - sent.start):
            best[t.family] = (t.type, t.priority, sent.start + m.start(), sent.start + m.end())
    return best


def _fill(ev: Event, sent: _Sent, gaz: Gazetteer, text: str, trigger_start: int) -> None:
    """Add the sentence's items, unlinked names, firms and countries to the event."""
    have = {(m.start, m.end) for m in ev.items + ev.unlinked}
    covered = []
    countries = []
    for sp in sent.spans:
        covered.append((sp.start, sp.end))
        e = sp.entry
        if e.label == "ITEM" and (sp.start, sp.end) not in have:
            ev.items.append(ItemMention(e.ids, sp.text, sp.start, sp.end, e.match))
        elif e.label == "KNOWN" and (sp.start, sp.end) not in have:
            ev.unlinked.append(ItemMention((), sp.text, sp.start, sp.end, e.match, reason=e.reason))
        elif e.label == "FIRM" and all(f.id != e.ids[0] for f in ev.firms):
            ev.firms.append(Mention(e.ids[0], sp.text, sp.start, sp.end))
        elif e.label == "COUNTRY":
            countries.append(Mention(e.ids[0], sp.text, sp.start, sp.end))
    if ev.type not in ("natural_disaster", "fire", "plant_outage"):
        for a0, b0, name in object_phrases(text[sent.start:sent.end], sent.start):
            if any(a < b0 and a0 < b for a, b in covered):
                continue
            hit = gaz.fuzzy(name)
            if hit is not None and hit[0].label == "ITEM":
                ev.items.append(ItemMention(hit[0].ids, name, a0, b0, "fuzzy", round(hit[1], 1)))
            elif hit is not None:
                ev.unlinked.append(ItemMention((), name, a0, b0, "fuzzy", round(hit[1], 1), reason=hit[0].reason))
            else:
                ev.unlinked.append(ItemMention((), name, a0, b0, "unknown", 0.0, reason="no item of this name"))
    policy = ev.type in POLICY_TYPES
    firms = tuple(Mention(sp.entry.ids[0], sp.text, sp.start, sp.end) for sp in sent.spans if sp.entry.label == "FIRM")
    imp, tgt, loc = country_roles(countries, text, trigger_start, ev.type, gaz.lexicon.cues, policy, firms)
    for role, new in ((ev.imposing, imp), (ev.targeted, tgt), (ev.locations, loc)):
        known = {m.id for m in (*ev.imposing, *ev.targeted, *ev.locations)}
        role.extend(m for m in new if m.id not in known)


def _anchored(ev: Event, sent: _Sent) -> bool:
    """An event needs something to link; a market event may rest on a generic word ("a shortage of chips")."""
    if ev.items or ev.unlinked or ev.firms or ev.imposing or ev.targeted or ev.locations:
        return True
    return _family(ev.type) == "market" and any(sp.entry.label == "GENERIC" for sp in sent.spans)


def _merge(events: list[Event], order: dict[int, int], text: str) -> list[Event]:
    """Join events of one family in one paragraph that share items (or where one has none)."""
    fam = _family
    out: list[Event] = []
    for ev in events:
        prev = next((p for p in reversed(out[-4:]) if fam(p.type) == fam(ev.type)), None)
        if prev is not None and not _same_paragraph(text, prev.sentence[1], ev.sentence[0]):
            prev = None
        if prev is not None and (not ev.item_ids or not prev.item_ids or set(ev.item_ids) & set(prev.item_ids)):
            if order.get(id(ev), 0) > order.get(id(prev), 0) and ev.type != prev.type:
                prev.type = ev.type
                prev.trigger = ev.trigger
            for name in ("items", "unlinked", "firms", "imposing", "targeted", "locations"):
                cur: list = getattr(prev, name)
                keys = {(getattr(m, "id", None), getattr(m, "ids", None), m.text.lower()) for m in cur}
                ids = {getattr(m, "id", None) for m in cur} - {None}
                for m in getattr(ev, name):
                    k = (getattr(m, "id", None), getattr(m, "ids", None), m.text.lower())
                    if k not in keys and getattr(m, "id", None) not in ids:
                        cur.append(m)
            prev.announced = prev.announced or ev.announced
            prev.effective = prev.effective or ev.effective
            prev.sentence = (prev.sentence[0], max(prev.sentence[1], ev.sentence[1]))
            continue
        out.append(ev)
    return out


def _scripts_warning(text: str, language: str) -> str | None:
    letters = [c for c in text[:200_000] if c.isalpha()]
    if not letters or language not in ("en", "nl"):
        return None
    other = sum(1 for c in letters if ord(c) > 0x024F)
    if other / len(letters) > 0.2:
        return (f"{other / len(letters):.0%} of the letters are not in the Latin script; the {language!r} lexicon "
                "reads only that language (the rest was not analysed)")
    return None


def extract(
    network: Network,
    text: str,
    date: str | dt.date | None = None,
    language: str = "en",
    document: str | None = None,
    max_chars: int = MAX_CHARS,
    time_budget: float = TIME_BUDGET,
) -> Extraction:
    """Events of one document.

    Parameters
    ----------
    network
        Items, firms and countries are linked to this network; every item id in the
        result exists in it.
    text
        The document's text (see :func:`allychain.watch.text.read_document` for files).
    date
        Document date (ISO ``YYYY-MM-DD``): relative dates ("next month", "within 90
        days") and year-less dates are resolved against it.  Default: the full date of
        a dateline in the first line (a warning says so); without either, such dates
        are not resolved and a warning says so.
    language
        Lexicon language (``lexicon/<language>/``).
    document
        A name for the document (copied into each event).
    max_chars
        Longest text accepted (characters).
    time_budget
        Seconds after which the remaining sentences are not read.

    Returns
    -------
    Extraction
        Events with spans into ``text``, warnings, and whether the whole text was read.

    Raises
    ------
    TextInputError
        Text longer than ``max_chars`` or binary.
    AllychainError
        A bad document date or an unknown language.

    Examples
    --------
    >>> import allychain
    >>> from allychain.watch import extract
    >>> x = extract(allychain.load("builtin"), "China will require licences for exports of gallium from "
    ...             "1 August.", date="2023-07-03")
    >>> [(e.type, e.item_ids, e.effective.value) for e in x.events]
    [('licence_requirement', ['gallium'], '2023-08-01')]
    """
    t0 = time.perf_counter()
    check_text(text, document or "text", max_chars)
    base = parse_document_date(date)
    gaz = gazetteer(network, language)
    warnings: list[str] = []
    w = _scripts_warning(text, language)
    if w:
        warnings.append(w)
    if base is None:
        base = dateline(text, language)
        if base is not None:
            warnings.append(f"document date {base.isoformat()} taken from the first line (give date= to override)")
    if not text.strip():
        return Extraction(document, text, base.isoformat() if base else None, language, [], 0, True, warnings,
                          time.perf_counter() - t0)
    doc = gaz.nlp.make_doc(text)
    doc = gaz.nlp.get_pipe("sentencizer")(doc)
    sents = _sentences(doc, text)
    spans = _mentions(gaz, doc, text)
    j = 0
    for s in sents:  # spans and sentences are both sorted
        while j < len(spans) and spans[j].start < s.start:
            j += 1
        k = j
        while k < len(spans) and spans[k].end <= s.end:
            s.spans.append(spans[k])
            k += 1
    events, order, complete = _events(gaz, text, sents, base, warnings, t0, time_budget)
    merged = _merge(events, order, text)
    for ev in merged:
        ev.document = document
    return Extraction(document, text, base.isoformat() if base else None, language, merged, len(sents), complete,
                      list(dict.fromkeys(warnings)), time.perf_counter() - t0)


def dateline(text: str, language: str = "en") -> dt.date | None:
    """The date of a dateline: a full date (day, month and year) in the document's first line, within its
    first 120 characters ("TOKYO, 1 July 2019 —", "Published 2023-07-03"); None when there is none."""
    from allychain.watch.dates import resolve

    first = text.lstrip()[:120].split("\n", 1)[0]
    for h in find_dates(first, 0, language):
        if h.kind in ("iso", "dmy", "mdy") and h.groups[-1]:
            d = resolve(h, None, False, language)
            if d is not None and d.precision == "day":
                return dt.date.fromisoformat(d.value)
    return None


def _events(gaz: Gazetteer, text: str, sents: list[_Sent], base: dt.date | None, warnings: list[str],
            t0: float, budget: float) -> tuple[list[Event], dict[int, int], bool]:
    events: list[Event] = []
    order: dict[int, int] = {}
    last: list[tuple[int, Event]] = []
    for n, sent in enumerate(sents):
        if time.perf_counter() - t0 > budget:
            warnings.append(f"time budget of {budget:g} s reached after {n} of {len(sents)} sentences "
                            f"(character {sent.start}); the rest was not read")
            return events, order, False
        found = _triggers(gaz, text, sent)
        hits = find_dates(text[sent.start:sent.end], sent.start, gaz.lexicon.language)
        if not found:
            for i, ev in last:
                if n - i <= CONTEXT and _same_paragraph(text, sents[i].end, sent.start):
                    _complete(ev, sent, gaz, text, hits, base, warnings)
            continue
        prev_last, last = last, []
        for family, (etype, prio, ts, te) in found.items():
            ev = Event(etype, Mention(etype, text[ts:te], ts, te), (sent.start, sent.end))
            _fill(ev, sent, gaz, text, ts)
            ev.announced, ev.effective, w = assign_dates(hits, text, base, gaz.lexicon.cues, etype in POLICY_TYPES,
                                                         gaz.lexicon.language)
            if not _anchored(ev, sent):
                # a trigger without anything to link ("exporters will have to apply for licences") continues
                # the event just before it, if any, of the same family
                host = next((e for i, e in prev_last if n - i <= CONTEXT and _family(e.type) == family), None)
                if host is not None:
                    if prio > order.get(id(host), 0):
                        host.type, host.trigger = etype, ev.trigger
                        order[id(host)] = prio
                    host.announced = host.announced or ev.announced
                    host.effective = host.effective or ev.effective
                    warnings.extend(w)
                    last.append((n, host))
                continue
            warnings.extend(w)
            if n > 0 and not _triggers(gaz, text, sents[n - 1]) and _same_paragraph(text, sents[n - 1].end, sent.start):
                _look_back(ev, sents[n - 1], gaz, text, base, warnings)
            events.append(ev)
            order[id(ev)] = prio
            last.append((n, ev))
        if not last:
            last = prev_last
    return events, order, True


def _look_back(ev: Event, sent: _Sent, gaz: Gazetteer, text: str, base: dt.date | None, warnings: list[str]) -> None:
    """Take a missing imposing country and announced date from the sentence before (the lead of a notice)."""
    probe = Event(ev.type, ev.trigger, ev.sentence)
    _fill(probe, sent, gaz, text, sent.end)
    if not ev.imposing and not ev.locations:
        ev.imposing, ev.locations = probe.imposing, probe.locations
    if not ev.items and not ev.unlinked:
        ev.items = probe.items
    if ev.announced is None:
        hits = find_dates(text[sent.start:sent.end], sent.start, gaz.lexicon.language)
        ann, _eff, w = assign_dates(hits, text, base, gaz.lexicon.cues, ev.type in POLICY_TYPES, gaz.lexicon.language)
        ev.announced = ann
        warnings.extend(w)


def _same_paragraph(text: str, a: int, b: int) -> bool:
    return "\n\n" not in text[a:b] and not re.search(r"\n\s*\n", text[a:b])


def _complete(ev: Event, sent: _Sent, gaz: Gazetteer, text: str, hits: list[DateHit], base: dt.date | None,
              warnings: list[str]) -> None:
    """Fill what an event lacks from a following sentence without a trigger."""
    if not ev.items and not ev.unlinked:
        probe = Event(ev.type, ev.trigger, ev.sentence)
        _fill(probe, sent, gaz, text, ev.trigger.start)
        ev.items, ev.unlinked = probe.items, probe.unlinked
    if ev.announced is None or ev.effective is None:
        ann, eff, w = assign_dates(hits, text, base, gaz.lexicon.cues, ev.type in POLICY_TYPES, gaz.lexicon.language)
        warnings.extend(w)
        ev.announced = ev.announced or ann
        ev.effective = ev.effective or eff


def extract_many(network: Network, texts: list[tuple[str, str, str | None]], language: str = "en",
                 time_budget: float = TIME_BUDGET) -> list[Extraction]:
    """:func:`extract` for several ``(document name, text, date)`` triples."""
    return [extract(network, t, date=d, language=language, document=name, time_budget=time_budget)
            for name, t, d in texts]
