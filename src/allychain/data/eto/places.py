"""Countries, regions and aggregates named in the ETO files, resolved to ISO 3166 or allychain ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from allychain.model.members import lookup_country

__all__ = ["AGGREGATE", "REGIONS", "Place", "is_code", "resolve_place"]


@dataclass(frozen=True)
class Place:
    """A resolved place: ``kind`` is ``country`` (``id`` ISO 3166 alpha-3), ``region`` or ``aggregate``."""

    id: str
    kind: str
    name: str


REGIONS: dict[str, tuple[str, ...]] = {
    "EUR": ("Europe", "European", "European countries"),
    "EU": ("European Union", "EU27", "EU-27"),
    "APAC": ("Asia-Pacific", "Asia Pacific"),
}
AGGREGATE = re.compile(r"^\s*(various|multiple|other|others|rest of(?: the)? world|unknown|n/?a)\b", re.I)
_COMMON_NAMES = {
    "us": "USA", "u.s.": "USA", "u.s.a.": "USA", "united states of america": "USA", "america": "USA",
    "uk": "GBR", "u.k.": "GBR", "britain": "GBR", "great britain": "GBR", "england": "GBR",
    "south korea": "KOR", "republic of korea": "KOR", "korea, south": "KOR", "north korea": "PRK",
    "taiwan": "TWN", "chinese taipei": "TWN", "mainland china": "CHN", "prc": "CHN",
    "russia": "RUS", "turkey": "TUR", "macau": "MAC", "macao": "MAC", "hong kong": "HKG",
    "mal": "MYS", "holland": "NLD", "the netherlands": "NLD", "czech republic": "CZE", "vietnam": "VNM", "iran": "IRN",
}


def _aggregate_id(text: str) -> str:
    word = AGGREGATE.match(text).group(1).lower()  # type: ignore[union-attr]
    if word in ("various", "multiple"):
        return "VARIOUS"
    if word in ("unknown", "n/a", "na"):
        return "UNKNOWN"
    return "OTHER"


@lru_cache(maxsize=1024)
def _country(text: str) -> tuple[str, str]:
    """ISO alpha-3 code and display name of a country code or name; LookupError explains failures."""
    return lookup_country(text, _COMMON_NAMES)


def resolve_place(text: str) -> Place:
    """Resolve an ETO country column or country provider name.

    Aggregates (``"Various countries"``, ``"Various"``, ``"Other"``) become kind
    ``aggregate`` (id ``VARIOUS``, ``OTHER`` or ``UNKNOWN``), never a country; regions
    (``"EUR"``/``"Europe"``, ``"EU"``) kind ``region``; everything else must resolve
    to one ISO 3166 country (alpha-3 or alpha-2 code, name, official or common name,
    or a single fuzzy match).

    Raises
    ------
    LookupError
        For an unknown or ambiguous name, saying which candidates matched.

    Examples
    --------
    >>> resolve_place("Netherlands")
    Place(id='NLD', kind='country', name='Netherlands')
    >>> resolve_place("Various countries").kind
    'aggregate'
    >>> resolve_place("Korea")
    Traceback (most recent call last):
    LookupError: ambiguous country name 'Korea': could be PRK (Korea, Democratic People's Republic of), KOR (Korea, Republic of)
    """
    t = str(text).strip()
    if not t:
        raise LookupError("empty country")
    if AGGREGATE.match(t):
        return Place(_aggregate_id(t), "aggregate", t)
    key = t.casefold()
    for code, names in REGIONS.items():
        if key == code.casefold() or key in {n.casefold() for n in names}:
            return Place(code, "region", names[0])
    iso, name = _country(t)
    return Place(iso, "country", name)


def is_code(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{2,3}", name.strip()))


