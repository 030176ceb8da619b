"""The Amplitude connector against its fake: polling within a budget, the redirect, and streaming the file."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.amplitude import CONNECTOR
from connectors.amplitude import fake as amplitude_fake
from connectors.amplitude.client import AmplitudeClient, base_url_for
from connectors.amplitude.fake import AmplitudeFake
from connectors.registry import identity_kinds, with_capability, with_fake
from connectors.sdk import USER_ID, Capability, ConfigProblem, Member, TransientError
from hub.cohorts.service import create_cohort
from hub.cohorts.sync import SyncFailed, run_sync
from hub.db import db
from hub.models import Connection
from hub.outbound.scope import CONFIG_KEY
from tests.conftest import close_app, make_app
from tests.connectors.conftest import Sleeps, add_connection, cohort_refs, stored_refs
from tests.fakes.support import calls


@pytest.fixture
def waits(tmp_path: Path) -> Iterator[list[float]]:
    """An app context whose outbound sleeps are recorded instead of slept; no database is touched."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    recorded: list[float] = []
    app.config[CONFIG_KEY] = {"sleep": recorded.append, "max_attempts": 3, "max_wait_s": 30.0}
    with app.app_context():
        yield recorded
    close_app(app)


def settings(fake: AmplitudeFake, **overrides: Any) -> dict[str, Any]:
    return CONNECTOR.prepare_config({**fake.credentials, **overrides})


def pull(fake: AmplitudeFake, position: int = 0, **overrides: Any) -> list[list[Member]]:
    ref = str(fake.cohorts()[position]["source_ref"])
    assert CONNECTOR.source is not None
    return list(CONNECTOR.source.members(settings(fake, **overrides), ref))


def refs(pages: list[list[Member]]) -> list[str]:
    return [member.ref for page in pages for member in page]


def expected(fake: AmplitudeFake, position: int = 0) -> list[str]:
    return [fake.member_id(i) for i in fake.population.members(position)]


def test_the_export_is_polled_until_ready_sleeping_through_the_policy(waits: list[float]) -> None:
    with amplitude_fake.start(members=40, ready_after=3) as fake:
        pages = pull(fake, poll_interval_seconds=7)
        assert refs(pages) == expected(fake) and waits == [7, 7, 7]
        assert [path.split("/")[4] for _, path in calls(fake)] == ["request"] + ["request-status"] * 4 + [
            "request"
        ]
    member = pages[0][0]
    assert set(member.identities) == {"amplitude_id", "user_id", "email"}
    assert member.identities["email"] and set(member.traits) == {"plan", "country"}


def test_a_spent_poll_budget_is_a_transient_error_that_says_so(waits: list[float]) -> None:
    with amplitude_fake.start(members=10, ready_after=100) as fake, pytest.raises(TransientError) as ran_out:
        pull(fake, poll_interval_seconds=10, poll_timeout_seconds=30)
    message = str(ran_out.value)
    assert "still JOB INPROGRESS after 4 status checks over 30 s" in message
    assert "poll budget (poll_timeout_seconds=30) is spent; the sync will retry" in message
    assert ran_out.value.retryable and waits == [10, 10, 10]


def test_a_sync_whose_export_is_not_ready_fails_for_now_and_succeeds_later(
    app: Flask, sleeps: Sleeps
) -> None:
    with amplitude_fake.start(members=30, ready_after=5) as fake:
        connection_id = add_connection(app, "amplitude", fake, poll_timeout_seconds=0)
        ref = str(fake.cohorts()[0]["source_ref"])
        with app.app_context():
            cohort_id = create_cohort(connection_id, ref, "Everyone").id
            db.session.commit()
            with pytest.raises(SyncFailed) as failed:
                run_sync(cohort_id)
            assert "poll budget" in (failed.value.outcome.error or "") and sleeps.waits == []
            connection = db.session.get(Connection, connection_id)
            assert connection is not None and connection.status == "ok" and stored_refs(cohort_id) == set()
            fake.ready_after = 0
            assert run_sync(cohort_id).status == "succeeded"
            assert stored_refs(cohort_id) == cohort_refs(fake, ref)


