"""The Mixpanel fake through plain ``requests``, the way the Query API is called (no official query SDK)."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.mixpanel import fake as mixpanel_fake
from connectors.mixpanel.fake import MixpanelFake
from tests.fakes.support import received


class Mixpanel:
    """Service-account Basic auth, project_id in the query string, parameters form-encoded."""

    def __init__(self, fake: MixpanelFake, secret: str | None = None) -> None:
        credentials = fake.credentials
        self.base_url, self.project_id = credentials["base_url"], credentials["project_id"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (
            credentials["service_account_username"],
            secret or credentials["service_account_secret"],
        )

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        params = kwargs.pop("params", {"project_id": self.project_id})
        return self.session.post(self.base_url + path, params=params, data=data, timeout=10, **kwargs)

    def engage(self, cohort_id: str, **form: str) -> Iterator[dict[str, Any]]:
        """Every page of a cohort's profiles: session_id from page 0, then page + 1 until a short page."""
        form = {"filter_by_cohort": json.dumps({"id": int(cohort_id)}), **form}
        while True:
            answer = self.post("/api/query/engage", form)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            yield page
            if len(page["results"]) < page["page_size"]:
                return
            form |= {"session_id": page["session_id"], "page": str(page["page"] + 1)}


def ids(pages: Iterator[dict[str, Any]]) -> list[str]:
    return [profile["$distinct_id"] for page in pages for profile in page["results"]]


@pytest.fixture
def fake() -> Iterator[MixpanelFake]:
    with mixpanel_fake.start(members=2500, seed=5) as server:
        yield server


def cohort(fake: MixpanelFake, position: int) -> str:
    return str(fake.cohorts()[position]["source_ref"])


def test_describe_and_cohorts_list(fake: MixpanelFake) -> None:
    described = json.loads(json.dumps(fake.describe()))
    assert set(described["credentials"]) == {
        "base_url",
        "service_account_username",
        "service_account_secret",
        "project_id",
        "project_token",
    }
    client = Mixpanel(fake)
    listed = client.post("/api/query/cohorts/list").json()
    assert [(c["id"], c["name"], c["count"]) for c in listed] == [
        (int(c["source_ref"]), c["name"], c["members"]) for c in described["cohorts"]
    ]
    assert set(listed[0]) == {"count", "is_visible", "description", "created", "project_id", "id", "name"}
    assert listed[0]["project_id"] == int(client.project_id) and listed[0]["is_visible"] == 1
    legacy = client.session.get(
        client.base_url + "/api/2.0/cohorts/list", params={"project_id": client.project_id}, timeout=10
    )
    assert legacy.json() == listed


def test_engage_session_walk_sees_every_member_once(fake: MixpanelFake) -> None:
    client = Mixpanel(fake)
    pages = list(client.engage(cohort(fake, 0)))
    assert [len(p["results"]) for p in pages] == [1000, 1000, 500]
    assert [p["page"] for p in pages] == [0, 1, 2]
    assert len({p["session_id"] for p in pages}) == 1 and all(p["status"] == "ok" for p in pages)
    assert {p["total"] for p in pages} == {2500}
    seen = [profile["$distinct_id"] for page in pages for profile in page["results"]]
    assert len(seen) == len(set(seen)) == 2500
    profile = pages[0]["results"][0]["$properties"]
    assert {"$email", "$first_name", "$last_name", "$created", "$country_code", "$timezone", "plan"} <= set(
        profile
    )
    exact = list(client.engage(cohort(fake, 0), page_size="500"))
    assert [len(p["results"]) for p in exact] == [500] * 5 + [0]
    detractors = ids(client.engage(cohort(fake, 2), page_size="100"))
    assert sorted(detractors) == sorted(fake.member_id(i) for i in fake.population.members(2))


def test_output_properties_choose_what_each_profile_carries(fake: MixpanelFake) -> None:
    client = Mixpanel(fake)
    page = next(client.engage(cohort(fake, 1), output_properties=json.dumps(["$email", "plan", "missing"])))
    assert page["results"] and all(set(p["$properties"]) == {"$email", "plan"} for p in page["results"])
    assert {p["$properties"]["plan"] for p in page["results"]} == {"trial"}
    refused = client.post("/api/query/engage", {"output_properties": "$email,plan"})
    assert refused.status_code == 400 and "output_properties" in refused.json()["error"]


