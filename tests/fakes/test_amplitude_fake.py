"""The Amplitude fake through plain ``requests``: the three-step cohort download as Amplitude serves it."""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from connectors.amplitude import fake as amplitude_fake
from connectors.amplitude.fake import USER_PROPERTIES, AmplitudeFake


class Amplitude:
    """Basic auth with the project's API key and secret key, as every cohort API call needs."""

    def __init__(self, fake: AmplitudeFake, secret: str | None = None) -> None:
        self.base_url = fake.base_url
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (fake.api_key, secret or fake.token)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=10, **kwargs)

    def export(self, cohort_id: str, **params: Any) -> str:
        """A finished export's request id, after polling its status to completion."""
        started = self.get(f"/api/5/cohorts/request/{cohort_id}", params=params)
        assert started.status_code == 202, started.text
        request_id = str(started.json()["request_id"])
        while self.get(f"/api/5/cohorts/request-status/{request_id}").status_code == 202:
            pass
        return request_id


def rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


@pytest.fixture
def fake() -> Iterator[AmplitudeFake]:
    with amplitude_fake.start(members=600, seed=9, ready_after=2) as server:
        yield server


def cohort(fake: AmplitudeFake, position: int) -> str:
    return str(fake.cohorts()[position]["source_ref"])


def test_describe_and_cohorts_list(fake: AmplitudeFake) -> None:
    described = json.loads(json.dumps(fake.describe()))
    assert set(described["credentials"]) == {"base_url", "api_key", "secret_key"}
    listed = Amplitude(fake).get("/api/3/cohorts").json()["cohorts"]
    assert [(c["id"], c["name"], c["size"]) for c in listed] == [
        (c["source_ref"], c["name"], c["members"]) for c in described["cohorts"]
    ]
    assert {"appId", "archived", "definition", "owners", "published", "lastComputed", "type"} <= set(
        listed[0]
    )


def test_a_download_takes_three_steps_and_the_job_becomes_ready_after_polls(fake: AmplitudeFake) -> None:
    client = Amplitude(fake)
    ref = cohort(fake, 2)
    started = client.get(f"/api/5/cohorts/request/{ref}", params=[("props", "1"), ("propKeys", "email")])
    assert started.status_code == 202 and started.json()["cohort_id"] == ref
    request_id = started.json()["request_id"]
    too_early = client.get(f"/api/5/cohorts/request/{request_id}/file")
    assert too_early.status_code == 400 and "poll" in too_early.json()["error"]
    answers = [client.get(f"/api/5/cohorts/request-status/{request_id}") for _ in range(3)]
    assert [(a.status_code, a.json()["async_status"]) for a in answers] == [
        (202, "JOB INPROGRESS"),
        (202, "JOB INPROGRESS"),
        (200, "JOB COMPLETED"),
    ]
    assert answers[0].json() == {"request_id": request_id, "cohort_id": ref, "async_status": "JOB INPROGRESS"}
    small = client.get(f"/api/5/cohorts/request/{request_id}/file")
    assert small.status_code == 200 and small.headers["Content-Encoding"] == "gzip"
    table = rows(small.content)
    assert table[0] == ["amplitude_id", "user_id", "email"]
    assert sorted(r[0] for r in table[1:]) == sorted(fake.member_id(i) for i in fake.population.members(2))
    raw = client.get(f"/api/5/cohorts/request/{request_id}/file", stream=True).raw.read(decode_content=False)
    assert raw.startswith(b"\x1f\x8b") and gzip.decompress(raw).startswith(
        b'"amplitude_id","user_id","email"\n'
    )


def test_file_columns_follow_props_and_prop_keys(fake: AmplitudeFake) -> None:
    client = Amplitude(fake)
    ref = cohort(fake, 3)
    ids_only = rows(client.get(f"/api/5/cohorts/request/{client.export(ref)}/file").content)
    assert ids_only[0] == ["amplitude_id", "user_id"]
    every = rows(client.get(f"/api/5/cohorts/request/{client.export(ref, props='1')}/file").content)
    assert every[0] == ["amplitude_id", "user_id", *USER_PROPERTIES]
    chosen = client.export(ref, props="1", propKeys="plan,email")
    picked = rows(client.get(f"/api/5/cohorts/request/{chosen}/file").content)
    assert picked[0] == ["amplitude_id", "user_id", "plan", "email"]
    anonymous = [r for r in picked[1:] if (int(r[0]) - amplitude_fake.ID_BASE) % 7 == 3]
    assert all(r[1] == "" for r in anonymous) and all(
        r[1].startswith("user-") for r in picked[1:] if r not in anonymous
    )


