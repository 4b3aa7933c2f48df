"""Member names and codes → ISO 3166 alpha-3 (pycountry) or firm ids."""

from __future__ import annotations

import pytest

from allychain.errors import AllychainError, UnknownMemberError
from allychain.model.members import country_name, is_iso3, resolve_member, resolve_members


@pytest.mark.parametrize("text,code", [
    ("KOR", "KOR"), ("kor", "KOR"), ("KR", "KOR"), ("410", "KOR"), ("South Korea", "KOR"),
    ("Korea, Republic of", "KOR"), ("Republic of Korea", "KOR"),
    ("NLD", "NLD"), ("nl", "NLD"), ("Netherlands", "NLD"), ("Holland", "NLD"), ("Kingdom of the Netherlands", "NLD"),
    ("Taiwan", "TWN"), ("UK", "GBR"), ("United States", "USA"), ("Japan", "JPN"),
])
def test_countries(text, code):
    assert resolve_member(text) == code


def test_unknown_name_gets_a_suggestion():
    with pytest.raises(UnknownMemberError, match="did you mean 'Netherlands'") as exc:
        resolve_member("Netherland")
    assert isinstance(exc.value, AllychainError)
    with pytest.raises(UnknownMemberError, match="ISO 3166 alpha-3"):
        resolve_member("Qwxyzzy")


def test_lists_strings_duplicates_and_alliances(chain):
    import pandas as pd

    assert resolve_members("KOR, Netherlands,kor") == ["KOR", "NLD"]
    assert resolve_members(["Japan", "USA"]) == ["JPN", "USA"]
    with pytest.raises(UnknownMemberError, match="no members"):
        resolve_members(" , ")
    n = chain.replace(alliances=pd.DataFrame({"alliance_id": ["KN", "KN"], "member": ["KOR", "NLD"]}))
    assert resolve_members("KN", n) == ["KOR", "NLD"]


def test_firms_by_id_and_name(net):
    n = net(shares=[("x", "asml", 100, 2025)])
    n = n.replace(providers=n.providers.assign(name=["ASML Holding"], aliases=["ASML; ASML NV"]))
    assert resolve_member("asml", n) == "asml"
    assert resolve_member("ASML Holding", n) == "asml"
    assert resolve_member("asml nv", n) == "asml"


def test_helpers():
    assert is_iso3("NLD") and not is_iso3("EUR") and not is_iso3("NL")
    assert country_name("KOR") == "South Korea"
    assert country_name("VARIOUS") == "VARIOUS"
