"""Roles of the countries of an event sentence, and names of unknown products.

A country in a government measure is *imposing* or *targeted*; in a disruption or a
market event it is a *location*.  The role comes from the cue word just before the
mention (lexicon ``cues.csv``): ``to``/``against``/``targeting`` mark the target
(``on``/``for``/``with`` only after the trigger: ``targeted_after``), ``from`` the origin (the imposing country of an export measure, the targeted
one of an import measure); without a cue, a country before the trigger (the
subject: "Japan tightened …", "Chinese authorities …") imposes and one after it is
targeted once an imposing country is known.
"""

from __future__ import annotations

import re

from allychain.watch.events import Mention

__all__ = ["country_roles", "object_phrases"]

def _cue(before: str, terms: tuple[str, ...], articles: tuple[str, ...] = ()) -> str | None:
    b = re.sub(r"\s+", " ", before.lower()).rstrip()
    for a in articles:
        if b.endswith(" " + a) or b == a:
            b = b[: -len(a)].rstrip()
            break
    for c in terms:
        if b.endswith(c) and (len(b) == len(c) or not b[-len(c) - 1].isalnum()):
            return c
    return None


def country_roles(
    mentions: list[Mention], text: str, trigger_start: int, event_type: str, cues: dict[str, tuple[str, ...]],
    policy: bool, firms: tuple[Mention, ...] = (),
) -> tuple[list[Mention], list[Mention], list[Mention]]:
    """(imposing, targeted, locations) of the country mentions of one sentence.

    Besides the cues: a possessive country in apposition ("SMIC, China's largest
    chipmaker") and a country word right before a firm ("the American memory maker
    Micron") are targeted — they describe the firm the measure is aimed at.
    """
    imposing: list[Mention] = []
    targeted: list[Mention] = []
    locations: list[Mention] = []
    if not policy:
        seen: set[str] = set()
        for m in mentions:
            if m.id not in seen:
                seen.add(m.id)
                locations.append(m)
        return imposing, targeted, locations
    pending: list[Mention] = []
    for m in mentions:
        before = text[max(0, m.start - 30):m.start]
        after_trigger = m.start > trigger_start
        possessive = text[m.end:m.end + 2] in ("'s", "’s")
        apposition = possessive and text[max(0, m.start - 2):m.start] == ", "
        describes_firm = any(0 <= f.start - m.end <= 25 and _modifier(text[m.end:f.start]) for f in firms)
        art = cues.get("article", ())
        cue_t = _cue(before, cues.get("targeted", ()), art)
        cue_a = _cue(before, cues.get("targeted_after", ()), art) if after_trigger else None
        cue_o = _cue(before, cues.get("origin", ()), art)
        if cue_t or cue_a or apposition or describes_firm:
            targeted.append(m)
        elif cue_o:
            (targeted if event_type == "import_restriction" else imposing).append(m)
        elif not after_trigger:
            imposing.append(m)
        elif possessive:
            targeted.append(m)
        else:
            pending.append(m)
    for m in pending:
        (targeted if imposing else imposing).append(m)
    imp_ids = {m.id for m in imposing}
    targeted = [m for m in targeted if m.id not in imp_ids]
    return _dedup(imposing), _dedup(targeted), locations


def _modifier(between: str) -> bool:
    """True for the words between a country word and a firm in "the American memory maker Micron"."""
    words = between.split()
    return len(words) <= 3 and all(w.isalpha() and w.islower() and not w.endswith("ed") for w in words)


def _dedup(ms: list[Mention]) -> list[Mention]:
    seen: set[str] = set()
    out = []
    for m in ms:
        if m.id not in seen:
            seen.add(m.id)
            out.append(m)
    return out


_OBJECT = re.compile(
    r"\b(?:exports?|imports?|shipments?|sales?|supply|supplies|shortages?|controls?|restrictions?|bans?|curbs?|"
    r"licen[cs]es?|permits?|prices?|production|output|purchases?)\s+(?:of|on|for)\s+"
    r"((?:[A-Za-z0-9][\w/+-]*)(?:(?:,\s*|\s+and\s+|\s+or\s+|\s+)(?!(?:to|from|for|in|by|at|with|as|after|until|"
    r"starting|effective|which|that|because|over|under|amid|following|beginning|on|into|and\s+the|citing|while|"
    r"since|during|will|would|was|were|is|are|has|have|had|could|may|can)\b)[A-Za-z0-9][\w/+-]*){0,12})")
_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+")
_DET = re.compile(r"^(?:the|a|an|some|all|certain|several|key|critical|other|related|its|their|these|those|"
                  r"such|more|most|many|various|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+", re.I)


def object_phrases(sentence: str, offset: int) -> list[tuple[int, int, str]]:
    """Candidate product names in the object of a measure ("exports of X, Y and Z"): (start, end, text)."""
    out: list[tuple[int, int, str]] = []
    for m in _OBJECT.finditer(sentence):
        s0 = m.start(1)
        pos = 0
        chunk_text = m.group(1)
        for part in _SPLIT.split(chunk_text):
            i = chunk_text.find(part, pos)
            pos = i + len(part)
            name = part
            lead = 0
            while True:
                d = _DET.match(name)
                if not d:
                    break
                lead += d.end()
                name = name[d.end():]
            name = name.strip()
            if not name or len(name.split()) > 5 or not re.search(r"[A-Za-z]", name):
                continue
            start = offset + s0 + i + lead
            out.append((start, start + len(name), name))
    return out