def test_sessions_are_held_to_their_query(fake: MixpanelFake) -> None:
    client = Mixpanel(fake)
    filtered = {"filter_by_cohort": json.dumps({"id": int(cohort(fake, 0))}), "page_size": "10"}
    first = client.post("/api/query/engage", filtered).json()
    session = {"session_id": first["session_id"]}
    refusals = [
        client.post("/api/query/engage", {**filtered, "page": "1"}),
        client.post("/api/query/engage", {**filtered, "page": "1", "session_id": "feedface"}),
        client.post("/api/query/engage", {**filtered, **session, "page": "1", "page_size": "20"}),
        client.post(
            "/api/query/engage",
            {
                **filtered,
                **session,
                "page": "1",
                "filter_by_cohort": json.dumps({"id": int(cohort(fake, 1))}),
            },
        ),
    ]
    assert [r.status_code for r in refusals] == [400] * 4
    assert all(r.json()["status"] == "error" and r.json()["error"] for r in refusals)
    second = client.post("/api/query/engage", {**filtered, **session, "page": "1"}).json()
    assert second["page"] == 1 and second["session_id"] == first["session_id"]


def test_parameters_are_form_encoded_never_json(fake: MixpanelFake) -> None:
    client = Mixpanel(fake)
    as_json = client.post("/api/query/engage", json={"filter_by_cohort": {"id": int(cohort(fake, 0))}})
    assert as_json.status_code == 400 and "form-encoded" in as_json.json()["error"]
    as_query = client.session.get(
        client.base_url + "/api/query/engage",
        params={"project_id": client.project_id, "page_size": "5"},
        timeout=10,
    )
    assert as_query.status_code == 200 and len(as_query.json()["results"]) == 5
    sent = [r for r in received(fake) if r["path"] == "/api/query/engage"]
    assert sent[-1]["query"] == {"project_id": client.project_id, "page_size": "5"}


def test_wrong_credentials_and_projects_are_refused_as_mixpanel_does(fake: MixpanelFake) -> None:
    wrong = Mixpanel(fake, secret="not-the-secret").post("/api/query/cohorts/list")
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "Unable to authenticate request", "status": "error"}
    anonymous = requests.post(fake.base_url + "/api/query/cohorts/list", timeout=10)
    assert anonymous.status_code == 401
    client = Mixpanel(fake)
    assert client.post("/api/query/cohorts/list", params={}).status_code == 400
    other = client.post("/api/query/cohorts/list", params={"project_id": "1"})
    assert other.status_code == 403 and "project 1" in other.json()["error"]
    for bad in ('{"name": "x"}', "12", json.dumps({"id": 1})):
        answer = client.post("/api/query/engage", {"filter_by_cohort": bad})
        assert answer.status_code == 400, bad
    assert client.post("/api/query/engage", {"where": 'properties["plan"] == "pro"'}).status_code == 400


def test_rate_limit_after_a_burst_and_injected_faults(fake: MixpanelFake) -> None:
    client = Mixpanel(fake)
    fake.rate_limit(3, 60)
    assert [client.post("/api/query/cohorts/list").status_code for _ in range(3)] == [200] * 3
    limited = client.post("/api/query/cohorts/list")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json() == {
        "error": "Query rate limit exceeded: 3 queries per 60 seconds",
        "status": "error",
    }
    fake.reset_faults()
    fake.inject_fault(500, after=1)
    assert [client.post("/api/query/cohorts/list").status_code for _ in range(3)] == [200, 500, 200]
    fake.inject_fault(429, retry_after=7)
    assert client.post("/api/query/cohorts/list").headers["Retry-After"] == "7"
    fake.inject_fault(429)
    unspecified = client.post("/api/query/cohorts/list")
    assert unspecified.status_code == 429 and "Retry-After" not in unspecified.headers


def test_an_open_session_is_a_snapshot_and_changes_show_in_the_next(fake: MixpanelFake) -> None:
    client = Mixpanel(fake)
    ref = cohort(fake, 3)
    last = fake.member_id(list(fake.population.members(3))[-1])
    walk = client.engage(ref, page_size="10")
    seen = [p["$distinct_id"] for p in next(walk)["results"]]
    newcomer = fake.add_member(ref, {"email": "fresh@example.com"})
    fake.remove_member(ref, last)
    seen += ids(walk)
    assert newcomer not in seen and seen[-1] == last
    fake.set_email(seen[1], None)
    again = [p for page in client.engage(ref) for p in page["results"]]
    again_ids = [p["$distinct_id"] for p in again]
    assert again_ids[-1] == newcomer and last not in again_ids
    assert "$email" not in next(p for p in again if p["$distinct_id"] == seen[1])["$properties"]
    assert (
        next(p for p in again if p["$distinct_id"] == newcomer)["$properties"]["$email"]
        == "fresh@example.com"
    )


def test_twenty_thousand_members_walk_is_fast_and_small() -> None:
    with mixpanel_fake.start(members=20_000) as server:
        client = Mixpanel(server)
        started = time.perf_counter()
        tracemalloc.start()
        seen = ids(client.engage(cohort(server, 0)))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        elapsed = time.perf_counter() - started
    assert len(seen) == len(set(seen)) == 20_000
    assert elapsed < 30, f"20k walk took {elapsed:.1f}s"
    assert peak < 32 * 2**20, f"peak {peak / 2**20:.1f} MiB"
