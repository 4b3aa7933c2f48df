"""Dates in text: found by pattern, resolved against the document date, given a role.

Absolute dates ("1 August 2023", "August 1, 2023", "2023-08-01", "July 2019") are
normalised with dateparser (restricted to the document's language); a date without a
year ("from 1 August") is placed in the year that makes sense against the document
date — the next such day for an effective date or a future tense, the last one
otherwise; relative expressions ("next month", "within 90 days", "on Monday",
"with immediate effect") are computed from the document date with
python-dateutil.  Without a document date, year-less and relative dates are left
unresolved and the extraction says so in its warnings.

A date is the *effective* date when a cue precedes it ("from", "effective", "as of",
"takes effect on", "within") or when it lies after the document date; it is the
*announced* date when an announcing verb stands next to it ("announced on
Monday", "On 3 July, the ministry said"); otherwise a past date is the announced
date of a measure and the date of occurrence (effective) of a disruption.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from allychain.watch.events import DateMention

__all__ = ["DateHit", "find_dates", "assign_dates", "parse_document_date"]

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_NUM = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty-five|sixty|ninety)"
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45,
          "sixty": 60, "ninety": 90}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

#: English date patterns, tried in this order; the first to cover a stretch of text wins
PATTERNS: dict[str, list[tuple[str, re.Pattern[str]]]] = {"en": [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("dd", re.compile(rf"\b(\d{{1,2}})\s+(?:and|to|-|–)\s+\d{{1,2}}\s+({_MONTH})(?:,?\s+(\d{{4}}))?(?!\w)")),
    ("dmy", re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?(?!\w)")),
    ("mdy", re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b")),
    ("my", re.compile(rf"\b(?:(?:early|mid|late|end of|the end of)[\s-]+)?{_MONTH}\s+(\d{{4}})\b", re.I)),
    ("mo", re.compile(rf"\b(?:in|from|by|since|before|after|during|until)\s+(?:early\s+|late\s+|mid-)?({_MONTH})(?![\w.]|\s+\d)")),
    ("immediate", re.compile(r"\b(?:with\s+immediate\s+effect|effective\s+immediately|take[sn]?\s+effect\s+"
                             r"immediately|took\s+effect\s+immediately|immediately)\b", re.I)),
    ("span", re.compile(rf"\b(?:within|in|after)\s+{_NUM}\s+(day|week|month|year)s?\b", re.I)),
    ("later", re.compile(rf"\b{_NUM}\s+(day|week|month|year)s?\s+(?:later|after\s+(?:publication|the\s+"
                         rf"announcement|announcement))\b", re.I)),
    ("rel", re.compile(r"\b(today|yesterday|tomorrow|next\s+(?:week|month|year)|this\s+(?:month|year)|"
                       r"last\s+(?:week|month|year)|earlier\s+this\s+(?:week|month)|"
                       r"(?:next\s+|last\s+|on\s+|this\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
                       re.I)),
    ("year", re.compile(r"\b(?:in|by|from|since|until|before|after|during)\s+(?:early\s+|late\s+|mid-)?(\d{4})\b")),
]}


_NL_MONTH = (r"(?:jan(?:uari)?|feb(?:ruari)?|maart|mrt|apr(?:il)?|mei|jun[i]?|jul[i]?|aug(?:ustus)?|"
             r"sep(?:t(?:ember)?)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
PATTERNS["nl"] = [
    ("iso", PATTERNS["en"][0][1]),
    ("dmy", re.compile(rf"\b(\d{{1,2}})\s+({_NL_MONTH})(?:\s+(\d{{4}}))?(?!\w)", re.I)),
    ("my", re.compile(rf"\b({_NL_MONTH})\s+(\d{{4}})\b", re.I)),
    ("immediate", re.compile(r"\b(?:per\s+direct|met\s+onmiddellijke\s+ingang)\b", re.I)),
    ("span", re.compile(r"\b(?:binnen|over|na)\s+(\d{1,3})\s+(dag|dagen|week|weken|maand|maanden|jaar)\b", re.I)),
    ("year", re.compile(r"\b(?:in|vanaf|sinds|tot|voor|na)\s+(\d{4})\b")),
]
#: Words of time units in the date patterns → dateutil's relativedelta arguments
UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years", "dag": "days", "dagen": "days",
         "weken": "weeks", "maand": "months", "maanden": "months", "jaar": "years"}


@dataclass(frozen=True)
class DateHit:
    start: int
    end: int
    text: str
    kind: str
    groups: tuple[str | None, ...]


def find_dates(text: str, offset: int = 0, language: str = "en") -> list[DateHit]:
    """Every date expression in ``text`` (offsets shifted by ``offset``), left to right, not overlapping."""
    taken: list[tuple[int, int]] = []
    hits: list[DateHit] = []
    for kind, rx in PATTERNS.get(language, PATTERNS["en"]):
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < b and a < e for a, b in taken):
                continue
            txt = m.group(0)
            if txt.endswith(".") and not re.search(r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.$", txt):
                txt, e = txt[:-1], e - 1  # a sentence's full stop, not an abbreviation's
            taken.append((s, e))
            hits.append(DateHit(s + offset, e + offset, txt, kind, m.groups()))
    return sorted(hits, key=lambda h: h.start)


_MONTHS = {m: i for i, ms in enumerate([("jan", "january"), ("feb", "february"), ("mar", "march"),
                                          ("apr", "april"), ("may",), ("jun", "june"), ("jul", "july"),
                                          ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
                                          ("nov", "november"), ("dec", "december")], start=1) for m in ms}


def _direct(text: str, base: dt.date | None, prefer: str) -> dt.date | None:
    """English "1 August 2023", "August 1", "August" without dateparser (the common case, 50x faster);
    a year-less date goes to the nearest such day on the preferred side of ``base``."""
    words = re.findall(r"[A-Za-z]+|\d+", text)
    month = next((_MONTHS[w.lower()] for w in words if w.lower() in _MONTHS), None)
    nums = [int(w) for w in words if w.isdigit()]
    day = next((x for x in nums if x <= 31), 1)
    year = next((x for x in nums if x > 31), None)
    if month is None or len(nums) > 2:
        return None
    try:
        if year is not None:
            return dt.date(year, month, day)
        if base is None:
            return None
        d = dt.date(base.year, month, day)
        if prefer == "future" and d < base:
            d = dt.date(base.year + 1, month, day)
        elif prefer == "past" and d > base:
            d = dt.date(base.year - 1, month, day)
        return d
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse(text: str, base: dt.date | None, prefer: str, language: str) -> dt.date | None:
    """The date ``text`` names; dateparser (restricted to ``language``) where the direct reading fails."""
    if language == "en":
        d = _direct(text, base, prefer)
        if d is not None:
            return d
    import dateparser

    settings = {"PREFER_DATES_FROM": prefer, "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": False,
                "PREFER_DAY_OF_MONTH": "first"}
    if base is not None:
        settings["RELATIVE_BASE"] = dt.datetime(base.year, base.month, base.day)
    got = dateparser.parse(text, languages=[language], settings=settings)  # type: ignore[arg-type]
    return got.date() if got else None


def _clean(text: str) -> str:
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    t = re.sub(r"\b(early|mid|late|the end of|end of)[\s-]+", "", t, flags=re.I)
    return t.replace(" of ", " ").strip()


def _num(s: str) -> int:
    return int(s) if s.isdigit() else _WORDS[s.lower()]


def resolve(hit: DateHit, base: dt.date | None, future: bool, language: str = "en") -> DateMention | None:
    """The date a hit stands for, or None when it needs a document date that is not known."""
    from dateutil.relativedelta import relativedelta

    k, g = hit.kind, hit.groups
    mk = lambda v, p, how: DateMention(v, p, hit.text, hit.start, hit.end, how)  # noqa: E731
    if k == "iso":
        try:
            return mk(dt.date(int(g[0] or 0), int(g[1] or 0), int(g[2] or 0)).isoformat(), "day", "absolute")
        except ValueError:
            return None
    if k in ("dmy", "mdy", "dd"):
        has_year = bool(g[-1])
        if not has_year and base is None:
            return None
        txt = f"{g[0]} {g[1]} {g[2] or ''}" if k == "dd" else hit.text
        d = _parse(_clean(txt), base, "future" if future else "past", language)
        if d is None:
            return None
        return mk(d.isoformat(), "day", "absolute" if has_year else "inferred")
    if k == "my":
        d = _parse(_clean(hit.text), base, "past", language)
        return mk(f"{d.year:04d}-{d.month:02d}", "month", "absolute") if d else None
    if k == "mo":
        if base is None:
            return None
        d = _parse(str(g[0]), base, "future" if future else "past", language)
        return mk(f"{d.year:04d}-{d.month:02d}", "month", "inferred") if d else None
    if k == "year":
        return mk(str(g[0]), "year", "absolute")
    if base is None:
        return None
    if k == "immediate":
        return mk(base.isoformat(), "day", "relative")
    if k in ("span", "later"):
        n, unit = _num(str(g[0])), UNITS[str(g[1]).lower()]
        d = base + relativedelta(**{unit: n})  # type: ignore[arg-type]
        return mk(d.isoformat(), "day", "relative")
    word = re.sub(r"\s+", " ", hit.text.lower()).strip()
    if word in ("today",):
        return mk(base.isoformat(), "day", "relative")
    if word == "yesterday":
        return mk((base - dt.timedelta(days=1)).isoformat(), "day", "relative")
    if word == "tomorrow":
        return mk((base + dt.timedelta(days=1)).isoformat(), "day", "relative")
    if word.endswith("month"):
        shift = {"next": 1, "last": -1}.get(word.split()[0], 0)
        d = base + relativedelta(months=shift)
        return mk(f"{d.year:04d}-{d.month:02d}", "month", "relative")
    if word.endswith("year"):
        shift = {"next": 1, "last": -1}.get(word.split()[0], 0)
        return mk(str(base.year + shift), "year", "relative")
    if word.endswith("week"):
        return None
    day = next((i for i, w in enumerate(_WEEKDAYS) if word.endswith(w)), None)
    if day is None:
        return None
    if word.startswith("next") or (future and not word.startswith("last")):
        delta = (day - base.weekday()) % 7 or 7
        return mk((base + dt.timedelta(days=delta)).isoformat(), "day", "relative")
    delta = (base.weekday() - day) % 7
    return mk((base - dt.timedelta(days=delta)).isoformat(), "day", "relative")


def _ends_with_cue(before: str, cues: tuple[str, ...]) -> bool:
    b = re.sub(r"\s+", " ", before.lower()).rstrip(" ,")
    b = re.sub(r"\s+(on|the|of|from)$", "", b) if not b.endswith(("from", "effective from")) else b
    return any(b.endswith(c) and (len(b) == len(c) or not b[-len(c) - 1].isalnum()) for c in cues)


@lru_cache(maxsize=64)
def _cue_regexes(ann: tuple[str, ...], fut: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(announcing word within three words after a date, future marker anywhere), compiled once."""
    alt = lambda cs: "|".join(re.escape(c) for c in cs) or "(?!)"  # noqa: E731
    return (re.compile(rf"^[\s,]*(?:\w+\s+){{0,3}}(?:{alt(ann)})\b"), re.compile(rf"\b(?:{alt(fut)})\b"))


