"""Salesforce cohorts: the members of a Campaign, or the rows of a SOQL query a person wrote.

A campaign member is the person behind it (its Contact or Lead), so the member ref is that
id and a person on a campaign twice (as Lead and as Contact) stays two members, as
Salesforce counts them. A query's rows identify by their own Id and object type; rows that
carry no identity the hub knows are skipped and counted, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.salesforce.client import MAX_BATCH, SalesforceClient
from connectors.salesforce.kinds import SALESFORCE_CONTACT, SALESFORCE_LEAD
from connectors.sdk import (
    EMAIL,
    CohortInfo,
    ConfigError,
    ErrorResolution,
    FailureType,
    Member,
    ResponseAction,
)

CAMPAIGN_ID = re.compile(r"701[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
MEMBER_FIELDS = "Id, ContactId, LeadId, Email, FirstName, LastName, Status"
KIND_OF_OBJECT = {"Contact": SALESFORCE_CONTACT.name, "Lead": SALESFORCE_LEAD.name}
NOT_TRAITS = frozenset({"Id", "Email", "ContactId", "LeadId"})
_BAD_REF = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "not a cohort Salesforce can list")


def soql_for(source_ref: str) -> str:
    """Campaign ids are checked by shape before they reach SOQL, so a ref cannot change the query."""
    ref = source_ref.strip()
    if ref[:7].upper() == "SELECT ":
        return ref
    if CAMPAIGN_ID.fullmatch(ref):
        return f"SELECT {MEMBER_FIELDS} FROM CampaignMember WHERE CampaignId = '{ref}'"  # noqa: S608 - ref is letters and digits only
    raise ConfigError(
        f"{ref!r} is neither a Campaign id (701…) nor a SOQL query starting with SELECT", resolution=_BAD_REF
    )


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"Contact": {"Plan__c": "pro"}}` becomes `{"Contact.Plan__c": "pro"}`; `attributes` are dropped."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, Mapping):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def to_member(record: Mapping[str, Any]) -> Member:
    fields = flatten(record)
    object_type = str((record.get("attributes") or {}).get("type") or "")
    identities: dict[str, Any] = {EMAIL.name: fields.get("Email")}
    if object_type == "CampaignMember":
        identities |= {
            SALESFORCE_CONTACT.name: fields.get("ContactId"),
            SALESFORCE_LEAD.name: fields.get("LeadId"),
        }
        ref = fields.get("ContactId") or fields.get("LeadId") or fields.get("Id")
    else:
        if object_type in KIND_OF_OBJECT:
            identities[KIND_OF_OBJECT[object_type]] = fields.get("Id")
        ref = fields.get("Id")
    if not ref:
        raise ConfigError("the cohort's query must select Id", resolution=_BAD_REF)
    traits = {name: value for name, value in fields.items() if name not in NOT_TRAITS}
    return Member(ref=str(ref), identities=identities, traits=traits)


class SalesforceSource:
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        client = SalesforceClient(config)
        soql = "SELECT Id, Name, NumberOfContacts FROM Campaign"
        return [
            CohortInfo(source_ref=str(row["Id"]), name=str(row["Name"]), size=row.get("NumberOfContacts"))
            for page in client.query_pages(soql)
            for row in page
        ]

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        soql = soql_for(source_ref)
        client = SalesforceClient(config)
        for page in client.query_pages(soql, int(config.get("page_size") or MAX_BATCH)):
            yield [to_member(record) for record in page]