def test_large_files_redirect_to_storage_that_refuses_credentials_and_expires() -> None:
    with amplitude_fake.start(members=300, seed=2, inline_limit=50, link_ttl_s=2) as fake:
        client = Amplitude(fake)
        request_id = client.export(cohort(fake, 0), props="1", propKeys="email")
        moved = client.get(f"/api/5/cohorts/request/{request_id}/file", allow_redirects=False)
        assert moved.status_code == 302
        link = moved.headers["Location"]
        assert urlsplit(link).port != urlsplit(fake.base_url).port and "X-Amz-Signature=" in link
        with_auth = requests.get(link, auth=(fake.api_key, fake.token), timeout=10)
        assert with_auth.status_code == 400 and "<Code>InvalidArgument</Code>" in with_auth.text
        tampered = requests.get(link.replace("X-Amz-Expires=2", "X-Amz-Expires=99"), timeout=10)
        assert tampered.status_code == 403 and "SignatureDoesNotMatch" in tampered.text
        fetched = requests.get(link, timeout=10)
        assert fetched.status_code == 200 and fetched.headers["Content-Encoding"] == "gzip"
        assert len(rows(fetched.content)) == 301
        time.sleep(3.1)
        expired = requests.get(link, timeout=10)
        assert expired.status_code == 403 and "Request has expired" in expired.text
        fresh = client.get(f"/api/5/cohorts/request/{request_id}/file")
        assert fresh.status_code == 200 and len(rows(fresh.content)) == 301
        fake.bucket.expire_next_links(1)
        stale = client.get(f"/api/5/cohorts/request/{request_id}/file")
        assert stale.status_code == 403
        assert [status for _, status in fake.bucket.log] == [400, 403, 200, 403, 200, 403]


def test_a_finished_export_is_frozen_and_a_new_one_sees_changes(fake: AmplitudeFake) -> None:
    client = Amplitude(fake)
    ref = cohort(fake, 1)
    request_id = client.export(ref)
    before = [r[0] for r in rows(client.get(f"/api/5/cohorts/request/{request_id}/file").content)[1:]]
    newcomer = fake.add_member(ref)
    fake.remove_member(ref, before[0])
    again = [r[0] for r in rows(client.get(f"/api/5/cohorts/request/{request_id}/file").content)[1:]]
    assert again == before
    fresh = [r[0] for r in rows(client.get(f"/api/5/cohorts/request/{client.export(ref)}/file").content)[1:]]
    assert fresh[-1] == newcomer and before[0] not in fresh


def test_gz_file_format_serves_a_compressed_body() -> None:
    with amplitude_fake.start(members=20, file_format="gz") as fake:
        client = Amplitude(fake)
        answer = client.get(f"/api/5/cohorts/request/{client.export(cohort(fake, 0))}/file")
    assert "Content-Encoding" not in answer.headers and answer.headers["Content-Type"] == "application/gzip"
    assert len(rows(gzip.decompress(answer.content))) == 21


def test_errors_in_amplitudes_dialect(fake: AmplitudeFake) -> None:
    wrong = Amplitude(fake, secret="not-the-secret").get("/api/3/cohorts")
    assert wrong.status_code == 401 and wrong.json() == {"error": "Invalid API key or secret key"}
    client = Amplitude(fake)
    assert client.get("/api/5/cohorts/request/nosuchcohort").status_code == 404
    assert client.get("/api/5/cohorts/request-status/nosuchrequest").status_code == 404
    fake.rate_limit(2, 600)
    assert [client.get("/api/3/cohorts").status_code for _ in range(3)] == [200, 200, 429]
    limited = client.get("/api/3/cohorts")
    assert "Retry-After" not in limited.headers and "60 single-cohort requests" in limited.json()["error"]
    fake.reset_faults()
    fake.inject_fault(503, times=2)
    assert [client.get("/api/3/cohorts").status_code for _ in range(3)] == [503, 503, 200]


def test_a_broken_download_stops_mid_file_then_the_next_requests_fail() -> None:
    with amplitude_fake.start(members=50, seed=4) as fake:
        client = Amplitude(fake)
        request_id = client.export(cohort(fake, 0))
        fake.break_download(12, 500, times=2)
        broken = client.get(f"/api/5/cohorts/request/{request_id}/file", stream=True)
        received = b""
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for chunk in broken.iter_content(1024):
                received += chunk
        assert len(rows(received)) == 13, "the header and every row sent before the cut arrive whole"
        assert [client.get(f"/api/5/cohorts/request/{request_id}/file").status_code for _ in range(3)] == [
            500,
            500,
            200,
        ]
