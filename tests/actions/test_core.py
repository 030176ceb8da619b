"""Result actions end to end: rows written with the synthesis that caused them, rendered and sent
through the outbox to real destinations (a signed-webhook receiver, the HubSpot and Linear
fakes), batched, threaded, retried, dead and replayed, and refused when saved wrong."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from connectors.hubspot import fake as hubspot_fake
from connectors.hubspot.fake import HubSpotFake
from connectors.linear.fake import LinearFake
from hub.db import db, utcnow
from hub.models import FindingChange, InterviewResult, Outbox
from hub.outbox.outcomes import CONFIG_KEY
from hub.outbox.replay import replay
from recipes.actions.enqueue import after_synthesis
from recipes.insights.run import synthesise_result
from tests.actions.support_core import (
    action_rows,
    connection,
    linear_fake,
    make_due,
    run_drain,
    set_actions,
    synthesised,
    webhook,
)
from tests.channels.conftest import Reply, Sink
from tests.fakes.support import calls
from tests.insights.support import ANSWERS, TRANSCRIPT, World


@pytest.fixture
def world(app: Flask, api: FlaskClient) -> World:
    return World(app, api)


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.stop()


@pytest.fixture
def hubspot() -> Iterator[HubSpotFake]:
    with hubspot_fake.start(members=150, seed=3, custom_fields=["jh_themes", "jh_quality"]) as server:
        yield server


@pytest.fixture
def linear() -> Iterator[LinearFake]:
    with linear_fake() as server:
        yield server


def on(event: str, connection_id: int, operation: str = "post_message", **fields: str) -> dict[str, Any]:
    return {"on": event, "connection_id": connection_id, "operation": operation, "fields": fields}


def test_a_qualifying_result_writes_its_actions_and_a_lower_one_nothing(world: World, sink: Sink) -> None:
    hook = webhook(world.app, sink.url)
    set_actions(world, on("result", hook, text="{{ profile.email }}: {{ result.theme_labels | join(', ') }}"))
    world.app.config[CONFIG_KEY] = {"batch": 0}  # nothing is sent while the rows are looked at
    kept = synthesised(world, "Pricing", quality=3, email="ada@example.com")
    synthesised(world, "Pricing", quality=2)
    (row,) = action_rows(world.app)
    assert (row.kind, row.target, row.idempotency_key) == (
        "action",
        f"generic:{hook}",
        f"action:r{kept}:c{hook}:0",
    )
    action = row.payload["action"]
    assert action["fields"] == {"text": "ada@example.com: Pricing"}
    assert action["quotes"] == [
        {
            "text": "too expensive for us",
            "url": f"http://127.0.0.1:5000/api/v1/results/{kept}#turn-1",
            "result_id": kept,
        }
    ]
    assert action["context"]["themes"] == ["Pricing"] and action["context"]["quality"] == 3


def test_rows_exist_only_with_the_synthesis_that_caused_them(world: World, sink: Sink) -> None:
    set_actions(
        world, on("result", webhook(world.app, sink.url)), on("finding", webhook(world.app, sink.url))
    )
    world.app.config[CONFIG_KEY] = {"batch": 0}
    for _ in range(3):
        synthesised(world, "Pricing", commit=False)  # the synthesis rolled back: no findings, no rows
    assert action_rows(world.app) == []
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FindingChange)) == 0


def test_writing_the_same_synthesis_again_adds_no_row(world: World, sink: Sink) -> None:
    hook = webhook(world.app, sink.url)
    set_actions(world, on("result", hook), on("finding", hook))
    world.app.config[CONFIG_KEY] = {"batch": 0}
    synthesised(world, "Pricing")
    last = synthesised(world, "Pricing")  # 2 of 2: the finding appeared
    before = [r.idempotency_key for r in action_rows(world.app)]
    assert len(before) == 3
    with world.app.app_context():
        db.session.execute(sa.update(FindingChange).values(handled_at=None))
        result = db.session.get(InterviewResult, last)
        assert result is not None
        after_synthesis(db.session, result, utcnow())
        db.session.commit()
    assert [r.idempotency_key for r in action_rows(world.app)] == before


def test_findings_appearing_and_changing_write_their_actions_once_each(world: World, sink: Sink) -> None:
    hook = webhook(world.app, sink.url)
    set_actions(world, on("finding", hook, text="{{ finding.theme }} {{ finding.share_percent }}%"),
                on("finding_changed", hook, text="{{ finding.change }}"))  # fmt: skip
    world.app.config[CONFIG_KEY] = {"batch": 0}
    synthesised(world, "Pricing")  # 1 interview: emerging
    synthesised(world, "Pricing")  # 2 of 2: appeared
    synthesised(world, "Support")  # Pricing 2 of 3 moved; Support 1 of 3 appeared
    rows = action_rows(world.app)
    assert (rows[0].payload["on"], rows[0].payload["action"]["fields"]["text"]) == ("finding", "Pricing 100%")
    assert sorted((r.payload["on"], r.payload["action"]["fields"]["text"]) for r in rows[1:]) == [
        ("finding", "Support 33%"),
        ("finding_changed", "moved"),
    ]
    (moved,) = [r for r in rows if r.payload["on"] == "finding_changed"]
    assert moved.payload["action"]["title"] == "Finding moved: Pricing, now 67% of 3 interviews (was 100%)"
    with world.app.app_context():  # the monthly windows' changes are handled too, acted on or not
        assert db.session.scalar(sa.select(sa.func.count()).where(FindingChange.handled_at.is_(None))) == 0


def test_synthesis_itself_writes_the_rows_and_the_outbox_posts_them_signed(world: World, sink: Sink) -> None:
    hook = webhook(world.app, sink.url)
    set_actions(world, on("result", hook, text="quality {{ result.quality }}"))
    invite_id = world.invite(email="grace@example.com")
    answer = world.send(
        {"result_id": "x-1", "invite_id": invite_id, "respondent": {"email": "grace@example.com"},
         "completed_at": "2026-11-20T10:30:00Z", "transcript": TRANSCRIPT, "answers": ANSWERS}
    )  # fmt: skip
    assert answer.status_code in (200, 201, 202), answer.json
    world.drain()
    with world.app.app_context():
        result = db.session.scalar(sa.select(InterviewResult))
        assert result is not None and result.synthesis_status == "done" and result.qualifying
        assert synthesise_result(db.session, result.id, world.app.config["JOURNEYHUB"]).status == "skipped"
    run_drain(world.app)
    (row,) = action_rows(world.app)
    assert row.status == "sent" and row.result is not None
    assert row.result["operation"] == "post_message" and row.result["status"] == 200
    (received,) = sink.received
    event = json.loads(received.body)
    assert received.headers["Webhook-Id"] == row.idempotency_key
    assert event["type"] == "action.post_message" and event["fields"]["text"].startswith("quality ")
    assert event["respondent"]["email"] == "grace@example.com"
    assert all(
        q["url"].startswith(f"http://127.0.0.1:5000/api/v1/results/{result.id}#turn-")
        for q in event["quotes"]
    )


def test_rate_limits_and_failures_go_through_the_outbox_to_dead_and_replay(world: World, sink: Sink) -> None:
    hook = webhook(world.app, sink.url)
    set_actions(world, on("result", hook))
    world.app.config[CONFIG_KEY] = {"batch": 0}
    synthesised(world, "Pricing")
    world.app.config[CONFIG_KEY] = {"schedule_s": (0, 0)}
    sink.reply(Reply(status=429, headers={"Retry-After": "120"}))
    before = datetime.now(UTC)
    run_drain(world.app)
    (row,) = action_rows(world.app)
    assert row.status == "pending" and row.next_attempt_at is not None
    assert timedelta(seconds=119) <= row.next_attempt_at - before <= timedelta(seconds=125)
    sink.reply(*[Reply(status=503)] * 2)  # the rate limit used none of the schedule's 3 attempts
    for _ in range(2):
        make_due(world.app)
        run_drain(world.app)
    (row,) = action_rows(world.app)
    assert (row.status, row.attempts) == ("dead", 3) and "503" in (row.last_error or "")
    with world.app.app_context():
        assert replay(db.session, Outbox.id == row.id) == 1
    run_drain(world.app)
    (row,) = action_rows(world.app)
    assert row.status == "sent" and len(sink.received) == 4
    assert len({r.headers["Webhook-Id"] for r in sink.received}) == 1


@pytest.mark.parametrize("claim", [100, 7])
def test_crm_writes_for_n_people_take_ceil_n_over_the_batch_size(
    world: World, hubspot: HubSpotFake, claim: int
) -> None:
    """Whatever the outbox claims at once, the worker fills the destination's batches (`wanted`)."""
    crm = connection(world.app, "hubspot", hubspot.credentials)
    set_actions(world, on("result", crm, "update_fields", jh_themes="{{ result.theme_labels | join(', ') }}",
                          jh_quality="{{ result.quality }}"))  # fmt: skip
    world.app.config[CONFIG_KEY] = {"batch": 0}
    people = 120
    for index in range(people):
        email = hubspot.person(hubspot.member_id(index)).email
        synthesised(world, "Pricing", email=email)
    world.app.config[CONFIG_KEY] = {"batch": claim}
    run_drain(world.app)
    writes = [c for c in calls(hubspot) if c == ("POST", "/crm/v3/objects/contacts/batch/update")]
    assert len(writes) == math.ceil(people / 100)
    assert {r.status for r in action_rows(world.app)} == {"sent"}
    assert hubspot.person(hubspot.member_id(119)).extra["jh_themes"] == "Pricing"


