"""The HubSpot fake, driven through the official SDK exactly as the connector will drive it."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.lists.exceptions import ApiException, ServiceException, UnauthorizedException
from urllib3 import Retry

from connectors.hubspot import fake as hubspot_fake
from connectors.hubspot.fake import HubSpotFake
from tests.fakes.support import calls

ALL, TRIAL, DETRACTORS = "11", "12", "13"


@pytest.fixture
def fake() -> Iterator[HubSpotFake]:
    with hubspot_fake.start(members=600, seed=7) as server:
        yield server


def client_for(fake: HubSpotFake, token: str | None = None) -> HubSpot:
    """No urllib3 retries: by default they silently replay GETs answered 429/503 with Retry-After."""
    return HubSpot(access_token=token or fake.credentials["access_token"], host=fake.base_url, retry=Retry(0))


def walk(client: HubSpot, list_id: str, limit: int = 250) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = client.crm.lists.memberships_api.get_page(list_id, after=after, limit=limit)
        seen += [row.record_id for row in page.results]
        if page.paging is None or page.paging.next is None:
            return seen
        after = page.paging.next.after


def read(client: HubSpot, ids: list[str], properties: list[str]) -> dict[str, dict[str, str | None]]:
    request = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids], properties=properties, properties_with_history=[]
    )
    return {row.id: row.properties for row in client.crm.contacts.batch_api.read(request).results}


def test_describe_is_what_the_cli_prints(fake: HubSpotFake) -> None:
    described = json.loads(json.dumps(fake.describe()))
    assert described["credentials"]["base_url"] == fake.base_url == described["base_url"]
    assert described["credentials"]["access_token"].startswith("pat-na1-")
    assert [c["source_ref"] for c in described["cohorts"]] == ["11", "12", "13", "14"]
    assert described["cohorts"][0] == {"source_ref": ALL, "name": "All customers", "members": 600}
    assert 0 < described["cohorts"][2]["members"] < 600


def test_walk_sees_every_member_once_in_record_id_order(fake: HubSpotFake) -> None:
    client = client_for(fake)
    for list_id, limit in ((ALL, 250), (DETRACTORS, 7)):
        seen = walk(client, list_id, limit)
        expected = next(c["members"] for c in fake.cohorts() if c["source_ref"] == list_id)
        assert len(seen) == len(set(seen)) == expected
        assert [int(s) for s in seen] == sorted(int(s) for s in seen)
    page = client.crm.lists.memberships_api.get_page(ALL)
    assert len(page.results) == 100  # HubSpot's default page size
    assert page.results[0].membership_timestamp is not None


def test_list_name_and_limits(fake: HubSpotFake) -> None:
    client = client_for(fake)
    fetched = client.crm.lists.lists_api.get_by_id(TRIAL).list
    assert (fetched.name, fetched.processing_type, fetched.object_type_id) == (
        "Trial users",
        "DYNAMIC",
        "0-1",
    )
    assert fetched.size == fake.cohorts()[1]["members"]
    with pytest.raises(ApiException) as too_big:
        client.crm.lists.memberships_api.get_page(ALL, limit=251)
    assert too_big.value.status == 400
    assert json.loads(too_big.value.body)["category"] == "VALIDATION_ERROR"
    with pytest.raises(ApiException) as missing:
        client.crm.lists.lists_api.get_by_id("999")
    assert missing.value.status == 404


def test_batch_read_properties_and_207_for_unknown_ids(fake: HubSpotFake) -> None:
    client = client_for(fake)
    ids = walk(client, TRIAL)[:3]
    rows = read(client, ids, ["email", "plan", "hs_timezone", "not_a_property"])
    assert set(rows) == set(ids)
    for props in rows.values():
        assert props["plan"] == "trial"
        assert props["email"].endswith("@example.com")
        assert "_slash_" in props["hs_timezone"]
        assert {"hs_object_id", "createdate", "lastmodifieddate"} <= set(props)
        assert "not_a_property" not in props
    request = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": ids[0]}, {"id": "42"}], properties=["email"], properties_with_history=[]
    )
    partial = client.crm.contacts.batch_api.read(request)
    assert [r.id for r in partial.results] == [ids[0]]
    assert partial.errors[0].category == "OBJECT_NOT_FOUND"
    assert partial.errors[0].context == {"ids": ["42"]}


def test_wrong_or_missing_token_is_hubspots_401(fake: HubSpotFake) -> None:
    with pytest.raises(UnauthorizedException) as caught:
        client_for(fake, "pat-na1-wrong").crm.lists.memberships_api.get_page(ALL)
    body = json.loads(caught.value.body)
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found")
    assert body["correlationId"]
    with pytest.raises(UnauthorizedException):
        HubSpot(host=fake.base_url).crm.lists.memberships_api.get_page(ALL)


def test_rate_limit_answers_429_with_hubspot_headers(fake: HubSpotFake) -> None:
    client = client_for(fake)
    fake.rate_limit(3, 10)
    for _ in range(3):
        client.crm.lists.memberships_api.get_page(ALL, limit=1)
    with pytest.raises(ApiException) as caught:
        client.crm.lists.memberships_api.get_page(ALL, limit=1)
    assert caught.value.status == 429
    headers = caught.value.headers
    assert headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert headers["X-HubSpot-RateLimit-Max"] == "3"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert 1 <= int(headers["Retry-After"]) <= 10
    body = json.loads(caught.value.body)
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING")
    assert body["message"] == "You have reached your ten_secondly_rolling limit."


def test_injected_faults_then_recovery(fake: HubSpotFake) -> None:
    client = client_for(fake)
    fake.inject_fault(500, after=1)
    client.crm.lists.memberships_api.get_page(ALL, limit=1)
    with pytest.raises(ServiceException) as caught:
        client.crm.lists.memberships_api.get_page(ALL, limit=1)
    assert caught.value.status == 500 and json.loads(caught.value.body)["status"] == "error"
    assert len(client.crm.lists.memberships_api.get_page(ALL, limit=1).results) == 1
    fake.inject_fault(429, times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(ApiException) as limited:
            client.crm.lists.memberships_api.get_page(ALL, limit=1)
        assert (limited.value.status, limited.value.headers["Retry-After"]) == (429, "7")
    fake.inject_fault(401)
    with pytest.raises(UnauthorizedException):
        client.crm.lists.memberships_api.get_page(ALL, limit=1)
    assert client.crm.lists.memberships_api.get_page(ALL, limit=1).results


def test_sdk_default_client_replays_a_get_after_retry_after(fake: HubSpotFake) -> None:
    """Worth knowing for the connector: urllib3's default Retry honours Retry-After on GETs."""
    fake.inject_fault(429, retry_after=1)
    started, count = time.perf_counter(), fake.request_count
    client = HubSpot(access_token=fake.credentials["access_token"], host=fake.base_url)
    assert client.crm.lists.memberships_api.get_page(ALL, limit=1).results
    assert fake.request_count - count == 2 and time.perf_counter() - started >= 1


