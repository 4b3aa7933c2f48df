"""Which countries a regional aggregate provider stands for.

Some datasets report a stage's share for a region, not for its countries (ETO gives
Europe's 8 % of fabrication capacity as one row, ``EUR``).  A member inside such a
region may perform the stage without any row of its own; the analysis must then say
what it assumed instead of treating the member as absent.  These tables say which
countries each region name covers.

Sources:

* Europe: United Nations Statistics Division, *Standard country or area codes for
  statistical use (M49)*, region 150 "Europe", 2024,
  https://unstats.un.org/unsd/methodology/m49/
* European Union: European Union, *EU countries* (the 27 member states), 2024,
  https://european-union.europa.eu/principles-countries-history/eu-countries_en
"""

from __future__ import annotations

__all__ = ["REGION_COUNTRIES", "REGION_SOURCES", "region_countries"]

_EU27 = frozenset({
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA", "LVA",
    "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE",
})
_M49_EUROPE = frozenset({
    # Eastern Europe (151)
    "BLR", "BGR", "CZE", "HUN", "POL", "MDA", "ROU", "RUS", "SVK", "UKR",
    # Northern Europe (154)
    "ALA", "DNK", "EST", "FRO", "FIN", "GGY", "ISL", "IRL", "IMN", "JEY", "LVA", "LTU", "NOR", "SJM", "SWE", "GBR",
    # Southern Europe (039)
    "ALB", "AND", "BIH", "HRV", "GIB", "GRC", "VAT", "ITA", "MLT", "MNE", "MKD", "PRT", "SMR", "SRB", "SVN", "ESP",
    # Western Europe (155)
    "AUT", "BEL", "FRA", "DEU", "LIE", "LUX", "MCO", "NLD", "CHE",
})

#: Region names and ids (case-folded) → ISO 3166 alpha-3 codes of the countries they cover.
REGION_COUNTRIES: dict[str, frozenset[str]] = {
    "europe": _M49_EUROPE,
    "eur": _M49_EUROPE,
    "eu": _EU27,
    "european union": _EU27,
    "eu27": _EU27,
}

#: Where each table comes from (title, publisher, year, address).
REGION_SOURCES: dict[str, str] = {
    "europe": "Standard country or area codes for statistical use (M49), region 150 Europe; United Nations "
              "Statistics Division; 2024; https://unstats.un.org/unsd/methodology/m49/",
    "eu": "EU countries; European Union; 2024; https://european-union.europa.eu/principles-countries-history/"
          "eu-countries_en",
}


def region_countries(provider_id: str, name: str | None = None) -> frozenset[str]:
    """The countries a regional provider covers, by its id or its name; empty when unknown.

    >>> "NLD" in region_countries("EUR", "Europe")
    True
    >>> region_countries("Various countries")
    frozenset()
    """
    for key in (str(provider_id), name or ""):
        hit = REGION_COUNTRIES.get(key.strip().casefold())
        if hit:
            return hit
    return frozenset()
