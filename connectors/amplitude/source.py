"""Amplitude behavioral cohorts: one export job per sync, its file read as it streams in.

The export is a single file, so the pages the sync stages are cut here from its rows; only
one page of members is held at a time, however large the cohort.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.amplitude.client import AmplitudeClient
from connectors.amplitude.kinds import AMPLITUDE_ID
from connectors.sdk import EMAIL, USER_ID, CohortInfo, Member

DEFAULT_PAGE_SIZE = 1000
ID_COLUMNS = frozenset({"amplitude_id", "user_id"})


def wanted_properties(config: dict[str, Any]) -> list[str]:
    raw = config.get("properties") or ""
    names = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [n for n in dict.fromkeys(str(n).strip() for n in names) if n and n not in ID_COLUMNS]


def email_property(config: dict[str, Any]) -> str:
    return str(config.get("email_property") or "email").strip()


def to_member(row: dict[str, str], email_column: str, wanted: list[str]) -> Member:
    """Empty cells are absent values: Amplitude writes "" for a user with no user_id."""
    amplitude_id = row["amplitude_id"]
    return Member(
        ref=amplitude_id,
        identities={
            AMPLITUDE_ID.name: amplitude_id,
            USER_ID.name: row.get("user_id") or None,
            EMAIL.name: row.get(email_column) or None,
        },
        traits={name: row.get(name) or None for name in wanted if name != email_column},
    )


class AmplitudeSource:
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        client = AmplitudeClient(config)
        with client.http:
            listed = client.cohorts()
        return [
            CohortInfo(source_ref=str(c["id"]), name=str(c.get("name")), size=c.get("size"))
            for c in listed
            if not c.get("archived")
        ]

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        wanted, email_column = wanted_properties(config), email_property(config)
        size = int(config.get("page_size") or DEFAULT_PAGE_SIZE)
        client = AmplitudeClient(config)
        with client.http:
            request_id = client.request_export(source_ref, list(dict.fromkeys([email_column, *wanted])))
            client.wait_until_ready(source_ref, request_id)
            page: list[Member] = []
            pages = 0
            for row in client.rows(request_id):
                page.append(to_member(row, email_column, wanted))
                if len(page) == size:
                    yield page
                    page, pages = [], pages + 1
            if page or not pages:
                yield page
