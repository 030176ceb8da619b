"""Amplitude's cohort webhooks, as the fake replays them (apis.md §2).

Each call is one batch of users who entered (`in_cohort: true`) or left (`false`) a cohort,
at most `size` (1,000 by default) a call, with a fresh `message_id` and the time the change
was computed (`computed_time`, epoch seconds as text). The first push of a cohort to a URL
sends everyone as entered. Users are named by `user_id` with their `user_properties`; people
known only by their amplitude_id are left out, as a destination keyed by user id never sees
them. The secret travels in the header the receiver asked for, beside Amplitude's User-Agent.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from connectors.sdk.fakes.population import Person, Population
from connectors.sdk.fakes.pushing import Pusher, batches

BATCH = 1000
USER_AGENT = "Amplitude/Webhook/1.0"


class AmplitudePusher(Pusher):
    """Mixed into AmplitudeFake after FakeServer, whose population and ids it reads."""

    population: Population
    source_ref: Callable[[int], str]
    cohort_index: Callable[[str], int]
    user_id: Callable[[Person], str]
    user_properties: Callable[[Person], dict[str, str]]

    def push_headers(self, credentials: dict[str, Any]) -> dict[str, str]:
        return {
            str(credentials.get("header", "")): str(credentials.get("secret", "")),
            "User-Agent": USER_AGENT,
        }

    def push_bodies(
        self, url: str, source_ref: str, *, full: bool = False, size: int | None = None
    ) -> list[dict[str, Any]]:
        cohort = self.cohort_index(source_ref)
        known = (i for i in self.population.members(cohort) if self.user_id(self.population.person(i)))
        changes = self.push_changes(url, source_ref, known, full=full)
        step = size or BATCH
        entered = [self._push_batch(cohort, True, users) for users in batches(changes.entered, step)]
        return entered + [self._push_batch(cohort, False, users) for users in batches(changes.left, step)]

    def _push_batch(self, cohort: int, in_cohort: bool, users: list[int]) -> dict[str, Any]:
        people = [self.population.person(i) for i in users]
        return {
            "cohort_name": self.population.cohorts[cohort].name,
            "cohort_id": self.source_ref(cohort),
            "in_cohort": in_cohort,
            "computed_time": str(int(time.time())),
            "message_id": uuid.uuid4().hex,
            "users": [
                {"user_id": self.user_id(p), "user_properties": self.user_properties(p)} for p in people
            ],
        }