def test_added_and_removed_members_show_up_in_the_walk(fake: HubSpotFake) -> None:
    client = client_for(fake)
    before = walk(client, DETRACTORS)
    newcomer = fake.add_member(DETRACTORS, {"email": "new.person@example.com", "plan": "pro"})
    existing = walk(client, ALL)[5]
    fake.add_member(DETRACTORS, existing)
    fake.remove_member(DETRACTORS, before[0])
    after = walk(client, DETRACTORS, limit=10)
    assert newcomer in after and existing in after and before[0] not in after
    assert len(after) == len(set(after)) == fake.cohorts()[2]["members"]
    assert read(client, [newcomer], ["email", "plan"])[newcomer]["email"] == "new.person@example.com"
    with pytest.raises(KeyError):
        fake.remove_member(DETRACTORS, before[0])


def test_member_without_email(fake: HubSpotFake) -> None:
    client = client_for(fake)
    member = walk(client, TRIAL)[0]
    fake.set_email(member, None)
    assert read(client, [member], ["email"])[member]["email"] is None
    search = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "email", "operator": "NOT_HAS_PROPERTY"}]}],
        properties=["email"],
        limit=10,
    )
    found = client.crm.contacts.search_api.do_search(search)
    assert (found.total, found.results[0].id) == (1, member)


def test_search_pages_through_matches(fake: HubSpotFake) -> None:
    client = client_for(fake)
    trial = set(walk(client, TRIAL))
    filters = [{"filters": [{"propertyName": "plan", "operator": "EQ", "value": "trial"}]}]
    seen: list[str] = []
    after = None
    while True:
        page = client.crm.contacts.search_api.do_search(
            PublicObjectSearchRequest(filter_groups=filters, properties=["plan"], limit=40, after=after)
        )
        seen += [row.id for row in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert page.total == len(seen) == len(set(seen)) == len(trial)
    assert set(seen) == trial
    email = read(client, [seen[3]], ["email"])[seen[3]]["email"]
    by_email = client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "email", "operator": "EQ", "value": email.upper()}]}]
        )
    )
    assert [r.id for r in by_email.results] == [seen[3]]
    with pytest.raises(ContactsApiException) as too_many:
        client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=201))
    assert too_many.value.status == 400


