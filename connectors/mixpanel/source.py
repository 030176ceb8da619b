"""Mixpanel cohorts: the profiles Engage returns when filtered by a cohort, page by page.

The cohort is a filter on the profile query (`filter_by_cohort`), so each page already
carries the distinct_id, the email and the properties the connection asked for; nothing is
fetched per member and only one page is held at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from connectors.mixpanel.client import MAX_PAGE_SIZE, MixpanelClient, Profile
from connectors.mixpanel.kinds import MIXPANEL_DISTINCT_ID
from connectors.sdk import (
    EMAIL,
    CohortInfo,
    ConfigError,
    ErrorResolution,
    FailureType,
    Member,
    ResponseAction,
)

EMAIL_PROPERTY = "$email"
_BAD_REF = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "not a Mixpanel cohort id")


def wanted_properties(config: dict[str, Any]) -> list[str]:
    raw = config.get("properties") or ""
    names = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [n for n in dict.fromkeys(str(n).strip() for n in names) if n and n != EMAIL_PROPERTY]


def cohort_id_of(source_ref: str) -> int:
    ref = source_ref.strip()
    if not ref.isdigit():
        raise ConfigError(f"{ref!r} is not a Mixpanel cohort id (a whole number)", resolution=_BAD_REF)
    return int(ref)


def to_member(profile: Profile, wanted: list[str]) -> Member:
    distinct_id = str(profile["$distinct_id"])
    properties = profile.get("$properties") or {}
    return Member(
        ref=distinct_id,
        identities={MIXPANEL_DISTINCT_ID.name: distinct_id, EMAIL.name: properties.get(EMAIL_PROPERTY)},
        traits={name: properties.get(name) for name in wanted},
    )


class MixpanelSource:
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        client = MixpanelClient(config)
        with client.http:
            listed = client.cohorts()
        return [
            CohortInfo(source_ref=str(c["id"]), name=str(c.get("name")), size=c.get("count")) for c in listed
        ]

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        cohort_id = cohort_id_of(source_ref)
        wanted = wanted_properties(config)
        query = {
            "filter_by_cohort": json.dumps({"id": cohort_id}),
            "output_properties": json.dumps([EMAIL_PROPERTY, *wanted]),
        }
        client = MixpanelClient(config)
        with client.http:
            for page in client.engage_pages(query, int(config.get("page_size") or MAX_PAGE_SIZE)):
                yield [to_member(profile, wanted) for profile in page]
