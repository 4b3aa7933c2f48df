"""Resolving member names and codes to provider ids.

Members of an alliance are ISO 3166 alpha-3 country codes (``KOR``, ``NLD``) or firm
provider ids of a network.  Users may type other spellings — ``South Korea``, ``KR``,
``410``, ``Netherlands``, ``Holland`` — which are normalised with :mod:`pycountry`
(the ISO 3166 tables) plus a short list of common English names that ISO does not
carry.  An unknown name raises :class:`~allychain.errors.UnknownMemberError` with the
closest known names as a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import pycountry

from allychain.errors import UnknownMemberError
from allychain.model.network import Network

__all__ = ["resolve_member", "resolve_members", "country_name", "lookup_country", "is_iso3", "country_terms"]

#: Common English names and codes that ISO 3166 (as shipped by pycountry) does not list.
COMMON_NAMES: dict[str, str] = {
    "korea": "KOR",
    "south korea": "KOR",
    "republic of korea": "KOR",
    "rok": "KOR",
    "holland": "NLD",
    "the netherlands": "NLD",
    "nederland": "NLD",
    "uk": "GBR",
    "great britain": "GBR",
    "britain": "GBR",
    "england": "GBR",
    "us": "USA",
    "u.s.": "USA",
    "u.s.a.": "USA",
    "america": "USA",
    "united states of america": "USA",
    "russia": "RUS",
    "china": "CHN",
    "prc": "CHN",
    "mainland china": "CHN",
    "taiwan": "TWN",
    "roc": "TWN",
    "chinese taipei": "TWN",
    "vietnam": "VNM",
    "czechia": "CZE",
    "czech republic": "CZE",
    "turkey": "TUR",
    "iran": "IRN",
    "north korea": "PRK",
    "laos": "LAO",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "syria": "SYR",
    "moldova": "MDA",
    "tanzania": "TZA",
    "deutschland": "DEU",
}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """casefolded name → alpha-3 for every ISO name, official name and common name."""
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                out[str(v).casefold()] = c.alpha_3
    out.update(COMMON_NAMES)
    return out


@lru_cache(maxsize=1)
def country_terms() -> dict[str, str]:
    """Country names as written (ISO name, official and common name, common English names) → alpha-3.

    For finding countries in text: the ISO names keep their capitals; the common
    names are title-cased (``South Korea``) and short ones upper-cased (``UK``, ``U.S.``).
    """
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                out[str(v)] = c.alpha_3
    for k, v in COMMON_NAMES.items():
        out[k.upper() if len(k.replace(".", "")) <= 3 else k.title().replace("Of ", "of ")] = v
    return out


def is_iso3(code: str) -> bool:
    """True when ``code`` is an ISO 3166 alpha-3 country code."""
    return isinstance(code, str) and len(code) == 3 and pycountry.countries.get(alpha_3=code.upper()) is not None


def lookup_country(text: str, common_names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """ISO alpha-3 code and display name of a country code or name.

    Tried in order: an alpha-3 code, ``common_names`` (lower-case name → alpha-3, for
    names ISO 3166 does not list), pycountry's exact look-up, then its fuzzy search,
    which must find exactly one country.

    Raises
    ------
    LookupError
        For an unknown name, or an ambiguous one (naming up to five candidates).
    """
    t = text.strip()
    c = None
    if re.fullmatch(r"[A-Za-z]{3}", t):
        c = pycountry.countries.get(alpha_3=t.upper())
    if c is None and common_names and t.casefold() in common_names:
        c = pycountry.countries.get(alpha_3=common_names[t.casefold()])
    if c is None:
        try:
            c = pycountry.countries.lookup(t)
        except LookupError:
            c = None
    if c is None:
        try:
            found = pycountry.countries.search_fuzzy(t)
        except LookupError:
            found = []
        if len(found) > 1:
            cands = ", ".join(f"{x.alpha_3} ({x.name})" for x in found[:5])
            raise LookupError(f"ambiguous country name {t!r}: could be {cands}")
        if not found:
            raise LookupError(f"unknown country {t!r}")
        c = found[0]
    return str(c.alpha_3), str(getattr(c, "common_name", None) or c.name)


def country_name(code: str) -> str:
    """Short English name of an ISO alpha-3 code (the code itself when unknown)."""
    c = pycountry.countries.get(alpha_3=str(code).upper()) if isinstance(code, str) and len(code) == 3 else None
    if c is None:
        return str(code)
    return str(getattr(c, "common_name", None) or c.name)


def _iso_lookup(text: str) -> str | None:
    t = text.strip()
    if not t:
        return None
    hit = _country_names().get(t.casefold())
    if hit:
        return hit
    up = t.upper()
    c = pycountry.countries.get(alpha_3=up) or pycountry.countries.get(alpha_2=up)
    if c is not None:
        return str(c.alpha_3)
    if t.isdigit():
        c = pycountry.countries.get(numeric=t.zfill(3))
        if c is not None:
            return str(c.alpha_3)
    return None


def resolve_member(name: str, network: Network | None = None) -> str:
    """Resolve one member name or code to an ISO 3166 alpha-3 code or a firm provider id.

    Order: an exact provider id of ``network``; an ISO 3166 country (alpha-3,
    alpha-2, numeric, name, official or common name, case-insensitive); a provider
    name or alias of ``network`` (firms).

    Raises
    ------
    UnknownMemberError
        When nothing matches; the message suggests close names.

    Examples
    --------
    >>> resolve_member("South Korea"), resolve_member("nl"), resolve_member("KOR")
    ('KOR', 'NLD', 'KOR')
    >>> resolve_member("Netherland")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    allychain.errors.UnknownMemberError: unknown member 'Netherland'; did you mean 'Netherlands', ...?
    """
    text = str(name).strip()
    providers = network.providers if network is not None else None
    if providers is not None and text in set(providers["provider_id"].astype(str)):
        return text
    iso = _iso_lookup(text)
    if iso is not None:
        return iso
    by_name: dict[str, str] = {}
    if providers is not None:
        for pid, nm, al in zip(providers["provider_id"], providers["name"], providers["aliases"], strict=False):
            for v in [nm, *(str(al).split(";") if isinstance(al, str) else [])]:
                if isinstance(v, str) and v.strip():
                    by_name.setdefault(v.strip().casefold(), str(pid))
        hit = by_name.get(text.casefold())
        if hit:
            return hit
    candidates = {c.name: c.alpha_3 for c in pycountry.countries}
    candidates.update({str(c.common_name): c.alpha_3 for c in pycountry.countries
                       if getattr(c, "common_name", None)})
    if providers is not None:
        candidates.update({str(nm): str(pid) for pid, nm in zip(providers["provider_id"], providers["name"], strict=False)
                           if isinstance(nm, str)})
    folded = {k.casefold(): k for k in candidates}
    close = difflib.get_close_matches(text.casefold(), list(folded), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(folded[c]) for c in close)}?" if close else \
        "; use an ISO 3166 alpha-3 code such as KOR or NLD"
    raise UnknownMemberError(f"unknown member {text!r}{hint}")


def resolve_members(members: str | Iterable[str], network: Network | None = None) -> list[str]:
    """Resolve a comma-separated string or a list of names/codes; order kept, duplicates dropped.

    A single word that is an alliance id of ``network`` expands to its members.

    Raises
    ------
    UnknownMemberError
        For the first name that cannot be resolved, or when no member is given.
    """
    if isinstance(members, str):
        parts = [p for p in (x.strip() for x in members.split(",")) if p]
    else:
        parts = [str(p).strip() for p in members if str(p).strip()]
    if not parts:
        raise UnknownMemberError("no members given; pass ISO 3166 alpha-3 codes such as KOR,NLD")
    out: list[str] = []
    for p in parts:
        if network is not None and p in set(network.alliances["alliance_id"].dropna().astype(str)):
            resolved = [resolve_member(m, network) for m in network.alliance_members(p)]
        else:
            resolved = [resolve_member(p, network)]
        for r in resolved:
            if r not in out:
                out.append(r)
    return out
