"""HubSpot CRM v3 imitation: lists, list memberships and contacts (see shared apis.md §3).

Shapes follow what ``hubspot-api-client`` 12 deserialises with client-side validation on,
so a missing required key fails in the SDK exactly as it would against a broken server.
Contacts are the shared generated population; a list is a cohort. Lists 11-12 are
DYNAMIC (membership changes only through the control surface, as if HubSpot re-evaluated
their filters), lists 13-14 are MANUAL and also accept ``PUT .../memberships/add|remove``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.hubspot.fake_contacts import HubSpotContacts
from connectors.hubspot.fake_records import ID_BASE, MANUAL_LISTS, hs_time
from connectors.sdk.fakes.handlers import ApiError, as_int, json_response, read_json


def _token(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"rid:{record_id}".encode()).decode().rstrip("=")


def _untoken(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Invalid paging token: {token}") from exc
    if not re.fullmatch(r"rid:\d+", raw):
        raise ApiError(400, f"Invalid paging token: {token}")
    return int(raw[4:])


class HubSpotFake(HubSpotContacts):
    def routes(self) -> list[Rule]:
        return [
            Rule("/crm/v3/lists/", methods=["GET"], endpoint="get_lists"),
            Rule("/crm/v3/lists/search", methods=["POST"], endpoint="search_lists"),
            Rule("/crm/v3/lists/<list_id>", methods=["GET"], endpoint="get_list"),
            Rule("/crm/v3/lists/<list_id>/memberships", methods=["GET"], endpoint="get_memberships"),
            Rule(
                "/crm/v3/lists/<list_id>/memberships/<any(add, remove):action>",
                methods=["PUT"],
                endpoint="change_memberships",
            ),
            Rule("/crm/v3/objects/contacts/batch/read", methods=["POST"], endpoint="batch_read"),
            Rule("/crm/v3/objects/contacts/batch/update", methods=["POST"], endpoint="batch_update"),
            Rule("/crm/v3/objects/contacts/search", methods=["POST"], endpoint="search_contacts"),
            Rule("/crm/v3/objects/contacts/<contact_id>", methods=["GET"], endpoint="get_contact"),
            Rule("/crm/v3/objects/contacts/<contact_id>", methods=["PATCH"], endpoint="update_contact"),
            Rule("/crm/v3/properties/contacts", methods=["GET"], endpoint="contact_properties"),
        ]

    # -- lists --------------------------------------------------------------------------------
    def _cohort(self, list_id: str) -> int:
        try:
            return self.cohort_index(list_id)
        except KeyError as exc:
            raise ApiError(404, f"List does not exist with listId {list_id}") from exc

    def get_lists(self, request: Request) -> Response:
        wanted = request.args.getlist("listIds")
        lists = [
            self.list_object(c) for c in range(len(self.population.cohorts)) if self.source_ref(c) in wanted
        ]
        return json_response({"lists": lists})

    def get_list(self, request: Request, list_id: str) -> Response:
        return json_response({"list": self.list_object(self._cohort(list_id))})

    def search_lists(self, request: Request) -> Response:
        body = read_json(request) or {}
        query, offset, count = (
            str(body.get("query") or "").lower(),
            as_int(body.get("offset", 0), "offset"),
            as_int(body.get("count", 20), "count"),
        )
        found = []
        for cohort in range(len(self.population.cohorts)):
            item = self.list_object(cohort)
            if query in item["name"].lower() and (
                not body.get("listIds") or item["listId"] in body["listIds"]
            ):
                found.append({**item, "additionalProperties": {"hs_list_size": str(item["size"])}})
        page = found[offset : offset + count]
        return json_response(
            {
                "lists": page,
                "total": len(found),
                "offset": offset + len(page),
                "hasMore": offset + len(page) < len(found),
            }
        )

    def get_memberships(self, request: Request, list_id: str) -> Response:
        cohort = self._cohort(list_id)
        limit = request.args.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 250:
            raise ApiError(400, f"limit must be between 1 and 250, got {limit}")
        after, before = request.args.get("after"), request.args.get("before")
        descending = after is None and before is not None  # `after` wins when both are given
        if descending:
            indices = self.population.members(cohort, before=_untoken(str(before)) - ID_BASE)
        else:
            indices = self.population.members(cohort, _untoken(after) - ID_BASE if after else -1)
        page = [i for _, i in zip(range(int(limit) + 1), indices, strict=False)]
        more, page = len(page) > int(limit), page[: int(limit)]
        link = f"{request.host_url.rstrip('/')}/crm/v3/lists/{list_id}/memberships?limit={limit}"
        paging: dict[str, Any] = {}
        if page:
            first, last = _token(self.member_id(page[0])), _token(self.member_id(page[-1]))
            forward, backward = (first, last) if descending else (last, first)
            if more or descending:
                paging["next"] = {"after": forward, "link": f"{link}&after={forward}"}
            if after or descending and more:
                paging["prev"] = {"before": backward, "link": f"{link}&before={backward}"}
        results = [
            {
                "recordId": self.member_id(i),
                "membershipTimestamp": hs_time(self.population.joined_at(cohort, i)),
            }
            for i in page
        ]
        body: dict[str, Any] = {"results": results, "total": self.population.count(cohort)}
        if paging:
            body["paging"] = paging
        return json_response(body)

    def change_memberships(self, request: Request, list_id: str, action: str) -> Response:
        cohort = self._cohort(list_id)
        if cohort not in MANUAL_LISTS:
            raise ApiError(
                400,
                f"List {list_id} has processingType DYNAMIC; only MANUAL and SNAPSHOT lists "
                "can have memberships changed directly",
            )
        ids = read_json(request)
        if not isinstance(ids, list):
            raise ApiError(400, "Request body must be a JSON array of record ids")
        done, missing = [], []
        for record_id in map(str, ids):
            try:
                index = self.member_index(record_id)
            except KeyError:
                missing.append(record_id)
                continue
            if action == "add":
                self.population.join(cohort, index)
                done.append(record_id)
            elif self.population.in_cohort(cohort, index):
                self.population.leave(cohort, index)
                done.append(record_id)
            else:
                missing.append(record_id)
        added, removed = (done, []) if action == "add" else ([], done)
        return json_response(
            {"recordsIdsAdded": added, "recordIdsRemoved": removed, "recordIdsMissing": missing}
        )


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> HubSpotFake:
    """Serve a HubSpot fake; options: ``tls``, ``token``, ``custom_fields``."""
    return HubSpotFake(port=port, members=members, seed=seed, **options).serve()
