"""The Salesforce fake's data: ids, errors and rows as Salesforce renders them (apis.md §4).

Contacts come from the generated population; Campaigns are its cohorts, their CampaignMembers
all point at Contacts (LeadId is null). Field paths resolve case-insensitively, or answer
INVALID_FIELD as Salesforce does. The query and write endpoints build on this class.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.salesforce.fake_describe import Locks
from connectors.sdk.fakes.handlers import ApiError, json_response
from connectors.sdk.fakes.population import COUNTRY_BY_CODE
from connectors.sdk.fakes.server import FakeServer

SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
STRIDE = 10**9
"""CampaignMember keys pack (campaign, contact index) into one int: campaign * STRIDE + index."""
MAX_CURSORS = 10
CONTACT_FIELDS = (
    "Id",
    "FirstName",
    "LastName",
    "Name",
    "Email",
    "MailingCountry",
    "HasOptedOutOfEmail",
    "AccountId",
    "CreatedDate",
    "LastModifiedDate",
)
MEMBER_FIELDS = (
    "Id",
    "CampaignId",
    "ContactId",
    "LeadId",
    "Status",
    "HasResponded",
    "FirstName",
    "LastName",
    "Email",
    "CreatedDate",
)
CAMPAIGN_FIELDS: tuple[str, ...] = (
    "Id",
    "Name",
    "Status",
    "Type",
    "IsActive",
    "NumberOfContacts",
    "CreatedDate",
)
LEAD_FIELDS = ("Id", "FirstName", "LastName", "Name", "Email")
RELATIONS = {
    "CampaignMember": {
        "Contact": ("Contact", "ContactId"),
        "Lead": ("Lead", "LeadId"),
        "Campaign": ("Campaign", "CampaignId"),
    }
}
READ_ONLY = frozenset({"Id", "Name", "CreatedDate", "LastModifiedDate"})
WRITABLE = {"FirstName": "first_name", "LastName": "last_name", "Email": "email", "Plan__c": "plan"}


def sf_id(prefix: str, number: int) -> str:
    """A 15-character id plus Salesforce's real 3-character case-safety suffix."""
    base = f"{prefix}Dn{number:010d}"
    chunks = (base[k : k + 5] for k in (0, 5, 10))
    return base + "".join(
        "A" if chunk.isdigit() else SUFFIX[sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())]
        for chunk in chunks
    )


def parse_id(value: str, prefix: str) -> int | None:
    if len(value) not in (15, 18) or not value.startswith(f"{prefix}Dn") or not value[5:15].isdigit():
        return None
    number = int(value[5:15])
    return number if len(value) == 15 or sf_id(prefix, number) == value else None


def sf_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def sf_error(status: int, message: str, code: str, fields: Iterable[str] = ()) -> Response:
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields:
        item["fields"] = list(fields)
    return json_response([item], status)


def check_version(version: str) -> None:
    if not re.fullmatch(r"\d{2}\.0", version):
        raise ApiError(404)


