"""Mixpanel's cohort sync to a custom webhook, as the fake replays it (apis.md §1).

The first push of a cohort to a URL is `members`: the whole cohort in pages that share one
`mixpanel_session_id` (`page_info.page_count` 1-based of `total_pages`). Later pushes send
only `add_members` and `remove_members`, at most 1,000 members a call, each action in a
session of its own. Members carry `email` (when known), `mixpanel_distinct_id`, `first_name`,
`last_name` and the exported `plan`; every call carries the HTTP Basic pair it was given.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

from connectors.sdk.fakes.population import Population
from connectors.sdk.fakes.pushing import Pusher, batches

MEMBERS_PAGE = INCREMENT_PAGE = 1000


class MixpanelPusher(Pusher):
    """Mixed into MixpanelFake after FakeServer, whose population and ids it reads."""

    population: Population
    project_id: int
    member_id: Callable[[int], str]
    source_ref: Callable[[int], str]
    cohort_index: Callable[[str], int]

    def push_headers(self, credentials: dict[str, Any]) -> dict[str, str]:
        pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    def push_bodies(
        self, url: str, source_ref: str, *, full: bool = False, size: int | None = None
    ) -> list[dict[str, Any]]:
        cohort = self.cohort_index(source_ref)
        changes = self.push_changes(url, source_ref, self.population.members(cohort), full=full)
        if changes.whole:
            pages = batches(changes.entered, size or MEMBERS_PAGE) or [[]]
            return self._push_session("members", cohort, pages)
        step = min(size or INCREMENT_PAGE, INCREMENT_PAGE)
        bodies = self._push_session("add_members", cohort, batches(changes.entered, step))
        return bodies + self._push_session("remove_members", cohort, batches(changes.left, step))

    def _push_session(self, action: str, cohort: int, pages: list[list[int]]) -> list[dict[str, Any]]:
        session = uuid.uuid4().hex
        spec = self.population.cohorts[cohort]
        return [
            {
                "action": action,
                "parameters": {
                    "mixpanel_project_id": str(self.project_id),
                    "mixpanel_cohort_name": spec.name,
                    "mixpanel_cohort_id": self.source_ref(cohort),
                    "mixpanel_cohort_description": f"{spec.name} (generated)",
                    "mixpanel_session_id": session,
                    "page_info": {"total_pages": len(pages), "page_count": number},
                    "members": [self._member(index) for index in page],
                },
            }
            for number, page in enumerate(pages, start=1)
        ]

    def _member(self, index: int) -> dict[str, Any]:
        person = self.population.person(index)
        member = {"email": person.email} if person.email else {}
        return member | {
            "mixpanel_distinct_id": self.member_id(index),
            "first_name": person.first_name,
            "last_name": person.last_name,
            "plan": person.plan,
        }
