"""Intercom's REST API through the shared HttpClient (there is no official Python SDK we trust).

Search is the one way to list a segment's contacts; its cursor travels in the request body
(`pagination.starting_after`), since Intercom ignores one in the query string and answers
page one again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from connectors.sdk import HttpClient, outbound, paginate

API_VERSION = "2.11"
MAX_PER_PAGE = 150


class IntercomClient:
    def __init__(self, config: dict[str, Any], *, attempts: int | None = None) -> None:
        """`attempts` caps the scope's retries; a delivery channel sends once (the outbox retries)."""
        token = str(config.get("access_token") or "")
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Intercom-Version": API_VERSION,
        }
        policy = outbound().policy
        if attempts is not None:
            policy = replace(policy, max_attempts=attempts)
        self.http = HttpClient(str(config["base_url"]), policy, headers=headers)

    def search_pages(self, query: dict[str, Any], per_page: int) -> Iterator[list[dict[str, Any]]]:
        """Contacts matching `query`, oldest first, one page at a time."""

        def search(starting_after: str | None) -> tuple[list[dict[str, Any]], str | None]:
            pagination: dict[str, Any] = {"per_page": max(1, min(per_page, MAX_PER_PAGE))}
            if starting_after:
                pagination["starting_after"] = starting_after
            body = {
                "query": query,
                "pagination": pagination,
                "sort": {"field": "created_at", "order": "ascending"},
            }
            page = self.http.request("POST", "/contacts/search", json=body).json()
            following = ((page.get("pages") or {}).get("next") or {}).get("starting_after")
            return list(page.get("data") or []), following or None

        return paginate(search, what="Intercom contacts search")

    def segments(self) -> list[dict[str, Any]]:
        answer = self.http.request("GET", "/segments", params={"include_count": "true"}).json()
        return list(answer.get("segments") or [])

    def probe(self) -> str:
        with self.http:
            return f"connected to Intercom; {len(self.segments())} segments visible"
