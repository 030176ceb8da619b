"""Bodies the recipe tests share: a campaign and a recipe a person could have written."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

CAMPAIGN: dict[str, Any] = {
    "name": "Why did you not convert?",
    "interview_url": "https://interviews.example.com/trial",
    "channel": "webhook",
    "subject": "A question, {{ traits.first_name | default('there') }}",
    "body": "We would love to hear about {{ campaign.name }}: {{ link }}",
    "context": ["plan"],
    "questions": [{"id": "why", "type": "open_ended", "text": "What held you back?"}],
}


def recipe_body(campaign_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Trial expired without converting",
        "trigger": {"type": "event", "event": "trial_expired"},
        "conditions": {"all": [{"field": "properties.cart_value", "op": "gt", "value": 50}]},
        "campaign_id": campaign_id,
        **changes,
    }


def add_campaign(api: FlaskClient, **changes: Any) -> int:
    answer = api.post("/api/v1/campaigns", json={**CAMPAIGN, **changes})
    assert answer.status_code == 201, answer.json
    return int(answer.json["id"])


def add_recipe(api: FlaskClient, campaign_id: int, **changes: Any) -> dict[str, Any]:
    answer = api.post("/api/v1/recipes", json=recipe_body(campaign_id, **changes))
    assert answer.status_code == 201, answer.json
    return dict(answer.json)
