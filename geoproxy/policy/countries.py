"""Countries: the ISO 3166-1 alpha-2 codes CloudFront uses, the named groups a compliance
rule's `viewer_countries` may use, and where each country is (for the edge fence)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

ISO_3166_ALPHA2 = frozenset({
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
})

# The named groups `viewer_countries` accepts. Membership changes by treaty, rarely; the lists
# were checked on 2026-12-02 against the EU's own list of its member countries
# (https://european-union.europa.eu/principles-countries-history/eu-countries_en: 27 since the
# United Kingdom left on 2020-02-01) and EFTA's page on the EEA Agreement
# (https://www.efta.int/eea: the EU member states plus Iceland, Liechtenstein and Norway).
# Greece is GR here: ISO's code, the one CloudFront-Viewer-Country carries (the EU's own
# protocol order writes EL).
GROUPS_CHECKED = "2026-12-02"
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
EEA_MEMBERS = EU_MEMBERS | {"IS", "LI", "NO"}
COUNTRY_GROUPS: dict[str, frozenset[str]] = {"EU": EU_MEMBERS, "EEA": EEA_MEMBERS}


def expand_countries(entries: Iterable[str]) -> tuple[str, ...]:
    """The country codes `entries` stand for (groups expanded), sorted, each once."""
    codes: set[str] = set()
    for entry in entries:
        codes |= COUNTRY_GROUPS.get(entry, {entry})
    return tuple(sorted(codes))


@dataclass(frozen=True)
class CountryLocation:
    code: str
    name: str
    latitude: float
    longitude: float


LOCATIONS_FILE = "country_locations.json"


@lru_cache(maxsize=1)
def country_locations() -> dict[str, CountryLocation]:
    """One representative point per country, shipped with geoproxy (Natural Earth, public
    domain: geoproxy/data/COUNTRY_LOCATIONS_SOURCE.md says how it was made)."""
    text = (resources.files("geoproxy") / "data" / LOCATIONS_FILE).read_text(
        encoding="utf-8")
    return {code: CountryLocation(code, entry["name"], float(entry["lat"]), float(entry["lon"]))
            for code, entry in json.loads(text)["countries"].items()}
