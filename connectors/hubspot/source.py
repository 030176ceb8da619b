"""HubSpot lists as cohorts: memberships page by page, each page's contacts read in batches.

Memberships only carry record ids, so each page is completed by a batch read for the email
and the properties the connection keeps as traits. Only one page is held at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.hubspot.client import MAX_MEMBERSHIP_PAGE, HubSpotClient
from connectors.hubspot.kinds import HUBSPOT_CONTACT
from connectors.sdk import EMAIL, CohortInfo, Member, paginate

LIST_SEARCH_PAGE = 100


def wanted_properties(config: dict[str, Any]) -> list[str]:
    raw = config.get("properties") or ""
    names = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return list(dict.fromkeys(["email", *(str(n).strip() for n in names if str(n).strip())]))


def to_member(record_id: str, properties: dict[str, Any], wanted: list[str]) -> Member:
    traits = {name: properties.get(name) for name in wanted if name != "email"}
    return Member(
        ref=record_id,
        identities={HUBSPOT_CONTACT.name: record_id, EMAIL.name: properties.get("email")},
        traits=traits,
    )


class HubSpotSource:
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        client = HubSpotClient(config)

        def search(offset: int | None) -> tuple[list[Any], int | None]:
            lists, more = client.lists(offset or 0, LIST_SEARCH_PAGE)
            return lists, (offset or 0) + len(lists) if more and lists else None

        return [
            CohortInfo(source_ref=str(item.list_id), name=item.name, size=_size(item.additional_properties))
            for page in paginate(search, what="HubSpot lists search")
            for item in page
        ]

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        client = HubSpotClient(config)
        wanted = wanted_properties(config)
        limit = int(config.get("page_size") or MAX_MEMBERSHIP_PAGE)

        def memberships(after: str | None) -> tuple[list[str], str | None]:
            return client.membership_page(source_ref, after, limit)

        for ids in paginate(memberships, what=f"HubSpot list {source_ref} memberships"):
            contacts = client.read_contacts(ids, wanted) if ids else {}
            yield [to_member(record_id, contacts.get(record_id, {}), wanted) for record_id in ids]


def _size(additional: dict[str, Any] | None) -> int | None:
    value = (additional or {}).get("hs_list_size")
    return int(value) if value is not None and str(value).isdigit() else None