class SalesforceRows(FakeServer):
    default_rate_limit = (15_000, 86_400.0)  # rolling 24 h org allocation, as in Sforce-Limit-Info
    standard_custom_fields = frozenset({"Plan__c", "Time_Zone__c"})

    def __init__(self, *, token: str | None = None, **options: Any) -> None:
        super().__init__(tls=True, **options)
        digest = hashlib.sha256(f"salesforce-fake:{self.seed}".encode()).hexdigest()
        self.token = token or f"00DDn{self.seed:010d}!AQ{digest[:48]}"
        self.locks = Locks()

    # -- identity and dialect ---------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme in ("Bearer", "OAuth") and token == self.token

    def member_id(self, index: int) -> str:
        return sf_id("003", index)

    def member_index(self, member_id: str) -> int:
        index = parse_id(member_id, "003")
        if index is None or not self.population.exists(index):
            raise KeyError(member_id)
        return index

    def source_ref(self, cohort: int) -> str:
        return sf_id("701", cohort + 1)

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        if status == 429:  # Salesforce has no 429: an exhausted allocation is a 403
            return sf_error(403, "TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED")
        defaults = {
            401: ("Session expired or invalid", "INVALID_SESSION_ID"),
            403: ("insufficient access rights on object id", "INSUFFICIENT_ACCESS"),
            404: ("The requested resource does not exist", "NOT_FOUND"),
            405: ("HTTP Method not allowed for this resource", "METHOD_NOT_ALLOWED"),
            500: (
                "An unexpected error occurred. Please include this ErrorId if you contact support: "
                "1718238405-56789 (-1581826291)",
                "UNKNOWN_EXCEPTION",
            ),
            503: ("Server temporarily unavailable", "SERVER_UNAVAILABLE"),
        }
        default_message, default_code = defaults.get(status, ("Bad request", "INVALID_REQUEST"))
        message = default_message if status == 401 else message or default_message
        return sf_error(status, message, code or default_code)

    def decorate(self, request: Request, response: Response) -> None:
        usage = self.usage()
        response.headers["Sforce-Limit-Info"] = f"api-usage={usage.used}/{usage.limit}"

    # -- rows -------------------------------------------------------------------------------------
    def contact_fields(self) -> tuple[str, ...]:
        return CONTACT_FIELDS + tuple(sorted(self.custom_fields))

    def fields_of(self, sobject: str) -> tuple[str, ...]:
        return {
            "Contact": self.contact_fields(),
            "CampaignMember": MEMBER_FIELDS,
            "Campaign": CAMPAIGN_FIELDS,
            "Lead": LEAD_FIELDS,
        }[sobject]

    def contact_row(self, index: int) -> dict[str, Any]:
        person = self.population.person(index)
        country = COUNTRY_BY_CODE.get(person.country)
        row = {
            "Id": self.member_id(index),
            "FirstName": person.first_name,
            "LastName": person.last_name,
            "Name": f"{person.first_name} {person.last_name}",
            "Email": person.email,
            "MailingCountry": country.name if country else person.country,
            "HasOptedOutOfEmail": False,
            "AccountId": None,
            "CreatedDate": sf_time(person.created_at),
            "LastModifiedDate": sf_time(person.updated_at),
            "Plan__c": person.plan,
            "Time_Zone__c": person.time_zone,
        }
        return {**{name: None for name in self.custom_fields}, **row, **person.extra}

    def campaign_row(self, cohort: int) -> dict[str, Any]:
        first = self.population.person(0).created_at if self.population.total else None
        return {
            "Id": self.source_ref(cohort),
            "Name": self.population.cohorts[cohort].name,
            "Status": "In Progress",
            "Type": "Email",
            "IsActive": True,
            "NumberOfContacts": self.population.count(cohort),
            "CreatedDate": sf_time(first) if first else None,
        }

    def member_row(self, key: int) -> dict[str, Any]:
        cohort, index = divmod(key, STRIDE)
        contact = self.contact_row(index)
        responded = index % 7 == 0
        return {
            "Id": sf_id("00v", key),
            "CampaignId": self.source_ref(cohort),
            "ContactId": contact["Id"],
            "LeadId": None,
            "Status": "Responded" if responded else "Sent",
            "HasResponded": responded,
            "FirstName": contact["FirstName"],
            "LastName": contact["LastName"],
            "Email": contact["Email"],
            "CreatedDate": sf_time(self.population.joined_at(cohort, index)),
        }

    def row(self, sobject: str, key: int) -> dict[str, Any]:
        if sobject == "Contact":
            return self.contact_row(key)
        return self.campaign_row(key) if sobject == "Campaign" else self.member_row(key)

    def related(self, sobject: str, key: int, relation: str, row: dict[str, Any]) -> dict[str, Any] | None:
        target, id_field = RELATIONS[sobject][relation]
        if row.get(id_field) is None:
            return None
        if "." + relation not in row:  # rendered once per row, however many of its fields are selected
            row["." + relation] = (
                self.contact_row(key % STRIDE) if target == "Contact" else self.campaign_row(key // STRIDE)
            )
        related: dict[str, Any] | None = row["." + relation]
        return related

    def value(self, sobject: str, key: int, field: str, row: dict[str, Any]) -> Any:
        if "." not in field:
            return row.get(field)
        relation, name = field.split(".", 1)
        related = self.related(sobject, key, relation, row)
        return None if related is None else related.get(name)

    # -- queries ----------------------------------------------------------------------------------
    def canonical(self, sobject: str, field: str) -> str:
        """Resolve a field path case-insensitively, or answer INVALID_FIELD as Salesforce does."""
        relation, _, name = field.rpartition(".")
        entity = sobject
        prefix = ""
        if relation:
            relations = {r.lower(): r for r in RELATIONS.get(sobject, {})}
            if relation.lower() not in relations:
                raise ApiError(
                    400,
                    f"Didn't understand relationship '{relation}' in field path. If you are "
                    "attempting to use a custom relationship, be sure to append the '__r'",
                    "INVALID_FIELD",
                )
            prefix = relations[relation.lower()] + "."
            entity = RELATIONS[sobject][relations[relation.lower()]][0]
        names = {f.lower(): f for f in self.fields_of(entity)}
        if name.lower() not in names:
            raise ApiError(
                400,
                f"No such column '{name}' on entity '{entity}'. If you are attempting to use a "
                "custom field, be sure to append the '__c' after the custom field name.",
                "INVALID_FIELD",
            )
        return prefix + names[name.lower()]
