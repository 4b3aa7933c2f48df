"""Language data of the extractor: trigger patterns, cue words, item terms, country terms.

Everything a language needs lives in ``lexicon/<language>/`` as CSV files, so that a
Korean or Dutch lexicon is a folder of data, not code:

``triggers.csv``  ``type, family, priority, pattern`` — a case-insensitive regular
                  expression per row that marks an event of ``type`` in a sentence
                  (``family``: policy, disruption or market; the highest ``priority``
                  of a family wins where several match one sentence).
``cues.csv``      ``kind, term`` — words before a country or a date that give it a role:
                  ``targeted``, ``origin``, ``location``, ``effective``, ``announced``,
                  ``future``, ``immediate``.
``item_terms.csv`` ``item_ids, term, kind, case_sensitive, source_id`` — synonyms,
                  chemical formulas, HS codes and control-list numbers of the items
                  (``;``-separated ids; empty ids: a product known to have no item, or a
                  generic word); ``source_id`` cites ``lexicon/sources.csv``.
``countries.csv`` ``code, term, kind`` — demonyms, capitals and agencies that stand for a
                  country (ISO 3166 alpha-3), on top of the ISO names.

Months and relative-date words are parsed by dateparser in the same language.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from allychain.errors import AllychainError

__all__ = ["Lexicon", "Trigger", "TermRow", "load_lexicon", "lexicon_dir", "languages"]


@dataclass(frozen=True)
class Trigger:
    type: str
    family: str
    priority: int
    regex: re.Pattern[str]


@dataclass(frozen=True)
class TermRow:
    item_ids: tuple[str, ...]
    term: str
    kind: str
    case_sensitive: bool
    source_id: str


@dataclass(frozen=True)
class Lexicon:
    """One language's data (see module docstring)."""

    language: str
    triggers: tuple[Trigger, ...]
    cues: dict[str, tuple[str, ...]]
    item_terms: tuple[TermRow, ...]
    countries: tuple[tuple[str, str, str], ...]
    sources: dict[str, dict[str, str]]
    any_trigger: re.Pattern[str] | None = None  # every trigger pattern in one: a sentence without a hit is skipped


def lexicon_dir() -> Path:
    """Folder holding one sub-folder per language and ``sources.csv``."""
    return Path(str(resources.files("allychain.watch").joinpath("lexicon")))


def languages() -> list[str]:
    """Languages with a lexicon folder."""
    return sorted(p.name for p in lexicon_dir().iterdir() if p.is_dir() and (p / "triggers.csv").exists())


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]


@lru_cache(maxsize=8)
def load_lexicon(language: str = "en") -> Lexicon:
    """Read and check the lexicon of ``language``.

    Raises
    ------
    AllychainError
        For a language without a lexicon, a bad regular expression or a source id
        that ``sources.csv`` does not hold (file and row named).
    """
    base = lexicon_dir()
    folder = base / language
    if not (folder / "triggers.csv").exists():
        raise AllychainError(f"no lexicon for language {language!r}; available: {', '.join(languages())}")
    sources = {r["source_id"]: r for r in _rows(base / "sources.csv")}
    triggers = []
    for n, r in enumerate(_rows(folder / "triggers.csv"), start=2):
        try:
            triggers.append(Trigger(r["type"], r["family"], int(r["priority"]), re.compile(r["pattern"], re.I)))
        except (re.error, ValueError) as exc:
            raise AllychainError(f"{folder / 'triggers.csv'}, row {n}: bad pattern or priority ({exc})") from None
    cues: dict[str, list[str]] = {}
    for r in _rows(folder / "cues.csv"):
        cues.setdefault(r["kind"], []).append(r["term"])
    terms = []
    for n, r in enumerate(_rows(folder / "item_terms.csv"), start=2):
        if r["source_id"] and r["source_id"] not in sources:
            raise AllychainError(f"{folder / 'item_terms.csv'}, row {n}: source {r['source_id']!r} is not in "
                                 f"{base / 'sources.csv'}")
        ids = tuple(i for i in r["item_ids"].split(";") if i)
        terms.append(TermRow(ids, r["term"], r["kind"], r["case_sensitive"].lower() == "true", r["source_id"]))
    countries = tuple((r["code"], r["term"], r["kind"]) for r in _rows(folder / "countries.csv"))
    # longest cue first so that "effective from" wins over "from"
    cue_t = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in cues.items()}
    any_trigger = re.compile("|".join(f"(?:{t.regex.pattern})" for t in triggers), re.I) if triggers else None
    return Lexicon(language, tuple(triggers), cue_t, tuple(terms), countries, sources, any_trigger)
