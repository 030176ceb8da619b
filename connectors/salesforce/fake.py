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

import re
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.salesforce.fake_rows import (
    CAMPAIGN_FIELDS,
    RELATIONS,
    STRIDE,
    check_version,
    parse_id,
    sf_id,
)
from connectors.salesforce.fake_writes import SalesforceWrites
from connectors.salesforce.soql import Query, parse_soql, sort_key
from connectors.sdk.fakes.handlers import ApiError, json_response

MAX_CURSORS = 10


@dataclass(slots=True)
class Cursor:
    query: Query
    keys: array[int]


class SalesforceFake(SalesforceWrites):
    def __init__(self, *, batch_size: int = 2000, **options: Any) -> None:
        super().__init__(**options)
        self.batch_size = batch_size
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._cursor_serial = 0

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
        check_version(version)
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
        check_version(version)
        locator, _, offset = cursor.rpartition("-")
        if locator not in self._cursors or not offset.isdigit():
            raise ApiError(400, "invalid query locator", "INVALID_QUERY_LOCATOR")
        return self.page(request, version, kind, locator, int(offset))

    # -- records ----------------------------------------------------------------------------------
    def get_record(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        check_version(version)
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


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> SalesforceFake:
    """Serve a Salesforce fake over HTTPS; options: ``token``, ``batch_size``, ``custom_fields``."""
    return SalesforceFake(port=port, members=members, seed=seed, **options).serve()