def test_a_large_file_is_fetched_from_the_redirect_without_our_credentials(waits: list[float]) -> None:
    with amplitude_fake.start(members=500, inline_limit=100) as fake:
        pages = pull(fake, page_size=200)
        assert refs(pages) == expected(fake) and [len(p) for p in pages] == [200, 200, 100]
        assert [status for _, status in fake.bucket.log] == [200], "storage refuses a request carrying auth"
    assert waits == []


def test_an_expired_link_is_asked_for_again(waits: list[float]) -> None:
    with amplitude_fake.start(members=300, inline_limit=100) as fake:
        fake.bucket.expire_next_links(1)
        assert refs(pull(fake)) == expected(fake)
        assert [status for _, status in fake.bucket.log] == [403, 200] and len(waits) == 1


def test_a_broken_download_resumes_where_it_stopped(waits: list[float]) -> None:
    with amplitude_fake.start(members=500, inline_limit=100) as fake:
        fake.break_download(130)
        assert refs(pull(fake, page_size=100)) == expected(fake) and waits == []
        assert [status for _, status in fake.bucket.log] == [200, 200]
        fake.break_download(50, downloads=3)
        with pytest.raises(TransientError, match="broke 3 times, last after 50 rows"):
            pull(fake)


def test_a_gz_body_and_an_empty_cohort(waits: list[float]) -> None:
    with amplitude_fake.start(members=25, file_format="gz") as fake:
        assert refs(pull(fake)) == expected(fake)
    with amplitude_fake.start(members=0) as empty:
        assert pull(empty) == [[]]


def peak_while_pulling(members: int) -> tuple[int, int]:
    """(members pulled, peak traced bytes) of a whole pull, a page at a time."""
    with amplitude_fake.start(members=members, inline_limit=100) as fake:
        ref = str(fake.cohorts()[0]["source_ref"])
        assert CONNECTOR.source is not None
        tracemalloc.start()
        try:
            count = sum(len(page) for page in CONNECTOR.source.members(settings(fake), ref))
            return count, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_a_hundred_thousand_members_stream_in_memory_that_does_not_grow(waits: list[float]) -> None:
    small, small_peak = peak_while_pulling(10_000)
    large, large_peak = peak_while_pulling(100_000)
    assert (small, large) == (10_000, 100_000)
    assert large_peak < 1.5 * small_peak and large_peak < 32 * 2**20, (small_peak, large_peak)


def test_region_and_address(waits: list[float]) -> None:
    assert base_url_for({"region": "eu"}) == "https://analytics.eu.amplitude.com"
    assert base_url_for({}) == "https://amplitude.com"
    assert base_url_for({"region": "EU", "base_url": "http://127.0.0.1:9"}) == "http://127.0.0.1:9"
    assert CONNECTOR.prepare_config({"api_key": "k", "secret_key": "s", "region": "eu"})["region"] == "EU"
    with pytest.raises(ConfigProblem) as wrong:
        CONNECTOR.prepare_config({"api_key": "k", "region": "APAC", "poll_interval_seconds": "soon"})
    assert set(wrong.value.problems) == {"region", "secret_key", "poll_interval_seconds"}


def test_listing_cohorts_and_checking_the_connection(waits: list[float]) -> None:
    with amplitude_fake.start(members=30) as fake:
        assert CONNECTOR.source is not None
        listed = CONNECTOR.source.cohorts(settings(fake))
        assert [(c.source_ref, c.name, c.size) for c in listed] == [
            (c["source_ref"], c["name"], c["members"]) for c in fake.cohorts()
        ]
        assert AmplitudeClient(settings(fake)).probe() == "connected to Amplitude; 4 cohorts visible"
        refused = CONNECTOR.test_connection({**fake.credentials, "secret_key": "nope"})
    assert (refused.ok, refused.message) == (False, "Invalid API key or secret key")


def test_registered_as_a_source_and_user_id_is_the_hubs_own_kind() -> None:
    assert "amplitude" in set(with_capability(Capability.SOURCE)) & set(with_fake())
    kinds = identity_kinds()
    assert kinds["amplitude_id"].per_account and kinds[USER_ID.name] == USER_ID