def test_a_batch_waits_as_a_whole_and_a_rejected_record_fails_alone(
    world: World, hubspot: HubSpotFake
) -> None:
    crm = connection(world.app, "hubspot", hubspot.credentials)
    set_actions(world, on("result", crm, "update_fields", jh_quality="{{ result.quality }}"))
    world.app.config[CONFIG_KEY] = {"batch": 0}
    emails = [hubspot.person(hubspot.member_id(i)).email for i in range(3)]
    for email in [*emails, "nobody-known@example.com"]:
        synthesised(world, "Pricing", email=email)
    world.app.config[CONFIG_KEY] = {}
    hubspot.inject_fault(429, retry_after=30)
    before = datetime.now(UTC)
    run_drain(world.app)
    rows = action_rows(world.app)
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1)] * 4  # one request, one outcome for all
    for row in rows:
        assert row.next_attempt_at is not None
        assert timedelta(seconds=29) <= row.next_attempt_at - before <= timedelta(seconds=35)
    make_due(world.app)
    run_drain(world.app)
    rows = action_rows(world.app)
    assert [r.status for r in rows] == ["sent", "sent", "sent", "failed"]
    assert rows[-1].last_error
    writes = [c for c in calls(hubspot) if c == ("POST", "/crm/v3/objects/contacts/batch/update")]
    assert len(writes) == 2


