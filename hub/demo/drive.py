"""The demo's traffic: people walking the journey (signed events at /hooks/generic), then the
invited ones answering their interview (signed results at /hooks/interviews).

Seeded, so every run tells the same story: some abandon their cart, some let the trial expire
without subscribing, some subscribe and score us low. Interviews answer from a few themes per
campaign, so the findings that come out are the ones a product team would recognise.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.demo.client import HubClient

PEOPLE = 120
BATCH = 50
PLANS = ("free", "pro", "team")
ANSWER_SHARE = 0.85
"""Of the people invited, this many take the interview."""
THEMES = {
    "Checkout interview": (
        "The shipping cost only appeared at the very last step and it was far too expensive.",
        "I could not find a way to pay by invoice, my company needs invoices for every purchase.",
        "The price was more than our small team could justify for the month.",
    ),
    "Trial interview": (
        "Setting it up took far too long, the onboarding was confusing and we gave up.",
        "It did not integrate with our CRM, so the data never arrived where we needed it.",
        "The price was more than our small team could justify for the month.",
    ),
}
LINK = re.compile(r"https?://[^\s\"'<>]+/i/[A-Za-z0-9._\-]+")


def journeys(seed: int = 7) -> list[dict[str, Any]]:
    """About four hundred events from PEOPLE people over the last 25 days, oldest first."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable story, not a secret
    now = datetime.now(UTC)
    timed: list[tuple[datetime, dict[str, Any]]] = []
    for n in range(PEOPLE):
        plan = PLANS[n % len(PLANS)]
        person: dict[str, Any] = {
            "user_id": f"demo-{n}",
            "email": f"person{n}@demo.example",
            "traits": {"first_name": f"Person {n}", "plan": plan},
        }
        start = now - timedelta(days=rng.uniform(1, 25))
        for name, after_h, properties in _path(rng, plan):
            when = min(start + timedelta(hours=after_h), now - timedelta(minutes=1))
            timed.append((when, {"event": name, **person, "properties": properties}))
    timed.sort(key=lambda pair: pair[0])
    return [{**event, "timestamp": when.isoformat()} for when, event in timed]


def _path(rng: random.Random, plan: str) -> list[tuple[str, float, dict[str, Any]]]:
    """One person's walk: where they stop is drawn from the rates a real funnel might have."""
    walk: list[tuple[str, float, dict[str, Any]]] = [("signed_up", 0, {})]
    if rng.random() > 0.9:
        return walk
    walk.append(("trial_started", 1, {}))
    if rng.random() > 0.65:
        return walk
    cart = round(rng.uniform(10, 120), 2)
    walk.append(("checkout_started", 48, {"cart_value": cart}))
    if rng.random() > 0.55:
        return [*walk, ("cart_abandoned", 49, {"cart_value": cart})]
    walk.append(("subscribed", 72, {"plan": plan}))
    if rng.random() < 0.85:
        walk.append(("nps_submitted", 96, {"score": rng.choice((2, 4, 5, 6, 7, 8, 9, 9, 10, 10))}))
    return walk


def send_events(hub: HubClient, connection_id: int, secret: str, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), BATCH):
        hub.signed(f"/hooks/generic/{connection_id}", secret, events[start : start + BATCH])


def answer_invites(hub: HubClient, connection_id: int, secret: str, messages: list[dict[str, Any]]) -> int:
    """Each invited person reads their email, follows its link, and most take the interview."""
    rng, answered = random.Random(11), 0  # noqa: S311 - who answers, not a secret
    for number, message in enumerate(messages):
        found = LINK.search(_text(message))
        if found is None or rng.random() > ANSWER_SHARE:
            continue
        link = found.group(0)
        hub.follow(link)
        campaign = next((c for c in THEMES if c in _subject(message)), "Checkout interview")
        said = rng.sample(THEMES[campaign], 2)
        now = datetime.now(UTC)
        hub.signed(
            f"/hooks/interviews/{connection_id}",
            secret,
            {
                "result_id": f"demo-result-{number}-{link[-12:]}",
                "invite_token": link.rsplit("/i/", 1)[1],
                "respondent": {"email": _recipient(message)},
                "started_at": (now - timedelta(minutes=12)).isoformat(),
                "completed_at": now.isoformat(),
                "transcript": [
                    {"speaker": "interviewer", "text": "What happened, in your own words?"},
                    {"speaker": "respondent", "text": said[0]},
                    {"speaker": "interviewer", "text": "Anything else that got in the way?"},
                    {"speaker": "respondent", "text": said[1]},
                ],
                "answers": [
                    {"question_id": "what_happened", "type": "open_ended", "value": said[0]},
                    {"question_id": "ease", "type": "scale", "value": rng.randint(1, 3)},
                ],
            },
        )
        answered += 1
    return answered


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or "") + str(message.get("html") or "")


def _subject(message: dict[str, Any]) -> str:
    return str((message.get("headers") or {}).get("Subject") or message.get("subject") or "")


def _recipient(message: dict[str, Any]) -> str:
    to = message.get("rcpt_tos") or message.get("to") or [""]
    return str(to[0] if isinstance(to, list) else to)
