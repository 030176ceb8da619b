"""The demo's workspace, made through the JSON API as a person or a script would make it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.demo.client import HubClient

QUESTIONS = [
    {"id": "what_happened", "type": "open_ended", "text": "What happened, in your own words?"},
    {"id": "ease", "type": "scale", "text": "How easy was it?", "min": 1, "max": 5},
]
CART, TRIAL, NPS = "Cart abandoned", "Trial expired without converting", "NPS detractor"


@dataclass
class Workspace:
    connections: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    campaigns: dict[str, int] = field(default_factory=dict)
    recipes: dict[str, int] = field(default_factory=dict)
    cohort_id: int = 0
    journey_id: int = 0


def seed(hub: HubClient, fakes: dict[str, Any]) -> Workspace:
    ws = Workspace()
    for connector, name, settings in (
        ("generic", "Web app events", {}),
        ("interviews", "Interview platform", {}),
        ("hubspot", "HubSpot CRM", fakes["hubspot"].describe()["credentials"]),
        ("email", "Research mailbox", _smtp(fakes["email"].describe()["credentials"])),
        ("jira", "Jira research board", fakes["jira"].describe()["credentials"]),
        ("slack", "Slack #research", fakes["slack"].describe()["credentials"]),
    ):
        made = hub.post("/api/v1/connections", {"connector": connector, "name": name, "settings": settings})
        ws.connections[connector] = made["id"]
        if "secret" in made.get("generated", {}):
            ws.secrets[connector] = made["generated"]["secret"]
    trial_list = fakes["hubspot"].describe()["cohorts"][1]
    cohort = {"connection_id": ws.connections["hubspot"], "name": trial_list["name"], "interval_minutes": 15}
    ws.cohort_id = hub.post("/api/v1/cohorts", {**cohort, "source_ref": trial_list["source_ref"]})["id"]
    for name, url in (("Checkout interview", "checkout"), ("Trial interview", "trial")):
        ws.campaigns[name] = hub.post("/api/v1/campaigns", _campaign(name, url, ws.connections["email"]))[
            "id"
        ]
    for name, body in _recipes(ws).items():
        ws.recipes[name] = hub.post("/api/v1/recipes", {"name": name, **body})["id"]
    ws.journey_id = hub.post("/api/v1/journeys", _journey(ws))["id"]
    return ws


def _smtp(credentials: dict[str, str]) -> dict[str, Any]:
    """The fake prints `--set` values, all text; the API takes the port as the number it is."""
    return {**credentials, "port": int(credentials["port"])}


def _campaign(name: str, slug: str, email_id: int) -> dict[str, Any]:
    return {
        "name": name,
        "interview_url": f"https://interviews.example.com/{slug}",
        "channel": "email",
        "connection_id": email_id,
        "subject": f"{name}: ten minutes, {{{{ traits.first_name | default('there') }}}}?",
        "body": "Hi {{ traits.first_name | default('there') }}, could you tell us how it went? {{ link }}",
        "context": ["plan"],
        "questions": QUESTIONS,
    }


def _recipes(ws: Workspace) -> dict[str, dict[str, Any]]:
    actions = [
        {"on": "finding", "connection_id": ws.connections["jira"], "operation": "create_issue"},
        {"on": "finding", "connection_id": ws.connections["slack"], "operation": "post_message"},
        # the stage each recipe asks about: its rate moving by the journey's alert_change is posted too
        {"on": "journey_changed", "connection_id": ws.connections["slack"], "operation": "post_message"},
    ]
    checkout, trial = ws.campaigns["Checkout interview"], ws.campaigns["Trial interview"]
    return {
        CART: {
            "trigger": {"type": "event", "event": "cart_abandoned"},
            "conditions": {
                "all": [
                    {"field": "properties.cart_value", "op": "gte", "value": 20},
                    {"field": "traits.plan", "op": "in", "value": ["pro", "team"]},
                ]
            },
            "caps": {"daily_budget": 200},
            "campaign_id": checkout,
            "actions": actions,
        },
        TRIAL: {
            "trigger": {
                "type": "absence",
                "event": "trial_started",
                "missing": "subscribed",
                "within_days": 14,
                "backfill": True,
            },
            "campaign_id": trial,
            "actions": actions,
        },
        NPS: {
            "trigger": {"type": "event", "event": "nps_submitted"},
            "conditions": {"all": [{"field": "properties.score", "op": "lte", "value": 6}]},
            "campaign_id": checkout,
            "actions": actions,
        },
    }


def _journey(ws: Workspace) -> dict[str, Any]:
    return {
        "name": "Sign-up to happy customer",
        "window_days": 30,
        "stages": [
            {"name": "Signed up", "event": "signed_up"},
            {
                "name": "Trial started",
                "event": "trial_started",
                "intended_rate": 0.9,
                "value": 20,
                "recipe_id": ws.recipes[TRIAL],
            },
            {
                "name": "Checkout",
                "event": "checkout_started",
                "intended_rate": 0.7,
                "value": 60,
                "recipe_id": ws.recipes[CART],
            },
            {
                "name": "Subscribed",
                "event": "subscribed",
                "intended_rate": 0.8,
                "value": 40,
                "recipe_id": ws.recipes[NPS],
            },
            {"name": "Recommends us", "event": "nps_submitted", "intended_rate": 0.9},
        ],
    }