def _linear(world: World, fake: LinearFake) -> int:
    return connection(world.app, "linear", fake.credentials | {"project_id": fake.project["id"]})


def test_a_finding_opens_one_issue_and_its_changes_comment_on_it(world: World, linear: LinearFake) -> None:
    tracker = _linear(world, linear)
    set_actions(world, on("finding", tracker, "create_issue"), on("finding_changed", tracker, "comment"))
    synthesised(world, "Pricing")
    synthesised(world, "Pricing")  # appeared: an issue
    run_drain(world.app)
    synthesised(world, "Support")  # Pricing moved: a comment; Support appeared: another issue
    run_drain(world.app)
    rows = action_rows(world.app)
    assert sorted((r.status, r.payload["operation"], (r.result or {}).get("operation")) for r in rows) == [
        ("sent", "comment", "comment"),
        ("sent", "create_issue", "create_issue"),
        ("sent", "create_issue", "create_issue"),
    ]
    assert len(linear.issues) == 2
    pricing = linear.issues[str(rows[0].result["ref"]) if rows[0].result else ""]
    assert len(pricing["comments"]) == 1


def test_a_comment_with_no_issue_yet_opens_it(world: World, linear: LinearFake) -> None:
    tracker = _linear(world, linear)
    set_actions(world, on("finding_changed", tracker, "comment"))
    synthesised(world, "Pricing")
    synthesised(world, "Pricing")
    synthesised(world, "Support")  # Pricing moved: no issue was opened for it, so this one opens it
    synthesised(world, "Support")  # Pricing 2 of 4 moved again: a comment on it; Support moved: its issue
    run_drain(world.app)
    make_due(world.app)
    run_drain(world.app)
    performed: dict[int, list[tuple[str, str]]] = {}
    for row in action_rows(world.app):
        performed.setdefault(row.payload["finding_id"], []).append(
            (row.status, (row.result or {})["operation"])
        )
    assert sorted(performed.values()) == [
        [("sent", "create_issue")],
        [("sent", "create_issue"), ("sent", "comment")],
    ]
    assert len(linear.issues) == 2


