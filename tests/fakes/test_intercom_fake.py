"""The Intercom fake through plain ``requests`` (Intercom ships no official Python SDK)."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.intercom import fake as intercom_fake
from connectors.intercom.fake import IntercomFake
from tests.fakes.support import received


class Intercom:
    """The few calls the connector makes, with Intercom's headers."""

    def __init__(self, fake: IntercomFake, token: str | None = None) -> None:
        self.base_url = fake.credentials["base_url"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token or fake.credentials['access_token']}",
                "Accept": "application/json",
                "Intercom-Version": "2.11",
            }
        )

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def search(self, query: dict[str, Any], per_page: int = 150, **extra: Any) -> Iterator[dict[str, Any]]:
        """Every page of a search, following pages.next.starting_after inside the body."""
        body: dict[str, Any] = {"query": query, "pagination": {"per_page": per_page}, **extra}
        while True:
            response = self.call("POST", "/contacts/search", json=body)
            assert response.status_code == 200, response.text
            page = response.json()
            yield page
            if "next" not in page["pages"]:
                return
            body["pagination"]["starting_after"] = page["pages"]["next"]["starting_after"]


def segment_query(segment_id: str) -> dict[str, str]:
    return {"field": "segment_id", "operator": "=", "value": segment_id}


def ids(pages: Iterator[dict[str, Any]]) -> list[str]:
    return [contact["id"] for page in pages for contact in page["data"]]


@pytest.fixture
def fake() -> Iterator[IntercomFake]:
    with intercom_fake.start(members=700, seed=11) as server:
        yield server


def segment(fake: IntercomFake, position: int) -> str:
    return str(fake.cohorts()[position]["source_ref"])


def test_describe_and_segments_with_counts(fake: IntercomFake) -> None:
    described = json.loads(json.dumps(fake.describe()))
    assert set(described["credentials"]) == {"base_url", "access_token"}
    listed = Intercom(fake).call("GET", "/segments", params={"include_count": "true"}).json()
    assert listed["type"] == "segment.list"
    assert [(s["id"], s["name"], s["count"]) for s in listed["segments"]] == [
        (c["source_ref"], c["name"], c["members"]) for c in described["cohorts"]
    ]
    assert "count" not in Intercom(fake).call("GET", "/segments").json()["segments"][0]


def test_search_walk_sees_every_member_once(fake: IntercomFake) -> None:
    client = Intercom(fake)
    pages = list(client.search(segment_query(segment(fake, 0)), per_page=150))
    seen = [c["id"] for page in pages for c in page["data"]]
    assert len(seen) == len(set(seen)) == 700 == pages[0]["total_count"]
    assert [p["pages"]["page"] for p in pages] == [1, 2, 3, 4, 5]
    assert pages[0]["pages"]["total_pages"] == 5 and pages[0]["pages"]["per_page"] == 150
    created = [c["created_at"] for page in pages for c in page["data"]]
    assert created == sorted(created)
    contact = pages[0]["data"][0]
    assert (contact["type"], contact["role"]) == ("contact", "user")
    assert set(contact["custom_attributes"]) == {"plan", "time_zone"}
    assert contact["location"]["country"] and contact["external_id"].startswith("user-")
    default = next(client.search(segment_query(segment(fake, 0)), per_page=50))
    assert len(default["data"]) == 50


def test_query_string_cursor_is_ignored_like_intercom(fake: IntercomFake) -> None:
    client = Intercom(fake)
    body = {"query": segment_query(segment(fake, 0)), "pagination": {"per_page": 10}}
    first = client.call("POST", "/contacts/search", json=body).json()
    cursor = first["pages"]["next"]["starting_after"]
    again = client.call("POST", "/contacts/search", json=body, params={"starting_after": cursor}).json()
    assert [c["id"] for c in again["data"]] == [c["id"] for c in first["data"]]
    body["pagination"]["starting_after"] = cursor
    second = client.call("POST", "/contacts/search", json=body).json()
    assert second["pages"]["page"] == 2 and second["data"][0]["id"] != first["data"][0]["id"]


