"""A hand-built world whose funnel is known: people, their events at chosen moments, a merge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from hub.db import db
from hub.inbound.identity import merge
from hub.models import Connection, Event, Profile

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAGES = ["signed_up", "trial_started", "checkout", "paid"]


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def journey_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Trial to paid",
        "window_days": 7,
        "stages": [
            {"name": "Signed up", "event": "signed_up"},
            {"name": "Trial", "event": "trial_started", "intended_rate": 0.8, "value": 10},
            {"name": "Checkout", "event": "checkout", "intended_rate": 0.75, "value": 40},
            {"name": "Paid", "event": "paid", "intended_rate": 0.9},
        ],
        **changes,
    }


class World:
    """Writes profiles and events straight into the tables, as ingest would have stored them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            connection = Connection(
                connector="generic", name=f"w-{uuid.uuid4().hex[:6]}", config_encrypted=""
            )
            db.session.add(connection)
            db.session.commit()
            self.connection_id = connection.id

    def person(
        self, *events: tuple[str, datetime] | tuple[str, datetime, dict[str, Any]], **traits: Any
    ) -> int:
        with self.app.app_context():
            profile = Profile(traits=traits)
            db.session.add(profile)
            db.session.flush()
            for event in events:
                name, at = event[0], event[1]
                properties = event[2] if len(event) > 2 else {}
                db.session.add(
                    Event(
                        connection_id=self.connection_id,
                        external_id=uuid.uuid4().hex,
                        name=name,
                        profile_id=profile.id,
                        properties=properties,
                        occurred_at=at,
                    )
                )
            db.session.commit()
            return profile.id

    def merge(self, survivor: int, merged: int) -> None:
        with self.app.app_context():
            merge(db.session, survivor, merged, reason={"test": True})
            db.session.commit()

    def known_funnel(self) -> dict[str, int]:
        """Seven people whose every figure is worked out by hand in test_funnel.py."""
        ids = {
            "complete": self.person(
                ("signed_up", T0),
                ("trial_started", hours(1)),
                ("checkout", hours(3)),
                ("paid", hours(5)),
                plan="team",
            ),
            "left_at_checkout": self.person(
                ("signed_up", T0), ("trial_started", hours(2)), ("checkout", hours(26)), plan="team"
            ),
            "skipped_trial": self.person(
                ("signed_up", T0), ("checkout", hours(1)), ("paid", hours(2)), plan="pro"
            ),
            "paid_first": self.person(
                ("signed_up", T0), ("paid", hours(1)), ("trial_started", hours(2)), plan="pro"
            ),
            "too_late": self.person(("signed_up", T0), ("trial_started", hours(24 * 8))),
            "never_signed_up": self.person(("trial_started", T0), plan="team"),
        }
        ids["merged_survivor"] = self.person(("signed_up", T0), plan="pro")
        ids["merged_away"] = self.person(("trial_started", hours(4)))
        self.merge(ids["merged_survivor"], ids["merged_away"])
        return ids
