"""The shipped table of one resolver address per AWS region, for `geoproxy verify`
(data/resolver_addresses.json; its source and date in data/RESOLVER_ADDRESSES_SOURCE.md)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib.resources import files


@dataclass(frozen=True)
class ResolverTable:
    addresses: dict[str, str]  # region -> an address AWS publishes as that region's
    source: str  # where it comes from and when, for the output

    def address(self, region: str) -> str | None:
        return self.addresses.get(region)


@functools.cache
def shipped_resolvers() -> ResolverTable:
    raw = json.loads(
        files("geoproxy").joinpath("data/resolver_addresses.json").read_text(encoding="utf-8")
    )
    return ResolverTable(
        {region: entry["resolver_ip"] for region, entry in raw["regions"].items()},
        f"{raw['source']}; snapshot {raw['create_date']} (syncToken {raw['sync_token']})",
    )