def test_nested_filters_and_limits(fake: IntercomFake) -> None:
    client = Intercom(fake)
    trial_in_segment = {
        "operator": "AND",
        "value": [
            segment_query(segment(fake, 2)),
            {
                "operator": "OR",
                "value": [
                    {"field": "custom_attributes.plan", "operator": "=", "value": "trial"},
                    {"field": "custom_attributes.plan", "operator": "=", "value": "pro"},
                ],
            },
        ],
    }
    found = [c for page in client.search(trial_in_segment) for c in page["data"]]
    in_segment = [c for page in client.search(segment_query(segment(fake, 2))) for c in page["data"]]
    assert found and [c for c in in_segment if c["custom_attributes"]["plan"] in ("trial", "pro")] == found
    email = in_segment[0]["email"]
    by_email = next(client.search({"field": "email", "operator": "=", "value": email.upper()}))
    assert [c["id"] for c in by_email["data"]] == [in_segment[0]["id"]]
    too_deep = {
        "operator": "AND",
        "value": [
            {"operator": "OR", "value": [{"operator": "AND", "value": [segment_query(segment(fake, 0))]}]}
        ],
    }
    for body in (
        {"query": too_deep},
        {"query": segment_query(segment(fake, 0)), "pagination": {"per_page": 151}},
        {"query": {"field": "favourite_colour", "operator": "=", "value": "red"}},
    ):
        response = client.call("POST", "/contacts/search", json=body)
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "parameter_invalid"


def test_bad_token_is_intercoms_401(fake: IntercomFake) -> None:
    response = Intercom(fake, "dG9rOndyb25n").call("GET", "/segments")
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error.list" and body["request_id"]
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]


