"""CRM field updates through the outbox on SQLite and PostgreSQL: rows of kind `action` drained
by the worker's action handler into one Salesforce collection, each row settled on its own,
and only the record Salesforce could not lock sent again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.salesforce import fake as salesforce_fake
from connectors.salesforce.fake import SalesforceFake
from hub.connections import create_connection
from hub.db import db, utcnow
from hub.models import Identity, Outbox, Profile
from hub.outbox.rows import NewRow, add
from hub.outbox.worker import drain
from tests.actions.conftest import RESULT
from tests.fakes.support import received

FIELDS = {"Themes__c": "pricing, onboarding", "Sentiment__c": "negative"}


@pytest.fixture
def salesforce() -> Iterator[SalesforceFake]:
    with salesforce_fake.start(members=20, seed=6, custom_fields=list(FIELDS)) as server:
        yield server


def queue(app: Flask, fake: SalesforceFake, contacts: list[str]) -> dict[str, int]:
    """One `on: result` action row per contact, as a synthesis writes them; answers row ids by contact."""
    with app.app_context():
        connection = create_connection("salesforce", "crm", dict(fake.credentials)).connection
        profiles = [Profile(traits={}) for _ in contacts]
        db.session.add_all(profiles)
        db.session.flush()
        db.session.add_all(
            Identity(profile_id=p.id, kind="salesforce_contact", value=f"{connection.id}:{contact}")
            for p, contact in zip(profiles, contacts, strict=True)
        )
        stored = {"operation": "update_fields", "fields": FIELDS, "title": "Result", "text": "", "link": "l"}
        rows = [
            NewRow(
                kind="action",
                target=f"salesforce:{connection.id}",
                payload={
                    "connection_id": connection.id,
                    "on": "result",
                    "operation": "update_fields",
                    "profile_id": p.id,
                    "action": stored | {"context": {"result": RESULT}},
                },
                idempotency_key=f"action:r{i}:c{connection.id}:0",
            )
            for i, p in enumerate(profiles)
        ]
        add(db.session, rows)
        db.session.commit()
        keys = {f"action:r{i}:c{connection.id}:0": contact for i, contact in enumerate(contacts)}
        found = db.session.execute(
            sa.select(Outbox.idempotency_key, Outbox.id).where(Outbox.kind == "action")
        )
        return {keys[key]: row_id for key, row_id in found}


def run_drain(app: Flask) -> None:
    assert app.extensions["journeyhub.jobs"].drain(30)
    with app.app_context():
        drain()


def statuses(app: Flask, rows: dict[str, int]) -> dict[str, tuple[str, int]]:
    with app.app_context():
        found = {r.id: (r.status, r.attempts) for r in db.session.scalars(sa.select(Outbox))}
    return {contact: found[row_id] for contact, row_id in rows.items()}


def test_one_collection_settles_each_row_and_retries_only_the_locked_record(
    app: Flask, salesforce: SalesforceFake
) -> None:
    good, locked, gone = (salesforce.member_id(i) for i in (1, 2, 500))
    salesforce.lock([locked])
    rows = queue(app, salesforce, [good, locked, gone])
    run_drain(app)
    (first,) = received(salesforce)
    assert [r["id"] for r in first["json"]["records"]] == [good, locked, gone]
    after = statuses(app, rows)
    assert after[good] == ("sent", 1) and after[gone] == ("failed", 1)
    assert after[locked][0] != "sent"
    with app.app_context():
        refused = db.session.get(Outbox, rows[gone])
        assert refused is not None and "ENTITY_IS_DELETED" in str(refused.last_error)
        retried = db.session.get(Outbox, rows[locked])
        assert retried is not None and retried.status == "pending"
        retried.next_attempt_at = utcnow() - timedelta(seconds=1)  # its retry's wait has passed
        db.session.commit()
    run_drain(app)
    second = received(salesforce)[1:]
    assert [[r["id"] for r in s["json"]["records"]] for s in second] == [[locked]]
    assert statuses(app, rows)[locked] == ("sent", 2)
    assert salesforce.person(locked).extra["Sentiment__c"] == "negative"
