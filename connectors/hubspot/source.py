"""HubSpot lists as cohorts: memberships page by page, each page's contacts read in batches.

Memberships only carry record ids, so each page is completed by a batch read for the email
and the properties the connection keeps as traits. Only one page is held at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.base import CohortInfo, Member
from connectors.hubspot.client import MAX_MEMBERSHIP_PAGE, HubSpotClient
from hub.identity import EMAIL, HUBSPOT_CONTACT

LIST_SEARCH_PAGE = 100


def wanted_properties(config: dict[str, Any]) -> list[str]:
    raw = config.get("properties") or ""
    names = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return list(dict.fromkeys(["email", *(str(n).strip() for n in names if str(n).strip())]))


def page_size(config: dict[str, Any], maximum: int) -> int:
    try:
        wanted = int(config.get("page_size") or maximum)
    except ValueError:
        wanted = maximum
    return max(1, min(wanted, maximum))


def to_member(record_id: str, properties: dict[str, Any], wanted: list[str]) -> Member:
    traits = {name: properties.get(name) for name in wanted if name != "email"}
    return Member(
        ref=record_id, identities={HUBSPOT_CONTACT: record_id, EMAIL: properties.get("email")}, traits=traits
    )


class HubSpotSource:
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        client = HubSpotClient(config)
        found: list[CohortInfo] = []
        more = True
        while more:
            lists, more = client.lists(len(found), LIST_SEARCH_PAGE)
            found += [
                CohortInfo(
                    source_ref=str(item.list_id), name=item.name, size=_size(item.additional_properties)
                )
                for item in lists
            ]
            more = more and bool(lists)
        return found

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        client = HubSpotClient(config)
        wanted = wanted_properties(config)
        limit = page_size(config, MAX_MEMBERSHIP_PAGE)
        after: str | None = None
        while True:
            ids, after = client.membership_page(source_ref, after, limit)
            contacts = client.read_contacts(ids, wanted) if ids else {}
            yield [to_member(record_id, contacts.get(record_id, {}), wanted) for record_id in ids]
            if after is None:
                return


def _size(additional: dict[str, Any] | None) -> int | None:
    value = (additional or {}).get("hs_list_size")
    return int(value) if value is not None and str(value).isdigit() else None
