"""A hand-built world whose funnel is known: people, their events at chosen moments, a merge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from hub.db import db, utcnow
from hub.inbound.identity import merge
from hub.models import Connection, Event, InterviewResult, Profile
from recipes.insights.findings import Thresholds, count

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUOTES = {
    "price": "The price was more than a team of three could justify.",
    "setup": "The setup took us two weeks to get through.",
    "support": "Support answered quickly, which I appreciated.",
}


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

    def findings(self, recipe_id: int, themes: list[list[str]]) -> None:
        """One synthesised, qualifying interview per list of themes, counted into the recipe's
        findings by the insights code itself (a finding at a 25% share of at least 2 interviews)."""
        with self.app.app_context():
            for labels in themes:
                result = InterviewResult(
                    connection_id=self.connection_id,
                    external_id=uuid.uuid4().hex,
                    recipe_id=recipe_id,
                    completed_at=T0,
                    synthesis_status="done",
                    themes=[{"label": label, "confidence": 0.9} for label in labels],
                    sentiment_score=-0.4,
                    quotes=[
                        {"text": QUOTES[label], "turn": 1, "start": 0, "end": len(QUOTES[label])}
                        for label in labels
                    ],
                    quality=4,
                    qualifying=True,
                )
                db.session.add(result)
                db.session.flush()
                count(db.session, result, Thresholds(share=0.25, min_interviews=2, change=0.1), utcnow())
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


def add_journey(api: Any, **changes: Any) -> int:
    answer = api.post("/api/v1/journeys", json=journey_body(**changes))
    assert answer.status_code == 201, answer.json
    return int(answer.json["id"])


def add_recipe(api: Any, event: str = "checkout") -> int:
    """A campaign and a recipe on `event`, through the API, as a person would set them up."""
    campaign = {"name": "Why", "interview_url": "https://interviews.example.com/x", "channel": "webhook"}
    answer = api.post("/api/v1/campaigns", json=campaign)
    assert answer.status_code == 201, answer.json
    body = {"name": "Asks", "trigger": {"type": "event", "event": event}, "campaign_id": answer.json["id"]}
    answer = api.post("/api/v1/recipes", json=body)
    assert answer.status_code == 201, answer.json
    return int(answer.json["id"])
