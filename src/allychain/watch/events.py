"""Events extracted from text, as plain data.

An :class:`Event` says *what happened* (``type``), *to what* (``items``, ids in the
network, and ``unlinked`` names that are not), *who acts* (``imposing`` countries),
*who is hit* (``targeted`` countries), *where* (``locations``), *which firms* and
*when* (``announced`` and ``effective`` dates).  Every field keeps the character
span of the document text it came from (``start`` inclusive, ``end`` exclusive,
0-based, as Python slices), so that a reader can check each claim in the source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["EVENT_TYPES", "POLICY_TYPES", "DISRUPTION_TYPES", "MARKET_TYPES", "family", "Mention", "ItemMention", "DateMention", "Event",
           "Extraction"]

#: Event types, in the order of the documentation (docs/watch.md)
EVENT_TYPES = ("export_control", "import_restriction", "sanction", "licence_requirement", "lifting_of_measure",
               "plant_outage", "fire", "natural_disaster", "shortage", "price_shock", "capacity_expansion", "other")
#: Measures taken by governments: they have imposing and targeted countries
POLICY_TYPES = frozenset(EVENT_TYPES[:5])
#: Physical disruptions: they have locations instead
DISRUPTION_TYPES = frozenset(EVENT_TYPES[5:8])
#: Market events: they have locations too
MARKET_TYPES = frozenset(EVENT_TYPES[8:11])


def family(event_type: str) -> str:
    """``policy``, ``disruption``, ``market`` or ``other``: events of one family may merge."""
    if event_type in POLICY_TYPES:
        return "policy"
    if event_type in DISRUPTION_TYPES:
        return "disruption"
    return "market" if event_type in MARKET_TYPES else "other"


@dataclass(frozen=True)
class Mention:
    """A resolved mention: ``id`` (ISO alpha-3 country code, firm provider id) and its span."""

    id: str
    text: str
    start: int
    end: int
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ItemMention:
    """An item mention: ``ids`` are item ids of the network (empty when unlinked).

    ``match`` says how the text was linked: ``name`` (an item name of the network),
    ``synonym``, ``formula``, ``hs`` (HS code), ``control`` (a control-list number),
    ``fuzzy`` (rapidfuzz similarity ``score`` 0–100), ``known`` (a product name the
    lexicon knows that has no item in this network) or ``unknown`` (a name in the
    object of a measure that nothing matched).
    """

    ids: tuple[str, ...]
    text: str
    start: int
    end: int
    match: str
    score: float = 100.0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ids"] = list(self.ids)
        return d


@dataclass(frozen=True)
class DateMention:
    """A date: ISO ``value`` (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` by ``precision``) and its span.

    ``resolved`` is ``absolute`` (the text states the date), ``relative`` (computed
    from the document date, e.g. "next month", "within 90 days") or ``inferred``
    (a year-less date placed in the year that makes sense against the document date).
    """

    value: str
    precision: str
    text: str
    start: int
    end: int
    resolved: str = "absolute"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Event:
    """One event found in a document (see module docstring)."""

    type: str
    trigger: Mention
    sentence: tuple[int, int]
    items: list[ItemMention] = field(default_factory=list)
    unlinked: list[ItemMention] = field(default_factory=list)
    imposing: list[Mention] = field(default_factory=list)
    targeted: list[Mention] = field(default_factory=list)
    locations: list[Mention] = field(default_factory=list)
    firms: list[Mention] = field(default_factory=list)
    announced: DateMention | None = None
    effective: DateMention | None = None
    document: str | None = None

    @property
    def item_ids(self) -> list[str]:
        """Distinct item ids, in order of appearance."""
        return list(dict.fromkeys(i for m in self.items for i in m.ids))

    @property
    def countries(self) -> list[str]:
        """Distinct country codes of every role."""
        return list(dict.fromkeys(m.id for m in (*self.imposing, *self.targeted, *self.locations)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ids first (``item_ids``, ``imposing_ids`` …), then the mentions with spans."""
        ids = lambda ms: list(dict.fromkeys(m.id for m in ms))  # noqa: E731
        return {
            "document": self.document,
            "type": self.type,
            "item_ids": self.item_ids,
            "unlinked_names": list(dict.fromkeys(m.text for m in self.unlinked)),
            "imposing_ids": ids(self.imposing),
            "targeted_ids": ids(self.targeted),
            "location_ids": ids(self.locations),
            "firm_ids": ids(self.firms),
            "announced_date": self.announced.value if self.announced else None,
            "effective_date": self.effective.value if self.effective else None,
            "trigger": self.trigger.to_dict(),
            "sentence": {"start": self.sentence[0], "end": self.sentence[1]},
            "items": [m.to_dict() for m in self.items],
            "unlinked": [m.to_dict() for m in self.unlinked],
            "imposing": [m.to_dict() for m in self.imposing],
            "targeted": [m.to_dict() for m in self.targeted],
            "locations": [m.to_dict() for m in self.locations],
            "firms": [m.to_dict() for m in self.firms],
            "announced": self.announced.to_dict() if self.announced else None,
            "effective": self.effective.to_dict() if self.effective else None,
        }


@dataclass
class Extraction:
    """The result for one document: its events, its text (spans index into it) and notes.

    ``complete`` is False when the time budget ran out before the end of the text;
    ``warnings`` say what was not read or could not be resolved (e.g. a relative date
    without a document date).
    """

    document: str | None
    text: str
    date: str | None
    language: str
    events: list[Event]
    sentences: int = 0
    complete: bool = True
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"document": self.document, "date": self.date, "language": self.language,
                             "sentences": self.sentences, "complete": self.complete, "warnings": list(self.warnings),
                             "seconds": round(self.seconds, 4), "events": [e.to_dict() for e in self.events]}
        if with_text:
            d["text"] = self.text
        return d
