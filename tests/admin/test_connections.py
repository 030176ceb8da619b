"""Connections in the admin: fields from the connector's declaration, write-only secrets kept
behind a mask, problems beside their field, and Test / Sync now against the HubSpot fake."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from connectors.sdk.fakes.server import FakeServer
from hub.connections import settings
from hub.db import db
from hub.models import Cohort, Connection
from hub.secrets import MASK
from tests.admin.conftest import csrf
from tests.connectors.conftest import start_fake

NEW = "/admin/connection/new/?connector=hubspot"


@pytest.fixture
def hubspot() -> Iterator[FakeServer]:
    server = start_fake("hubspot", 30)
    yield server
    server.stop()


def add(admin: FlaskClient, fake: FakeServer, **fields: str) -> FlaskClient:
    form = {
        "csrf_token": csrf(admin, NEW),
        "name": "CRM",
        "setting_base_url": fake.base_url,
        "setting_access_token": fake.credentials["access_token"],
        "setting_page_size": "10",
        **fields,
    }
    return admin.post(NEW, data=form)


def stored(app: Flask) -> tuple[Connection, dict[str, object]]:
    with app.app_context():
        connection = db.session.scalars(sa.select(Connection)).one()
        return connection, settings(connection)


def test_the_picker_lists_every_connector_and_the_form_its_declared_fields(admin: FlaskClient) -> None:
    picker = admin.get("/admin/connection/new/").get_data(as_text=True)
    for name in ("hubspot", "mixpanel", "tracking", "slack"):
        assert f"connector={name}" in picker
    form = admin.get(NEW).get_data(as_text=True)
    for field in ("base_url", "access_token", "client_secret", "page_size"):
        assert re.search(rf'<label[^>]*for="setting_{field}"', form), field
    assert 'type="password"' in form


def test_a_secret_is_write_only_and_the_mask_keeps_it(
    app: Flask, admin: FlaskClient, hubspot: FakeServer
) -> None:
    created = add(admin, hubspot)
    assert created.status_code == 200 and "is connected" in created.get_data(as_text=True)
    connection, values = stored(app)
    token = hubspot.credentials["access_token"]
    assert values["access_token"] == token
    edit = f"/admin/connection/edit/?id={connection.id}"
    page = admin.get(edit).get_data(as_text=True)
    assert token not in page and f'value="{MASK}"' in page
    assert token not in admin.get(f"/admin/connection/details/?id={connection.id}").get_data(as_text=True)
    form = {
        "csrf_token": csrf(admin, edit),
        "name": "CRM EU",
        "setting_base_url": hubspot.base_url,
        "setting_access_token": MASK,
        "setting_page_size": "20",
    }
    assert admin.post(edit, data=form).status_code == 302
    connection, values = stored(app)
    assert (connection.name, values["access_token"], values["page_size"]) == ("CRM EU", token, 20)


def test_problems_are_shown_beside_their_field_and_nothing_is_saved(
    app: Flask, admin: FlaskClient, hubspot: FakeServer
) -> None:
    answer = add(admin, hubspot, setting_access_token="", setting_page_size="lots")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert re.search(r'id="setting_page_size-errors"[^>]*>[^<]*whole number', text), text
    assert 'id="setting_access_token-errors"' in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Connection)) == 0


def test_test_connection_and_sync_now(app: Flask, admin: FlaskClient, hubspot: FakeServer) -> None:
    add(admin, hubspot)
    connection, _ = stored(app)
    details = f"/admin/connection/details/?id={connection.id}"
    tested = admin.post(f"/admin/connection/{connection.id}/test", data={"csrf_token": csrf(admin, details)})
    assert tested.status_code == 302
    assert "Test passed" in admin.get(details).get_data(as_text=True)
    ref = hubspot.cohorts()[0]["source_ref"]
    with app.app_context():
        db.session.add(
            Cohort(connection_id=connection.id, source_ref=ref, name="Trials", interval_minutes=60)
        )
        db.session.commit()
    synced = admin.post(f"/admin/connection/{connection.id}/sync", data={"csrf_token": csrf(admin, details)})
    assert synced.status_code == 302
    assert app.extensions["journeyhub.jobs"].drain(timeout=60)
    with app.app_context():
        cohort = db.session.scalars(sa.select(Cohort)).one()
        assert cohort.member_count == hubspot.cohorts()[0]["members"] > 0
    page = admin.get(f"/admin/cohort/details/?id={cohort.id}").get_data(as_text=True)
    assert "Syncs" in page and "succeeded" in page
