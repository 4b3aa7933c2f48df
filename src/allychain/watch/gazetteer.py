"""The gazetteer: every name the extractor links, built from a network and a lexicon.

Items come from the network's item names and ids (``Photoresists``, ``euv lithography
tools``, the acronym in brackets) plus the lexicon's synonyms, chemical formulas, HS
codes and control-list numbers; a lexicon term whose items the network lacks becomes a
*known but unlinked* name, so that every linked id exists in the network.  Firms are
the network's firm providers (names and aliases), countries the ISO 3166 names, the
network's country providers and the lexicon's demonyms, capitals and agencies.

Matching uses spaCy's :class:`~spacy.matcher.PhraseMatcher` on a blank pipeline (no
model is downloaded): case-insensitive for names, case-sensitive for formulas,
acronyms, firm names and country names.  Control-list numbers are matched by pattern
and resolved by their longest known prefix (``3B001.f.4`` → the ``3B001.f``
lithography entry); names in the object of a measure that nothing matched are tried
against the item terms with rapidfuzz before they are reported as unknown.
"""

from __future__ import annotations

import logging
import re
import weakref
from dataclasses import dataclass
from typing import Any

from allychain.errors import MissingExtraError
from allychain.model.members import country_terms
from allychain.model.network import Network
from allychain.watch.lexicon import Lexicon, load_lexicon

__all__ = ["Entry", "Gazetteer", "gazetteer", "CONTROL_RE", "HS_RE"]

log = logging.getLogger(__name__)

#: Export Control Classification Numbers and Wassenaar entries: 3B001, 3B001.f.4, 3A090.a
CONTROL_RE = re.compile(r"\b(?:ECCN\s*)?(\d[A-E]\d{3}(?:\.[a-z](?:\.\d{1,2})*(?:\.[a-z])?)?)\b")
#: Harmonized System codes written with "HS": HS 2811.11, HS code 281111
HS_RE = re.compile(r"\bHS(?:\s+(?:code|heading|subheading))?\s*(\d{4})\.?(\d{2})\b", re.I)
FUZZY_CUTOFF = 88.0
_BRACKET = re.compile(r"\s*\(([^)]*)\)")


@dataclass(frozen=True)
class Entry:
    """What a term stands for: ``label`` ITEM, KNOWN (no item here), GENERIC, COUNTRY, REGION or FIRM."""

    label: str
    ids: tuple[str, ...]
    match: str
    reason: str = ""


def _variants(term: str) -> list[str]:
    """The term and its simple English plural or singular (for case-insensitive item terms)."""
    t = term.strip()
    if not t:
        return []
    if t.endswith("ies"):
        return [t, t[:-3] + "y"]
    if t.endswith("s") and not t.endswith("ss"):
        return [t, t[:-1]]
    if t[-1].isalpha():
        return [t, t + "s"]
    return [t]


