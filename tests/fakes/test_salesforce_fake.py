"""The Salesforce fake over HTTPS, driven through simple-salesforce as the connector will drive it."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.salesforce import fake as salesforce_fake
from connectors.salesforce.fake import SalesforceFake
from connectors.salesforce.fake_rows import parse_id
from tests.fakes.support import calls, received


@pytest.fixture
def fake() -> Iterator[SalesforceFake]:
    with salesforce_fake.start(members=2300, seed=3) as server:
        yield server


def client_for(fake: SalesforceFake, token: str | None = None) -> Salesforce:
    """trust_env=False: REQUESTS_CA_BUNDLE in the environment would otherwise override session.verify."""
    session = requests.Session()
    session.verify = fake.credentials["ca_bundle"]
    session.trust_env = False
    return Salesforce(
        instance_url=fake.credentials["base_url"],
        session_id=token or fake.credentials["access_token"],
        version="59.0",
        session=session,
    )


def campaign(fake: SalesforceFake, position: int) -> str:
    return str(fake.cohorts()[position]["source_ref"])


def walk(sf: Salesforce, soql: str, **kwargs: Any) -> tuple[list[dict[str, Any]], int]:
    result = sf.query(soql, **kwargs)
    records, batches = list(result["records"]), 1
    while not result["done"]:
        result = sf.query_more(result["nextRecordsUrl"], identifier_is_url=True, **kwargs)
        records += result["records"]
        batches += 1
    assert result["totalSize"] == len(records)
    return records, batches


def where(select_from: str, field: str, value: str) -> str:
    """Append one equality filter, quoting the value as SOQL string literals require."""
    quoted = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"{select_from} WHERE {field} = '{quoted}'"


def members_query(campaign_id: str) -> str:
    select = "SELECT Id, ContactId, LeadId, Status, Contact.Email, Contact.FirstName FROM CampaignMember"
    return where(select, "CampaignId", campaign_id)


def test_credentials_and_cohorts_for_the_cli(fake: SalesforceFake) -> None:
    described = json.loads(json.dumps(fake.describe()))
    assert described["base_url"].startswith("https://127.0.0.1:")
    assert set(described["credentials"]) == {"base_url", "access_token", "ca_bundle"}
    assert described["cohorts"][0] == {
        "source_ref": campaign(fake, 0),
        "name": "All customers",
        "members": 2300,
    }
    assert all(parse_id(c["source_ref"], "701") for c in described["cohorts"])


def test_query_walk_sees_every_campaign_member_once(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    records, batches = walk(sf, members_query(campaign(fake, 0)))
    assert batches == 2  # 2000 + 300: Salesforce's default batch size
    contacts = [r["ContactId"] for r in records]
    assert len(contacts) == len(set(contacts)) == 2300
    first = records[0]
    assert first["attributes"]["type"] == "CampaignMember"
    assert first["LeadId"] is None and first["Contact"]["attributes"]["type"] == "Contact"
    assert first["Contact"]["Email"].endswith("@example.com")
    small, small_batches = walk(
        sf, members_query(campaign(fake, 2)), headers={"Sforce-Query-Options": "batchSize=200"}
    )
    assert len(small) == fake.cohorts()[2]["members"] and small_batches == -(-len(small) // 200)
    assert sf.query(where("SELECT COUNT() FROM CampaignMember", "CampaignId", campaign(fake, 1))) == {
        "totalSize": fake.cohorts()[1]["members"],
        "done": True,
        "records": [],
    }


def test_campaign_name_and_contact_records(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    found = sf.Campaign.get(campaign(fake, 1))
    assert (found["Name"], found["attributes"]["type"]) == ("Trial users", "Campaign")
    member = walk(sf, members_query(campaign(fake, 1)))[0][0]
    contact = sf.Contact.get(member["ContactId"])
    assert contact["Plan__c"] == "trial" and contact["Email"] == member["Contact"]["Email"]
    assert contact["Id"] == member["ContactId"] and len(contact["Id"]) == 18
    with pytest.raises(SalesforceResourceNotFound):
        sf.Campaign.get("701Dn0000000099IAA")


def test_bad_session_is_invalid_session_id(fake: SalesforceFake) -> None:
    with pytest.raises(SalesforceExpiredSession) as caught:
        client_for(fake, "00Dwrong!AQ").query("SELECT Id FROM Contact LIMIT 1")
    assert caught.value.status == 401
    assert caught.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_limits_are_403_request_limit_exceeded_with_usage_header(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    fake.rate_limit(2, 60)
    sf.query("SELECT Id FROM Contact LIMIT 1")
    sf.query("SELECT Id FROM Contact LIMIT 1")
    assert (sf.api_usage["api-usage"].used, sf.api_usage["api-usage"].total) == (2, 2)
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Contact LIMIT 1")
    assert caught.value.status == 403
    assert caught.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    fake.reset_faults()
    fake.inject_fault(429)
    with pytest.raises(SalesforceRefusedRequest) as injected:
        sf.query("SELECT Id FROM Contact LIMIT 1")
    assert injected.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    sf.query("SELECT Id FROM Contact LIMIT 1")
    assert sf.api_usage["api-usage"].total == 15_000


def test_injected_server_errors_then_recovery_mid_walk(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    first = sf.query(members_query(campaign(fake, 0)))
    fake.inject_fault(500)
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert caught.value.status == 500 and caught.value.content[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    fake.inject_fault(503)
    with pytest.raises(SalesforceGeneralError) as unavailable:
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert unavailable.value.status == 503
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)  # the cursor survives the errors
    assert rest["done"] and len(first["records"]) + len(rest["records"]) == 2300
    assert (
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True) == rest
    )  # a lost page can be re-read


def test_added_and_removed_members_and_missing_email(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    target = campaign(fake, 3)
    before = [r["ContactId"] for r in walk(sf, members_query(target))[0]]
    newcomer = fake.add_member(target, {"first_name": "Nova", "email": None})
    fake.remove_member(target, before[0])
    fake.set_email(before[1], None)
    records = walk(sf, members_query(target))[0]
    by_contact = {r["ContactId"]: r for r in records}
    assert newcomer in by_contact and before[0] not in by_contact
    assert by_contact[newcomer]["Contact"] == {
        "attributes": {"type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{newcomer}"},
        "Email": None,
        "FirstName": "Nova",
    }
    assert by_contact[before[1]]["Contact"]["Email"] is None
    with_email = walk(sf, members_query(target) + " AND Contact.Email != null")[0]
    assert {r["ContactId"] for r in with_email} == set(by_contact) - {newcomer, before[1]}


def test_strict_soql_subset(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    for soql, code in (
        ("SELECT Id FRM Contact", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE Email LIKE 'a%'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE", "MALFORMED_QUERY"),
        ("SELECT Shoe_Size__c FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM Opportunity", "INVALID_TYPE"),
    ):
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.query(soql)
        assert caught.value.content[0]["errorCode"] == code, soql
    one = sf.query("select id, email from contact where plan__c = 'TRIAL' order by CreatedDate desc limit 3")
    assert one["totalSize"] == 3 and list(one["records"][0]) == ["attributes", "Id", "Email"]
    email = one["records"][0]["Email"]
    exact = sf.query(where("SELECT Id FROM Contact", "Email", email))
    assert [r["Id"] for r in exact["records"]] == [one["records"][0]["Id"]]


def test_updates_single_and_collection(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    first, second = (r["Id"] for r in sf.query("SELECT Id FROM Contact LIMIT 2")["records"])
    assert sf.Contact.update(first, {"Plan__c": "enterprise", "FirstName": "Rita"}) == 204
    assert (fake.person(first).plan, fake.person(first).first_name) == ("enterprise", "Rita")
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Contact.update(first, {"Research_Theme__c": "pricing"})
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    fake.define_field("Research_Theme__c")
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Contact"}, "id": first, "Research_Theme__c": "pricing"},
            {"attributes": {"type": "Contact"}, "id": "003Dn9999999999IAA", "Research_Theme__c": "x"},
            {"attributes": {"type": "Contact"}, "id": second, "Name": "Read Only"},
        ],
    }
    results = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert [r["success"] for r in results] == [True, False, False]
    assert results[0]["id"] == first
    assert [r["errors"][0]["statusCode"] for r in results[1:]] == [
        "ENTITY_IS_DELETED",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
    ]
    assert sf.Contact.get(first)["Research_Theme__c"] == "pricing"
    body["allOrNone"] = True
    body["records"][0]["Research_Theme__c"] = "rolled back"
    rolled = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.Contact.get(first)["Research_Theme__c"] == "pricing"


def test_only_a_few_query_cursors_stay_open(fake: SalesforceFake) -> None:
    sf = client_for(fake)
    oldest = sf.query(members_query(campaign(fake, 0)))
    for _ in range(10):
        sf.query(members_query(campaign(fake, 0)))
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more(oldest["nextRecordsUrl"], identifier_is_url=True)
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_tls_is_real(fake: SalesforceFake) -> None:
    plain = requests.Session()
    plain.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        plain.get(f"{fake.base_url}/services/data/v59.0/query", params={"q": "SELECT Id FROM Contact"})
    assert calls(fake) == []  # refused during the handshake, before any HTTP
    client_for(fake).query("SELECT Id FROM Contact LIMIT 1")
    assert received(fake) == [
        {
            "method": "GET",
            "path": "/services/data/v59.0/query/",
            "query": {"q": "SELECT Id FROM Contact LIMIT 1"},
            "json": None,
        }
    ]


def test_ten_thousand_members_walk_is_fast_and_small() -> None:
    with salesforce_fake.start(members=10_000) as server:
        sf = client_for(server)
        started = time.perf_counter()
        records, batches = walk(sf, members_query(campaign(server, 0)))
        elapsed = time.perf_counter() - started
        assert len({r["ContactId"] for r in records}) == 10_000 and batches == 5
        assert elapsed < 30, f"10k walk took {elapsed:.1f}s"
        del records
        tracemalloc.start()
        detractors, _ = walk(sf, members_query(campaign(server, 2)))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert len(detractors) == server.cohorts()[2]["members"]
    assert peak < 32 * 2**20, f"peak {peak / 2**20:.1f} MiB"