def test_an_issue_tried_before_is_looked_up_and_not_opened_twice(world: World, linear: LinearFake) -> None:
    tracker = _linear(world, linear)
    set_actions(world, on("finding", tracker, "create_issue"))
    synthesised(world, "Pricing")
    synthesised(world, "Pricing")
    run_drain(world.app)
    (row,) = action_rows(world.app)
    assert row.status == "sent" and len(linear.issues) == 1
    with world.app.app_context():  # as if the worker died after Linear answered, before the commit
        db.session.execute(
            sa.update(Outbox).values(
                status="pending", result=None, last_error="lost", next_attempt_at=utcnow()
            )
        )
        db.session.commit()
    run_drain(world.app)
    (again,) = action_rows(world.app)
    assert again.status == "sent" and again.result is not None and again.result["found_by_lookup"] is True
    assert again.result["ref"] == row.result["ref"] if row.result else False
    assert len(linear.issues) == 1


@pytest.mark.parametrize(
    ("make", "code", "field"),
    [
        (lambda c: on("result", 4242), "unknown_connection", "actions[0].connection_id"),
        (lambda c: on("result", c["interviews"]), "wrong_connection", "actions[0].connection_id"),
        (lambda c: on("finding", c["generic"], "comment"), "wrong_connection", "actions[0].operation"),
        (lambda c: on("finding", c["hubspot"], "update_fields"), "invalid_action", "actions[0].on"),
        (lambda c: on("result", c["generic"], summary="{{ event.name }}"), "invalid_template", "actions[0].fields.summary"),
        (lambda c: on("result", c["generic"], summary="{{ result.theme "), "invalid_template", "actions[0].fields.summary"),
        (lambda c: on("result", c["hubspot"], "update_fields", no_such="x"), "unknown_field", "actions[0].fields.no_such"),
    ],
)  # fmt: skip
def test_an_action_that_cannot_work_is_400_naming_its_path(
    world: World, sink: Sink, hubspot: HubSpotFake, make: Any, code: str, field: str
) -> None:
    made = {
        "interviews": world.connection_id,
        "generic": webhook(world.app, sink.url),
        "hubspot": connection(world.app, "hubspot", hubspot.credentials),
    }
    answer = _save(world.api, world, [on("result", made["generic"]), make(made)])
    assert answer.status_code == 400, answer.json
    error = answer.json["error"]
    assert (error["code"], error["details"][0]["field"]) == (code, field.replace("[0]", "[1]"))


def test_a_provider_failing_to_list_its_fields_is_a_provider_error(world: World, linear: LinearFake) -> None:
    tracker = _linear(world, linear)
    linear.stop()
    answer = _save(world.api, world, [on("finding", tracker, "create_issue", title="{{ finding.theme }}")])
    assert answer.status_code in (502, 503), answer.json
    assert answer.json["error"]["code"] in ("provider_unavailable", "provider_error", "provider_rate_limited")


def _save(api: FlaskClient, world: World, actions: list[dict[str, Any]]) -> Any:
    body = api.get(f"/api/v1/recipes/{world.recipe_id}").json
    keep = {k: v for k, v in body.items() if k not in ("id", "version", "created_at", "updated_at")}
    return api.put(f"/api/v1/recipes/{world.recipe_id}", json=keep | {"actions": actions})