def assign_dates(
    hits: list[DateHit], text: str, base: dt.date | None, cues: dict[str, tuple[str, ...]], policy: bool,
    language: str = "en",
) -> tuple[DateMention | None, DateMention | None, list[str]]:
    """(announced, effective, warnings) for an event from the date hits of its sentences.

    ``text`` is the whole document (hits index into it); ``policy`` is True for
    government measures (a past date without cue is their announcement date).
    """
    announced: DateMention | None = None
    effective: DateMention | None = None
    warnings: list[str] = []
    eff_cues, ann_cues, end_cues = cues.get("effective", ()), cues.get("announced", ()), cues.get("end", ())
    after_ann, future_rx = _cue_regexes(ann_cues, cues.get("future", ()))
    for h in hits:
        before = text[max(0, h.start - 40):h.start]
        after = text[h.end:h.end + 40].lower()
        if _ends_with_cue(before, end_cues) or (h.kind in ("year", "mo") and h.text.lower().startswith("until")):
            continue  # the end of a measure is neither its announcement nor its start
        lead = h.text.split()[0].lower() if h.kind in ("year", "mo") else ""
        cue_eff = (h.kind in ("immediate", "span", "later") or _ends_with_cue(before, eff_cues)
                   or lead in ("from", "by", "after"))
        near_ann = not cue_eff and (_ends_with_cue(before, ann_cues) or after_ann.match(after) is not None)
        sent_start = max(text.rfind(". ", 0, h.start), 0)
        future = cue_eff or future_rx.search(text[sent_start:h.start + 60].lower()) is not None
        d = resolve(h, base, future and not near_ann, language)
        if d is None:
            if h.kind not in ("year",):
                warnings.append(f"date {h.text!r} at {h.start} not resolved: no document date")
            continue
        if h.kind == "immediate" and announced is not None:
            d = DateMention(announced.value, announced.precision, h.text, h.start, h.end, "relative")
        if cue_eff:
            effective = effective or d
        elif near_ann:
            announced = announced or d
        elif base is not None and d.value > base.isoformat()[: len(d.value)]:
            effective = effective or d
        elif policy:
            announced = announced or d
        else:
            effective = effective or d
    return announced, effective, warnings


def parse_document_date(value: str | dt.date | None) -> dt.date | None:
    """A document date given as a date or an ISO string (``YYYY-MM-DD``)."""
    from allychain.errors import AllychainError

    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise AllychainError(f"document date {value!r} is not an ISO date (YYYY-MM-DD)") from None
