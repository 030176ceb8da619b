"""The Mixpanel connector against its fake: what it sends, how it pages, what members it makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.mixpanel import CONNECTOR
from connectors.mixpanel import fake as mixpanel_fake
from connectors.mixpanel.client import base_url_for
from connectors.mixpanel.fake import MixpanelFake
from connectors.registry import identity_kinds, with_capability, with_fake
from connectors.sdk import Capability, ConfigError, ConfigProblem, Member
from hub.outbound import RateLimited
from hub.outbound.scope import CONFIG_KEY
from tests.conftest import close_app, make_app
from tests.fakes.support import received


@pytest.fixture
def waits(tmp_path: Path) -> Iterator[list[float]]:
    """An app context whose outbound sleeps are recorded instead of slept; no database is touched."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    recorded: list[float] = []
    app.config[CONFIG_KEY] = {"sleep": recorded.append, "max_attempts": 3, "max_wait_s": 30.0}
    with app.app_context():
        yield recorded
    close_app(app)


@pytest.fixture
def fake() -> Iterator[MixpanelFake]:
    with mixpanel_fake.start(members=420, seed=8) as server:
        yield server


def settings(fake: MixpanelFake, **overrides: Any) -> dict[str, Any]:
    return CONNECTOR.prepare_config({**fake.credentials, **overrides})


def pull(fake: MixpanelFake, position: int = 0, **overrides: Any) -> list[list[Member]]:
    assert CONNECTOR.source is not None
    return list(
        CONNECTOR.source.members(settings(fake, **overrides), str(fake.cohorts()[position]["source_ref"]))
    )


def test_engage_is_asked_form_encoded_and_paged_by_session(fake: MixpanelFake, waits: list[float]) -> None:
    pages = pull(fake, page_size=200)
    assert [len(page) for page in pages] == [200, 200, 20]
    assert [m.ref for page in pages for m in page] == [fake.member_id(i) for i in fake.population.members(0)]
    sent = received(fake)
    assert [(r["method"], r["path"]) for r in sent] == [("POST", "/api/query/engage")] * 3
    assert all(r["query"] == {"project_id": str(fake.project_id)} for r in sent)
    first, *rest = (r["json"] for r in sent)
    assert first == {
        "filter_by_cohort": json.dumps({"id": int(fake.source_ref(0))}),
        "output_properties": json.dumps(["$email", "$first_name", "$last_name", "$country_code", "plan"]),
        "page_size": "200",
    }
    assert [(r["session_id"], r["page"]) for r in rest] == [
        (rest[0]["session_id"], "1"),
        (rest[0]["session_id"], "2"),
    ]
    assert {k: v for k, v in rest[0].items() if k not in ("session_id", "page")} == first


def test_a_cohort_that_fills_its_last_page_ends_on_an_empty_one(
    fake: MixpanelFake, waits: list[float]
) -> None:
    assert [len(page) for page in pull(fake, page_size=105)] == [105, 105, 105, 105, 0]


def test_members_carry_the_distinct_id_email_and_chosen_properties(
    fake: MixpanelFake, waits: list[float]
) -> None:
    ref = fake.source_ref(1)
    nameless = fake.add_member(ref, {"email": None, "extra": {"company": "Acme"}})
    pages = pull(fake, 1, properties="plan, company ,$email,plan")
    members = {m.ref: m for page in pages for m in page}
    someone = next(m for r, m in members.items() if r != nameless)
    assert someone.identities == {
        "mixpanel_distinct_id": someone.ref,
        "email": fake.person(someone.ref).email,
    }
    assert someone.traits == {"plan": "trial", "company": None}
    assert members[nameless].identities == {"mixpanel_distinct_id": nameless, "email": None}
    assert members[nameless].traits == {"plan": fake.person(nameless).plan, "company": "Acme"}


def test_cohorts_are_listed_with_their_sizes(fake: MixpanelFake, waits: list[float]) -> None:
    assert CONNECTOR.source is not None
    listed = CONNECTOR.source.cohorts(settings(fake))
    assert [(c.source_ref, c.name, c.size) for c in listed] == [
        (c["source_ref"], c["name"], c["members"]) for c in fake.cohorts()
    ]
    assert received(fake)[-1]["path"] == "/api/query/cohorts/list"


def test_a_rate_limit_waits_what_mixpanel_asked_else_backs_off(
    fake: MixpanelFake, waits: list[float]
) -> None:
    fake.inject_fault(429, after=1, retry_after=7)
    assert sum(len(page) for page in pull(fake, page_size=200)) == 420 and waits == [7]
    fake.inject_fault(429)
    pull(fake)
    assert len(waits) == 2 and 1 <= waits[1] <= 2
    fake.inject_fault(429, times=3)
    with pytest.raises(RateLimited, match="Query rate limit exceeded"):
        pull(fake)


def test_connection_check_and_refusals(fake: MixpanelFake, waits: list[float]) -> None:
    good = CONNECTOR.test_connection(dict(fake.credentials))
    assert good.ok and good.message == f"connected to Mixpanel project {fake.project_id}; 4 cohorts visible"
    wrong = CONNECTOR.test_connection({**fake.credentials, "service_account_secret": "nope"})
    assert (wrong.ok, wrong.message) == (False, "Unable to authenticate request")
    elsewhere = CONNECTOR.test_connection({**fake.credentials, "project_id": "17"})
    assert not elsewhere.ok and "project 17" in elsewhere.message
    assert CONNECTOR.source is not None
    with pytest.raises(ConfigError, match="not a Mixpanel cohort id"):
        next(iter(CONNECTOR.source.members(settings(fake), "Everyone")))


def test_region_and_settings(waits: list[float]) -> None:
    assert base_url_for({}) == "https://mixpanel.com"
    assert base_url_for({"region": "eu"}) == "https://eu.mixpanel.com"
    assert base_url_for({"region": "IN"}) == "https://in.mixpanel.com"
    assert base_url_for({"region": "EU", "base_url": "http://127.0.0.1:9"}) == "http://127.0.0.1:9"
    required = {"service_account_username": "u", "service_account_secret": "s", "project_id": "12"}
    prepared = CONNECTOR.prepare_config({**required, "region": "in"})
    assert (prepared["region"], prepared["project_id"], prepared["page_size"]) == ("IN", 12, 1000)
    with pytest.raises(ConfigProblem) as wrong:
        CONNECTOR.prepare_config({**required, "region": "APAC", "project_id": "twelve", "page_size": 5000})
    assert set(wrong.value.problems) == {"region", "project_id", "page_size"}


def test_registered_as_a_source_with_a_fake_and_a_kind_of_its_own() -> None:
    assert "mixpanel" in set(with_capability(Capability.SOURCE)) & set(with_fake())
    assert identity_kinds()["mixpanel_distinct_id"].per_account