class Gazetteer:
    """Terms of one network in one language, with spaCy matchers (see module docstring)."""

    def __init__(self, network: Network, lexicon: Lexicon) -> None:
        try:
            import spacy
            from spacy.matcher import PhraseMatcher
        except ImportError as exc:
            raise MissingExtraError(f"reading events from text needs spaCy: pip install 'allychain[watch]' ({exc})"
                                    ) from None

        self.lexicon = lexicon
        self.nlp = spacy.blank(lexicon.language)
        self.nlp.add_pipe("sentencizer")
        self.nlp.max_length = 2_000_000
        self.item_names = dict(zip(network.items["item_id"].astype(str), network.items["name"].astype(str), strict=False))
        # a site-level network names its products in nodes and bom: they are its item vocabulary
        products = [*network.nodes["product"].dropna().astype(str), *network.bom["input_product"].dropna().astype(str)]
        for p in products:
            self.item_names.setdefault(p, p.replace("-", " ").replace("_", " "))
        self.item_ids = set(self.item_names)
        self.entries: list[Entry] = []
        self._lower: dict[str, int] = {}
        self._orth: dict[str, int] = {}
        self.codes: dict[str, Entry] = {}
        self.fuzzy_choices: dict[str, Entry] = {}
        self._add_items(network, lexicon)
        self._add_firms(network)
        self._add_countries(network, lexicon)
        self.lower = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        for matcher, terms in ((self.lower, self._lower), (self.orth, self._orth)):
            by_entry: dict[int, list[str]] = {}
            for term, idx in terms.items():
                by_entry.setdefault(idx, []).append(term)
            for idx, ts in by_entry.items():
                matcher.add(str(idx), [self.nlp.make_doc(t) for t in ts])
        log.debug("gazetteer: %d entries, %d case-insensitive and %d case-sensitive terms, %d codes",
                  len(self.entries), len(self._lower), len(self._orth), len(self.codes))

    # -- building ----------------------------------------------------------
    def _entry(self, e: Entry) -> int:
        self.entries.append(e)
        return len(self.entries) - 1

    def _term(self, term: str, e: Entry, case_sensitive: bool) -> None:
        idx = self._entry(e)
        if case_sensitive:
            self._orth.setdefault(term, idx)
        else:
            for v in _variants(term):
                self._lower.setdefault(v.lower(), idx)
            if e.label in ("ITEM", "KNOWN") and len(term) >= 5:
                self.fuzzy_choices.setdefault(term.lower(), e)

    def _add_items(self, network: Network, lexicon: Lexicon) -> None:
        kinds = dict(zip(network.items["item_id"].astype(str), network.items["kind"].astype(str), strict=False))
        for iid, name in self.item_names.items():
            if kinds.get(iid) == "process" and " " not in name.strip() and len(name) < 12:
                continue  # "Testing", "Deposition": common words, not names of things supplied
            e = Entry("ITEM", (iid,), "name")
            self._term(name, e, False)
            plain = _BRACKET.sub("", name).strip()
            if plain and plain != name:
                self._term(plain, e, False)
            for inner in _BRACKET.findall(name):
                if inner.isupper() and 2 <= len(inner) <= 6:
                    self._term(inner, e, True)
            self._term(iid.replace("-", " "), e, False)
        for row in lexicon.item_terms:
            ids = tuple(i for i in row.item_ids if i in self.item_ids)
            if row.kind == "generic":
                e = Entry("GENERIC", (), "generic", "too general to link")
            elif ids:
                e = Entry("ITEM", ids, row.kind)
            else:
                why = "not an item of this network" if row.item_ids or row.kind == "known" else "unknown"
                e = Entry("KNOWN", (), "known", why)
            if row.kind in ("control", "hs"):
                self.codes[row.term.upper().removeprefix("HS ").strip()] = e
                continue
            self._term(row.term, e, row.case_sensitive)

    def _add_firms(self, network: Network) -> None:
        p = network.providers
        firms = p[p["kind"] == "firm"]
        for fid, name, aliases in zip(firms["provider_id"].astype(str), firms["name"].astype(str),
                                      firms["aliases"], strict=False):
            e = Entry("FIRM", (fid,), "name")
            for t in [name, _BRACKET.sub("", name).strip(), *_split_aliases(aliases)]:
                if len(t) >= 2:
                    self._term(t, e, True)

    def _add_countries(self, network: Network, lexicon: Lexicon) -> None:
        names: dict[str, str] = dict(country_terms())
        p = network.providers
        for cid, name, aliases in zip(p["provider_id"].astype(str), p["name"].astype(str), p["aliases"], strict=False):
            if len(cid) == 3 and cid.isupper():
                for t in [name, *_split_aliases(aliases)]:
                    names.setdefault(t, cid)
        for code, term, _kind in lexicon.countries:
            names[term] = code
        for term, code in names.items():
            if "," in term:
                continue
            if code == "-":  # a region that contains a country's name ("North America"): blocks it
                self._term(term, Entry("REGION", (), "region"), True)
                continue
            self._term(term, Entry("COUNTRY", (code,), "name"), True)

    # -- lookup ------------------------------------------------------------
    def entry_of(self, match_key: int) -> Entry:
        return self.entries[match_key]

    def code(self, code: str) -> Entry | None:
        """The entry of a control-list number or HS code, by its longest known prefix."""
        c = code.upper()
        parts = c.split(".")
        for k in range(len(parts), 0, -1):
            e = self.codes.get(".".join(parts[:k]))
            if e is not None:
                return e
        return None

    def fuzzy(self, name: str) -> tuple[Entry, float] | None:
        """The closest item term (rapidfuzz ratio ≥ :data:`FUZZY_CUTOFF`), or None."""
        from rapidfuzz import fuzz, process

        if len(name) < 5 or not self.fuzzy_choices:
            return None
        hit = process.extractOne(name.lower(), list(self.fuzzy_choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if hit is None:
            return None
        return self.fuzzy_choices[hit[0]], float(hit[1])


def _split_aliases(aliases: Any) -> list[str]:
    if not isinstance(aliases, str):
        return []
    return [a.strip() for a in aliases.split(";") if a.strip()]


_CACHE: weakref.WeakKeyDictionary[Network, dict[str, Gazetteer]] = weakref.WeakKeyDictionary()


def gazetteer(network: Network, language: str = "en") -> Gazetteer:
    """The gazetteer of ``network`` in ``language``, built once per network (networks are immutable)."""
    per = _CACHE.setdefault(network, {})
    if language not in per:
        per[language] = Gazetteer(network, load_lexicon(language))
    return per[language]
