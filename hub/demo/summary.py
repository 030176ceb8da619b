"""What the demo did, each figure counted in the database and, where it left the hub, read back
from the fake that received it.

Counts are this run's only (its recipes, its connections, rows since it started), so a demo run
again over the same data folder reports what it did, not the total.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.db import db
from hub.demo.fakes import read_back
from hub.demo.seed import Workspace
from hub.models import Decision, Event, Finding, InterviewResult, Invite, Outbox


@dataclass
class Summary:
    events_sent: int
    events_stored: int
    invites: int
    invites_sent: int
    emails_received: int
    caps_applied: int
    results_sent: int
    results_stored: int
    findings: int
    actions_delivered: int
    jira_issues: int
    slack_messages: int
    journey_id: int
    recipes: dict[str, int]
    fakes: dict[str, str]
    """Each fake's address, for reading back what it received (`GET /_fake/requests`, …)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        return [
            f"events       {self.events_stored} stored of {self.events_sent} sent",
            f"invites      {self.invites} made, {self.invites_sent} sent; "
            f"the SMTP fake received {self.emails_received} emails",
            f"caps applied {self.caps_applied} (decisions held back by a frequency cap or budget)",
            f"results      {self.results_stored} stored of {self.results_sent} interviews answered",
            f"findings     {self.findings}",
            f"actions      {self.actions_delivered} delivered: "
            f"the Jira fake holds {self.jira_issues} issues, the Slack fake {self.slack_messages} messages",
        ]


def summarise(ws: Workspace, fakes: dict[str, Any], answered: int, sent: int, since: datetime) -> Summary:
    ours = list(ws.recipes.values())
    return Summary(
        events_sent=sent,
        events_stored=_count(Event, Event.connection_id == ws.connections["generic"]),
        invites=_count(Invite, Invite.recipe_id.in_(ours)),
        invites_sent=_count(Invite, Invite.recipe_id.in_(ours), Invite.sent_at.is_not(None)),
        emails_received=len(read_back(fakes["email"], "/_fake/messages")),
        caps_applied=_count(Decision, Decision.recipe_id.in_(ours), Decision.step == "caps"),
        results_sent=answered,
        results_stored=_count(InterviewResult, InterviewResult.connection_id == ws.connections["interviews"]),
        findings=_count(Finding, Finding.recipe_id.in_(ours), Finding.status == "finding"),
        actions_delivered=_count(
            Outbox, Outbox.kind == "action", Outbox.status == "sent", Outbox.created_at >= since
        ),
        jira_issues=len(read_back(fakes["jira"], "/_fake/issues")),
        slack_messages=len(read_back(fakes["slack"], "/_fake/messages")),
        journey_id=ws.journey_id,
        recipes=dict(ws.recipes),
        fakes={name: server.describe()["base_url"] for name, server in fakes.items()},
    )


def _count(model: Any, *where: sa.ColumnElement[bool]) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)