def test_updates_and_property_validation(fake: HubSpotFake) -> None:
    client = client_for(fake)
    first, second = walk(client, ALL)[:2]
    updated = client.crm.contacts.basic_api.update(
        first, SimplePublicObjectInput(properties={"plan": "enterprise"})
    )
    assert updated.properties["plan"] == "enterprise" and fake.person(first).plan == "enterprise"
    with pytest.raises(ContactsApiException) as unknown:
        client.crm.contacts.basic_api.update(
            first, SimplePublicObjectInput(properties={"research_theme": "x"})
        )
    assert (
        unknown.value.status == 400 and "PROPERTY_DOESNT_EXIST" in json.loads(unknown.value.body)["message"]
    )
    fake.define_field("research_theme")
    batch = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            {"id": first, "properties": {"research_theme": "pricing"}},
            {"id": second, "properties": {"research_theme": "onboarding", "firstname": "Renamed"}},
        ]
    )
    result = client.crm.contacts.batch_api.update(batch)
    assert result.status == "COMPLETE"
    rows = read(client, [first, second], ["research_theme", "firstname"])
    assert rows[first]["research_theme"] == "pricing"
    assert (rows[second]["research_theme"], rows[second]["firstname"]) == ("onboarding", "Renamed")


def test_manual_lists_accept_membership_writes(fake: HubSpotFake) -> None:
    client = client_for(fake)
    outsider = next(m for m in walk(client, ALL) if m not in set(walk(client, DETRACTORS)))
    added = client.crm.lists.memberships_api.add(DETRACTORS, [outsider, "5"])
    assert (added.records_ids_added, added.record_ids_missing) == ([outsider], ["5"])
    assert outsider in walk(client, DETRACTORS)
    removed = client.crm.lists.memberships_api.remove(DETRACTORS, [outsider])
    assert removed.record_ids_removed == [outsider] and outsider not in walk(client, DETRACTORS)
    with pytest.raises(ApiException) as dynamic:
        client.crm.lists.memberships_api.add(ALL, [outsider])
    assert dynamic.value.status == 400


def test_same_seed_same_data_and_request_log(fake: HubSpotFake) -> None:
    with hubspot_fake.start(members=600, seed=7) as twin, hubspot_fake.start(members=600, seed=8) as other:
        ids = walk(client_for(fake), ALL)[:5]
        assert read(client_for(fake), ids, ["email"]) == read(client_for(twin), ids, ["email"])
        assert read(client_for(fake), ids, ["email"]) != read(client_for(other), ids, ["email"])
    seen = calls(fake)
    assert ("GET", f"/crm/v3/lists/{ALL}/memberships") in seen
    assert ("POST", "/crm/v3/objects/contacts/batch/read") in seen
    assert fake.request_count == len(seen)


def test_https_mode_works_through_the_sdk() -> None:
    with hubspot_fake.start(members=20, tls=True) as server:
        assert server.base_url.startswith("https://") and server.credentials["ca_bundle"] == str(
            server.ca_path
        )
        client = HubSpot(
            access_token=server.credentials["access_token"],
            host=server.base_url,
            ssl_ca_cert=server.credentials["ca_bundle"],
            retry=Retry(0),
        )
        assert len(walk(client, ALL)) == 20


def test_ten_thousand_members_walk_is_fast_and_small() -> None:
    with hubspot_fake.start(members=10_000) as server:
        client = client_for(server)
        started = time.perf_counter()
        seen = walk(client, ALL)
        emails: dict[str, dict[str, str | None]] = {}
        for chunk in range(0, len(seen), 100):
            emails |= read(client, seen[chunk : chunk + 100], ["email"])
        elapsed = time.perf_counter() - started
        assert len(seen) == len(set(seen)) == len(emails) == 10_000
        assert elapsed < 30, f"10k walk took {elapsed:.1f}s"
        tracemalloc.start()
        assert len(walk(client, DETRACTORS)) == server.cohorts()[2]["members"]
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 32 * 2**20, f"peak {peak / 2**20:.1f} MiB"