def test_rate_limit_headers_and_429(fake: IntercomFake) -> None:
    client = Intercom(fake)
    ok = client.call("GET", "/segments")
    assert ok.headers["X-RateLimit-Limit"] == "1666"
    assert int(ok.headers["X-RateLimit-Remaining"]) < 1666
    assert int(ok.headers["X-RateLimit-Reset"]) >= int(time.time())
    fake.rate_limit(3, 10)
    remaining = [client.call("GET", "/segments").headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    limited = client.call("GET", "/segments")
    assert limited.status_code == 429
    assert (limited.headers["X-RateLimit-Limit"], limited.headers["X-RateLimit-Remaining"]) == ("3", "0")
    assert int(time.time()) <= int(limited.headers["X-RateLimit-Reset"]) <= int(time.time()) + 11
    assert limited.json()["errors"][0]["code"] == "rate_limit_exceeded"


def test_injected_faults_then_recovery(fake: IntercomFake) -> None:
    client = Intercom(fake)
    fake.inject_fault(500, after=1)
    assert client.call("GET", "/segments").status_code == 200
    failed = client.call("GET", "/segments")
    assert failed.status_code == 500 and failed.json()["errors"][0]["code"] == "server_error"
    assert client.call("GET", "/segments").status_code == 200
    fake.inject_fault(429, retry_after=30)
    limited = client.call("GET", "/segments")
    assert limited.status_code == 429
    assert int(limited.headers["X-RateLimit-Reset"]) >= int(time.time()) + 29
    fake.inject_fault(503, times=2)
    assert [client.call("GET", "/segments").status_code for _ in range(3)] == [503, 503, 200]


def test_membership_changes_and_missing_email(fake: IntercomFake) -> None:
    client = Intercom(fake)
    target = segment(fake, 3)
    before = ids(client.search(segment_query(target)))
    newcomer = fake.add_member(target, {"email": "fresh@example.com"})
    fake.remove_member(target, before[0])
    fake.set_email(before[1], None)
    after = ids(client.search(segment_query(target), per_page=5))
    assert newcomer == after[-1] and before[0] not in after and len(after) == len(set(after)) == len(before)
    nameless = client.call("GET", f"/contacts/{before[1]}").json()
    assert nameless["email"] is None and nameless["email_domain"] is None
    missing = next(
        client.search(
            {
                "operator": "AND",
                "value": [segment_query(target), {"field": "email", "operator": "=", "value": None}],
            }
        )
    )
    assert [c["id"] for c in missing["data"]] == [before[1]]
    segments = client.call("GET", f"/contacts/{newcomer}/segments").json()["data"]
    assert [s["id"] for s in segments] == [target]


def test_cursor_stays_exact_while_members_join_mid_walk(fake: IntercomFake) -> None:
    client = Intercom(fake)
    pages = client.search(segment_query(segment(fake, 0)), per_page=100)
    seen = [c["id"] for c in next(pages)["data"]]
    joined = fake.add_member(segment(fake, 0))
    seen += [c["id"] for page in pages for c in page["data"]]
    assert len(seen) == len(set(seen)) == 701 and seen[-1] == joined


def test_tags_and_contact_updates(fake: IntercomFake) -> None:
    client = Intercom(fake)
    first, second = (
        c["id"] for c in next(client.search(segment_query(segment(fake, 0)), per_page=2))["data"]
    )
    tag = client.call("POST", "/tags", json={"name": "interviewed"}).json()
    assert tag["type"] == "tag" and client.call("POST", "/tags", json={"name": "interviewed"}).json() == tag
    assert client.call("POST", f"/contacts/{first}/tags", json={"id": tag["id"]}).json() == tag
    tagged = next(client.search({"field": "tag_id", "operator": "=", "value": tag["id"]}))
    assert [c["id"] for c in tagged["data"]] == [first]
    assert client.call("GET", f"/contacts/{first}/tags").json()["data"] == [tag]
    assert client.call("GET", f"/contacts/{first}").json()["tags"]["total_count"] == 1
    client.call("DELETE", f"/contacts/{first}/tags/{tag['id']}")
    assert client.call("GET", f"/contacts/{first}/tags").json()["data"] == []
    assert client.call("POST", f"/contacts/{first}/tags", json={"id": "404"}).status_code == 404
    rejected = client.call("PUT", f"/contacts/{second}", json={"custom_attributes": {"research_theme": "x"}})
    assert rejected.status_code == 400
    fake.define_field("research_theme")
    updated = client.call(
        "PUT",
        f"/contacts/{second}",
        json={
            "name": "Renamed Person",
            "custom_attributes": {"plan": "enterprise", "research_theme": "pricing"},
        },
    ).json()
    assert updated["name"] == "Renamed Person"
    assert updated["custom_attributes"]["plan"] == "enterprise" == fake.person(second).plan
    assert updated["custom_attributes"]["research_theme"] == "pricing"
    assert client.call("GET", "/contacts/000000000000000000000000").json()["errors"][0]["code"] == "not_found"
    puts = [r for r in received(fake) if r["method"] == "PUT"]
    assert [p["path"] for p in puts] == [f"/contacts/{second}"] * 2
    assert puts[-1]["json"]["custom_attributes"] == {"plan": "enterprise", "research_theme": "pricing"}


def test_ten_thousand_members_walk_is_fast_and_small() -> None:
    with intercom_fake.start(members=10_000) as server:
        client = Intercom(server)
        started = time.perf_counter()
        seen = ids(client.search(segment_query(segment(server, 0))))
        elapsed = time.perf_counter() - started
        assert len(seen) == len(set(seen)) == 10_000
        assert elapsed < 30, f"10k walk took {elapsed:.1f}s"
        tracemalloc.start()
        detractors = ids(client.search(segment_query(segment(server, 2))))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert len(detractors) == server.cohorts()[2]["members"]
    assert peak < 32 * 2**20, f"peak {peak / 2**20:.1f} MiB"
