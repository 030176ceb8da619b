"""Intercom cohorts: the contacts in a segment, or those matching a search query a person wrote.

`source_ref` is a segment id, or a JSON search query (the `query` object of
POST /contacts/search, alone or wrapped as `{"query": …}`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from connectors.intercom.client import MAX_PER_PAGE, IntercomClient
from connectors.intercom.kinds import INTERCOM_CONTACT
from connectors.sdk import (
    EMAIL,
    USER_ID,
    CohortInfo,
    ConfigError,
    ErrorResolution,
    FailureType,
    Member,
    ResponseAction,
)

_BAD_QUERY = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "not a search query")


def query_for(source_ref: str) -> dict[str, Any]:
    ref = source_ref.strip()
    if not ref.startswith("{"):
        return {"field": "segment_id", "operator": "=", "value": ref}
    try:
        parsed = json.loads(ref)
    except ValueError as exc:
        raise ConfigError(f"the cohort's search query is not JSON: {exc}", resolution=_BAD_QUERY) from None
    query = parsed.get("query", parsed) if isinstance(parsed, dict) else None
    if not isinstance(query, dict):
        raise ConfigError("the cohort's search query must be a JSON object", resolution=_BAD_QUERY)
    return query


def to_member(contact: dict[str, Any]) -> Member:
    identities = {
        INTERCOM_CONTACT.name: contact.get("id"),
        EMAIL.name: contact.get("email"),
        USER_ID.name: contact.get("external_id"),
    }
    location = contact.get("location") or {}
    traits = {
        "name": contact.get("name"),
        "role": contact.get("role"),
        "country": location.get("country"),
        **(contact.get("custom_attributes") or {}),
    }
    return Member(ref=str(contact["id"]), identities=identities, traits=traits)


class IntercomSource:
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        segments = IntercomClient(config).segments()
        return [
            CohortInfo(source_ref=str(s["id"]), name=str(s.get("name")), size=s.get("count"))
            for s in segments
        ]

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        query = query_for(source_ref)
        client = IntercomClient(config)
        with client.http:
            for page in client.search_pages(query, int(config.get("page_size") or MAX_PER_PAGE)):
                yield [to_member(contact) for contact in page]
