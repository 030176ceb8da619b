"""Salesforce REST imitation: SOQL query paging, Campaign, Contact and collections (apis.md §4).

Always HTTPS: simple-salesforce builds ``https://`` URLs itself, so clients pass the fake's
``ca_bundle`` as ``session.verify``. Campaigns are the cohorts, their CampaignMembers all
point at Contacts (LeadId is null). Only a small, strict SOQL subset is understood; the rest
answers ``MALFORMED_QUERY`` rather than guessing. Rate limiting follows Salesforce: past the
allocation the answer is **403** ``REQUEST_LIMIT_EXCEEDED``, so ``inject_fault(429)`` and
``rate_limit()`` produce that 403 form, never a 429. Query cursors are snapshots taken at
query time; only the ten newest stay open (older ones answer ``INVALID_QUERY_LOCATOR``), and
``Sforce-Query-Options: batchSize=N`` (200-2000) is honoured.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.salesforce.fake_describe import Locks, describe
from connectors.salesforce.soql import Query, parse_soql, sort_key
from connectors.sdk.fakes.population import COUNTRY_BY_CODE
from connectors.sdk.fakes.server import ApiError, FakeServer, json_response, read_json

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


@dataclass(slots=True)
class Cursor:
    query: Query
    keys: array[int]


class SalesforceFake(FakeServer):
    default_rate_limit = (15_000, 86_400.0)  # rolling 24 h org allocation, as in Sforce-Limit-Info
    standard_custom_fields = frozenset({"Plan__c", "Time_Zone__c"})

    def __init__(self, *, token: str | None = None, batch_size: int = 2000, **options: Any) -> None:
        super().__init__(tls=True, **options)
        digest = hashlib.sha256(f"salesforce-fake:{self.seed}".encode()).hexdigest()
        self.token = token or f"00DDn{self.seed:010d}!AQ{digest[:48]}"
        self.batch_size = batch_size
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._cursor_serial = 0
        self.locks = Locks()

    def routes(self) -> list[Rule]:
        base = "/services/data/v<version>"
        return [
            Rule(f"{base}/<any(query, queryAll):kind>", methods=["GET"], endpoint="query"),
            Rule(f"{base}/<any(query, queryAll):kind>/<cursor>", methods=["GET"], endpoint="query_more"),
            Rule(f"{base}/sobjects/<sobject>/describe", methods=["GET"], endpoint="describe_sobject"),
            Rule(f"{base}/sobjects/<sobject>/<record_id>", methods=["GET"], endpoint="get_record"),
            Rule(f"{base}/sobjects/Contact/<record_id>", methods=["PATCH"], endpoint="update_contact"),
            Rule(f"{base}/composite/sobjects", methods=["PATCH"], endpoint="update_collection"),
        ]

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

    def resolve(self, query: Query) -> Query:
        sobject = {name.lower(): name for name in ("Contact", "CampaignMember", "Campaign")}.get(
            query.sobject.lower()
        )
        if sobject is None:
            raise ApiError(400, f"sObject type '{query.sobject}' is not supported.", "INVALID_TYPE")
        return replace(query, sobject=sobject).resolved(lambda f: self.canonical(sobject, f))

    def candidates(self, query: Query) -> Iterable[int]:
        pins: dict[str, str] = {}
        for condition in query.where:
            if condition.op == "=" and isinstance(condition.value, str):
                pins.setdefault(condition.field, condition.value)
        if query.sobject == "Campaign":
            return range(len(self.population.cohorts))
        if query.sobject == "Contact":
            if "Id" in pins:
                index = parse_id(pins["Id"], "003")
                return [index] if index is not None and self.population.exists(index) else []
            if "Email" in pins:
                index = self.population.index_of_email(pins["Email"])
                return [] if index is None else [index]
            return range(self.population.total)
        campaigns = range(len(self.population.cohorts))
        if "CampaignId" in pins:
            number = parse_id(pins["CampaignId"], "701")
            campaigns = (
                range(number - 1, number) if number and number <= len(self.population.cohorts) else range(0)
            )
        return (c * STRIDE + i for c in campaigns for i in self.population.members(c))

    def execute(self, query: Query) -> array[int]:
        keys = array("q")
        campaign_pin = next(
            (
                c
                for c in query.where
                if query.sobject == "CampaignMember"
                and c.field == "CampaignId"
                and c.op == "="
                and isinstance(c.value, str)
            ),
            None,
        )
        rest = [c for c in query.where if c is not campaign_pin]  # candidates() already applied the pin
        for key in self.candidates(query):
            if rest:
                row = self.row(query.sobject, key)
                if not all(c.test(self.value(query.sobject, key, c.field, row)) for c in rest):
                    continue
            keys.append(key)
        if query.order_by:
            field, descending = query.order_by
            ordered = sorted(
                keys,
                key=lambda k: sort_key(self.value(query.sobject, k, field, self.row(query.sobject, k))),
                reverse=descending,
            )
            keys = array("q", ordered)
        return keys[: query.limit] if query.limit is not None else keys

    def record(self, query: Query, key: int, version: str) -> dict[str, Any]:
        row = self.row(query.sobject, key)
        record: dict[str, Any] = {
            "attributes": {
                "type": query.sobject,
                "url": f"/services/data/v{version}/sobjects/{query.sobject}/{row['Id']}",
            }
        }
        for field in query.fields:
            if "." not in field:
                record[field] = row.get(field)
                continue
            relation, name = field.split(".", 1)
            related = self.related(query.sobject, key, relation, row)
            if related is None:
                record[relation] = None
                continue
            target = RELATIONS[query.sobject][relation][0]
            nested = record.setdefault(
                relation,
                {
                    "attributes": {
                        "type": target,
                        "url": f"/services/data/v{version}/sobjects/{target}/{related['Id']}",
                    }
                },
            )
            nested[name] = related.get(name)
        return record

    def page(self, request: Request, version: str, kind: str, locator: str, offset: int) -> Response:
        cursor = self._cursors[locator]
        size = self.batch_size
        options = re.search(r"batchSize=(\d+)", request.headers.get("Sforce-Query-Options", ""))
        if options:
            size = min(2000, max(200, int(options.group(1))))
        chunk = cursor.keys[offset : offset + size]
        body: dict[str, Any] = {
            "totalSize": len(cursor.keys),
            "done": offset + size >= len(cursor.keys),
            "records": [self.record(cursor.query, key, version) for key in chunk],
        }
        if not body["done"]:  # finished cursors stay until evicted, so a lost last page can be re-read
            body["nextRecordsUrl"] = f"/services/data/v{version}/{kind}/{locator}-{offset + size}"
        return json_response(body)

    def query(self, request: Request, version: str, kind: str) -> Response:
        _check_version(version)
        query = self.resolve(parse_soql(request.args.get("q", "")))
        keys = self.execute(query)
        if query.count_only:
            return json_response({"totalSize": len(keys), "done": True, "records": []})
        self._cursor_serial += 1
        locator = sf_id("01g", self._cursor_serial)
        self._cursors[locator] = Cursor(query, keys)
        while len(self._cursors) > MAX_CURSORS:  # Salesforce keeps a handful of open cursors per user
            self._cursors.popitem(last=False)
        return self.page(request, version, kind, locator, 0)

    def query_more(self, request: Request, version: str, kind: str, cursor: str) -> Response:
        _check_version(version)
        locator, _, offset = cursor.rpartition("-")
        if locator not in self._cursors or not offset.isdigit():
            raise ApiError(400, "invalid query locator", "INVALID_QUERY_LOCATOR")
        return self.page(request, version, kind, locator, int(offset))

    # -- records ----------------------------------------------------------------------------------
    def get_record(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        _check_version(version)
        if sobject == "Campaign":
            number = parse_id(record_id, "701")
            if number is None or not 1 <= number <= len(self.population.cohorts):
                raise ApiError(404)
            row, fields = self.campaign_row(number - 1), CAMPAIGN_FIELDS
        elif sobject == "Contact":
            try:
                row, fields = self.contact_row(self.member_index(record_id)), self.contact_fields()
            except KeyError as exc:
                raise ApiError(404) from exc
        else:
            raise ApiError(404, f"The requested resource does not exist: sObject type '{sobject}'")
        wanted = [self.canonical(sobject, f) for f in request.args.get("fields", "").split(",") if f] or list(
            fields
        )
        record = {
            "attributes": {
                "type": sobject,
                "url": f"/services/data/v{version}/sobjects/{sobject}/{row['Id']}",
            }
        }
        return json_response(record | {name: row.get(name) for name in wanted})

    def lock(self, record_ids: list[str], times: int = 1) -> None:
        """The next `times` collection writes of these Contacts answer UNABLE_TO_LOCK_ROW for them."""
        with self._lock:
            self.locks.hold(record_ids, times)

    def describe_sobject(self, request: Request, version: str, sobject: str) -> Response:
        _check_version(version)
        if sobject != "Contact":
            raise ApiError(404, f"The requested resource does not exist: sObject type '{sobject}'")
        return json_response(describe(sobject, self.contact_fields(), READ_ONLY, version))

    def check_write(self, record_id: str, values: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Validate one Contact update; raises ApiError carrying Salesforce's statusCode."""
        index = parse_id(record_id, "003")
        if index is None:
            raise ApiError(400, f"Contact ID: id value of incorrect type: {record_id}", "MALFORMED_ID")
        if not self.population.exists(index):
            raise ApiError(404, "entity is deleted", "ENTITY_IS_DELETED")
        changes: dict[str, Any] = {}
        for name, value in values.items():
            field = self.canonical("Contact", name)
            if field in READ_ONLY:
                raise ApiError(
                    400,
                    f"Unable to create/update fields: {field}. Please check the security settings "
                    "of this field and verify that it is read/write for your profile or permission set.",
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                )
            changes[field] = value
        return index, changes

    def apply(self, index: int, changes: dict[str, Any]) -> None:
        canonical = {
            WRITABLE[f]: ("" if v is None and f != "Email" else v)
            for f, v in changes.items()
            if f in WRITABLE
        }
        extra = {f: v for f, v in changes.items() if f not in WRITABLE}
        self.population.update(index, extra=extra, **canonical)

    def update_contact(self, request: Request, version: str, record_id: str) -> Response:
        _check_version(version)
        body = read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, "Expected a JSON object", "JSON_PARSER_ERROR")
        try:
            self.apply(*self.check_write(record_id, body))
        except ApiError as exc:
            if exc.code == "ENTITY_IS_DELETED":
                raise ApiError(404) from exc
            raise
        return Response(status=204)

    def update_collection(self, request: Request, version: str) -> Response:
        _check_version(version)
        body = read_json(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            raise ApiError(400, "records: required field is missing", "INVALID_FIELD")
        if len(records) > 200:
            raise ApiError(
                400, "The number of records in a collection request can't exceed 200.", "EXCEEDED_ID_LIMIT"
            )
        checked: list[tuple[int, dict[str, Any]] | dict[str, Any]] = []
        for item in records:
            values = {k: v for k, v in item.items() if k not in ("attributes", "id", "Id")}
            record_id = str(item.get("id") or item.get("Id") or "")
            try:
                if (item.get("attributes") or {}).get("type") != "Contact":
                    raise ApiError(400, "Only Contact records can be updated in this org", "INVALID_TYPE")
                checked.append(self.check_write(record_id, values))
                if self.locks.refuses(record_id):
                    checked[-1] = {
                        "statusCode": "UNABLE_TO_LOCK_ROW",
                        "message": "unable to obtain exclusive access to this record or 1 records",
                        "fields": [],
                    }
            except ApiError as exc:
                checked.append({"statusCode": exc.code, "message": exc.message, "fields": []})
        failed = any(isinstance(c, dict) for c in checked)
        if failed and body.get("allOrNone"):
            rolled_back = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "fields": [],
                "message": "Record rolled back because not all records were valid and the request "
                "was using AllOrNone header",
            }
            return json_response(
                [
                    {"id": None, "success": False, "errors": [c if isinstance(c, dict) else rolled_back]}
                    for c in checked
                ]
            )
        results: list[dict[str, Any]] = []
        for outcome in checked:
            if isinstance(outcome, dict):
                results.append({"id": None, "success": False, "errors": [outcome]})
            else:
                self.apply(*outcome)
                results.append({"id": self.member_id(outcome[0]), "success": True, "errors": []})
        return json_response(results)


def _check_version(version: str) -> None:
    if not re.fullmatch(r"\d{2}\.0", version):
        raise ApiError(404)


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> SalesforceFake:
    """Serve a Salesforce fake over HTTPS; options: ``token``, ``batch_size``, ``custom_fields``."""
    return SalesforceFake(port=port, members=members, seed=seed, **options).serve()
