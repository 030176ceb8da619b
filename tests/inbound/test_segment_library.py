"""Segment's own Python library works against us with only its host and write key changed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from segment.analytics import Client
from segment.analytics.request import APIError

from hub.db import db
from hub.models import Event, Profile
from tests.inbound.support import EMPTY, counts, served


def test_every_call_of_the_library_is_accepted_gzipped(app: Flask, write_key: str) -> None:
    with served(app) as base_url:
        client = Client(write_key, host=base_url, sync_mode=True, gzip=True, max_retries=0)
        client.identify(
            "u-1", {"email": "lin@example.com", "plan": "pro", "country": "SE"}, anonymous_id="anon-1"
        )
        client.track("u-1", "Order Completed", {"total": 10})
        client.page("u-1", category="Docs", name="Install")
        client.screen("u-1", name="Home")
        client.track(anonymous_id="anon-1", event="Viewed Pricing", context={"timezone": "Europe/Stockholm"})
        client.alias("anon-1", "u-1")
        client.group("u-1", "org-1", {"name": "Acme"})
    with app.app_context():
        events = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
        assert [e.name for e in events] == ["identify", "Order Completed", "page", "screen", "Viewed Pricing"]
        assert events[2].properties == {"category": "Docs", "name": "Install"}
        (profile,) = db.session.scalars(sa.select(Profile)).all()
        assert profile.traits == {
            "email": "lin@example.com",
            "plan": "pro",
            "country": "SE",
            "timezone": "Europe/Stockholm",
        }


def test_batches_from_the_background_consumer_arrive_whole(app: Flask, write_key: str) -> None:
    errors: list[Exception] = []
    with served(app) as base_url:
        client = Client(write_key, host=base_url, upload_size=25, on_error=lambda e, _batch: errors.append(e))
        for index in range(60):
            client.track(f"user-{index % 6}", "Tick", {"n": index})
        client.shutdown()
    assert errors == []
    assert (counts(app)["events"], counts(app)["profiles"]) == (60, 6)


def test_a_wrong_write_key_is_an_error_the_library_reports(app: Flask, write_key: str) -> None:
    with served(app) as base_url:
        client = Client("not-" + write_key, host=base_url, sync_mode=True, max_retries=0)
        with pytest.raises(APIError) as refused:
            client.track("u-1", "Order Completed")
    assert refused.value.status == 401
    assert counts(app) == EMPTY
