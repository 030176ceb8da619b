"""HubSpot and Salesforce `update_fields` against their fakes, through hubspot-api-client and
simple-salesforce: one request per batch, per-record answers, whole-request failures raised."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from connectors.hubspot import fake as hubspot_fake
from connectors.hubspot.fake import HubSpotFake
from connectors.registry import get_connector
from connectors.salesforce import fake as salesforce_fake
from connectors.salesforce.fake import SalesforceFake
from connectors.sdk import ConfigError, RateLimited, TransientError
from connectors.sdk.actions import Destination, Done, Rejected
from connectors.sdk.spec import Capability
from tests.actions.conftest import action
from tests.fakes.support import calls, received

HUBSPOT, SALESFORCE = get_connector("hubspot"), get_connector("salesforce")
FIELDS = {"jh_themes": "pricing, onboarding", "jh_sentiment": "negative", "jh_quality": "4"}


def destination(connector: Any) -> Destination:
    assert connector.actions is not None and Capability.ACTIONS in connector.spec.capabilities
    found: Destination = connector.actions
    return found


@pytest.fixture
def hubspot() -> Iterator[HubSpotFake]:
    with hubspot_fake.start(members=300, seed=3, custom_fields=list(FIELDS)) as server:
        yield server


@pytest.fixture
def salesforce() -> Iterator[SalesforceFake]:
    names = ["Themes__c", "Sentiment__c", "Quality__c"]
    with salesforce_fake.start(members=450, seed=3, custom_fields=names) as server:
        yield server


def hs_config(fake: HubSpotFake) -> dict[str, Any]:
    return HUBSPOT.prepare_config(fake.credentials)


def sf_config(fake: SalesforceFake) -> dict[str, Any]:
    return SALESFORCE.prepare_config(fake.credentials)


def hs_action(fake: HubSpotFake, index: int, **fields: str) -> Any:
    return action(
        f"k{index}", identities={"hubspot_contact": f"4:{fake.member_id(index)}"}, fields=fields or FIELDS
    )


def test_hubspot_writes_250_contacts_in_three_batch_updates(
    outbound_app: Flask, hubspot: HubSpotFake
) -> None:
    dest = destination(HUBSPOT)
    actions = [hs_action(hubspot, i) for i in range(250)]
    answers: dict[str, Any] = {}
    for start in range(0, len(actions), dest.batch_size):
        answers |= dest.perform(hs_config(hubspot), actions[start : start + dest.batch_size])
    assert dest.batch_size == 100
    assert calls(hubspot) == [("POST", "/crm/v3/objects/contacts/batch/update")] * math.ceil(250 / 100)
    assert all(isinstance(a, Done) for a in answers.values()) and len(answers) == 250
    assert hubspot.person(hubspot.member_id(249)).extra["jh_themes"] == "pricing, onboarding"
    assert answers["k5"] == Done(ref=hubspot.member_id(5), detail={"by": "id", "properties": sorted(FIELDS)})


def test_hubspot_addresses_by_email_and_merges_one_contacts_actions(
    outbound_app: Flask, hubspot: HubSpotFake
) -> None:
    email = str(hubspot.person(hubspot.member_id(8)).email)
    actions = [
        action("a", email=email.upper(), fields={"jh_sentiment": "positive", "jh_quality": "5"}),
        action("b", email=email, fields={"jh_quality": "3"}),
        hs_action(hubspot, 9),
    ]
    answers = destination(HUBSPOT).perform(hs_config(hubspot), actions)
    (sent,) = received(hubspot)
    inputs = sent["json"]["inputs"]
    assert len(inputs) == 2
    assert inputs[0] == {
        "id": email.lower(),
        "idProperty": "email",
        "properties": {"jh_sentiment": "positive", "jh_quality": "3"},
    }
    assert hubspot.person(hubspot.member_id(8)).extra["jh_quality"] == "3"
    assert all(isinstance(answers[k], Done) for k in "ab")


def test_hubspot_multi_status_rejects_only_the_missing_contacts(
    outbound_app: Flask, hubspot: HubSpotFake
) -> None:
    actions = [
        hs_action(hubspot, 1),
        action("gone", identities={"hubspot_contact": "4:999999"}, fields=FIELDS),
        action("nobody", email="nobody@nowhere.example", fields=FIELDS),
        action("unknown", fields=FIELDS),
    ]
    answers = destination(HUBSPOT).perform(hs_config(hubspot), actions)
    assert isinstance(answers["k1"], Done)
    for key in ("gone", "nobody"):
        rejected = answers[key]
        assert isinstance(rejected, Rejected) and not rejected.retry
        assert "Could not get some CONTACT objects" in rejected.error
    assert answers["unknown"] == Rejected("the person has no HubSpot contact id or email")
    assert len(received(hubspot)) == 1


def test_hubspot_whole_request_failures_are_raised(outbound_app: Flask, hubspot: HubSpotFake) -> None:
    dest, config, batch = destination(HUBSPOT), hs_config(hubspot), [hs_action(hubspot, 2)]
    hubspot.inject_fault(429, retry_after=7)
    with pytest.raises(RateLimited) as limited:
        dest.perform(config, batch)
    assert limited.value.retry_after == 7
    hubspot.inject_fault(503)
    with pytest.raises(TransientError):
        dest.perform(config, batch)
    with pytest.raises(ConfigError):
        dest.perform({**config, "access_token": "wrong"}, batch)
    with pytest.raises(ConfigError, match="does not exist"):
        dest.perform(config, [hs_action(hubspot, 2, no_such_property="x")])
    assert len(received(hubspot)) == 4  # each sent once: the outbox, not the destination, retries


def test_hubspot_lists_writable_contact_properties(outbound_app: Flask, hubspot: HubSpotFake) -> None:
    names = destination(HUBSPOT).fields(hs_config(hubspot), "update_fields")
    assert names is not None
    assert {"email", "firstname", "plan", *FIELDS} <= set(names)
    assert not {"hs_object_id", "createdate", "lastmodifieddate"} & set(names)
    assert calls(hubspot) == [("GET", "/crm/v3/properties/contacts")]


def sf_action(fake: SalesforceFake, index: int) -> Any:
    fields = {"Themes__c": "pricing", "Sentiment__c": "negative", "Quality__c": "4"}
    return action(f"k{index}", identities={"salesforce_contact": f"4:{fake.member_id(index)}"}, fields=fields)


def test_salesforce_writes_450_contacts_in_three_collections(
    outbound_app: Flask, salesforce: SalesforceFake
) -> None:
    dest = destination(SALESFORCE)
    actions = [sf_action(salesforce, i) for i in range(450)]
    answers: dict[str, Any] = {}
    for start in range(0, len(actions), dest.batch_size):
        answers |= dest.perform(sf_config(salesforce), actions[start : start + dest.batch_size])
    assert dest.batch_size == 200
    assert [c for c in calls(salesforce)] == [("PATCH", "/services/data/v59.0/composite/sobjects")] * 3
    assert all(isinstance(a, Done) for a in answers.values()) and len(answers) == 450
    assert salesforce.person(salesforce.member_id(449)).extra["Sentiment__c"] == "negative"
    body = received(salesforce)[0]["json"]
    assert body["allOrNone"] is False
    assert body["records"][0] == {
        "attributes": {"type": "Contact"},
        "id": salesforce.member_id(0),
        "Themes__c": "pricing",
        "Sentiment__c": "negative",
        "Quality__c": "4",
    }


def test_salesforce_rejects_records_by_record_and_retries_only_locked_ones(
    outbound_app: Flask, salesforce: SalesforceFake
) -> None:
    dest, config = destination(SALESFORCE), sf_config(salesforce)
    email = str(salesforce.person(salesforce.member_id(6)).email)
    salesforce.lock([salesforce.member_id(2)])
    actions = [
        sf_action(salesforce, 1),
        sf_action(salesforce, 2),
        action("gone", identities={"salesforce_contact": "4:003000000000999ZZZ"}, fields={"Themes__c": "x"}),
        action("by-email", email=email, fields={"Quality__c": "2"}),
        action(
            "readonly",
            identities={"salesforce_contact": f"4:{salesforce.member_id(3)}"},
            fields={"CreatedDate": "x"},
        ),
    ]
    answers = dest.perform(config, actions)
    assert isinstance(answers["k1"], Done) and isinstance(answers["by-email"], Done)
    locked, gone, readonly = answers["k2"], answers["gone"], answers["readonly"]
    assert isinstance(locked, Rejected) and locked.retry and "UNABLE_TO_LOCK_ROW" in locked.error
    assert (
        isinstance(readonly, Rejected)
        and not readonly.retry
        and "INVALID_FIELD_FOR_INSERT_UPDATE" in readonly.error
    )
    assert isinstance(gone, Rejected) and not gone.retry
    assert salesforce.person(salesforce.member_id(6)).extra["Quality__c"] == "2"
    assert [m for m, _ in calls(salesforce)] == ["GET", "PATCH"]  # the email lookup, then one collection
    retried = dest.perform(config, [actions[1]])
    assert isinstance(retried["k2"], Done)


def test_salesforce_whole_request_failures_are_raised(
    outbound_app: Flask, salesforce: SalesforceFake
) -> None:
    dest, config, batch = destination(SALESFORCE), sf_config(salesforce), [sf_action(salesforce, 2)]
    salesforce.inject_fault(429)
    with pytest.raises(RateLimited):
        dest.perform(config, batch)
    salesforce.inject_fault(503)
    with pytest.raises(TransientError):
        dest.perform(config, batch)
    with pytest.raises(ConfigError):
        dest.perform({**config, "access_token": "wrong"}, batch)


def test_salesforce_lists_updateable_contact_fields(outbound_app: Flask, salesforce: SalesforceFake) -> None:
    names = destination(SALESFORCE).fields(sf_config(salesforce), "update_fields")
    assert names is not None
    assert {"Email", "FirstName", "Themes__c", "Plan__c"} <= set(names)
    assert not {"Id", "Name", "CreatedDate"} & set(names)
    assert calls(salesforce) == [("GET", "/services/data/v59.0/sobjects/Contact/describe")]
