"""The Salesforce fake's writes: a Contact PATCH, sObject Collections (200 at most, per-record
errors, `allOrNone` rollback, UNABLE_TO_LOCK_ROW on demand) and the Contact describe."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.salesforce.fake_describe import describe
from connectors.salesforce.fake_rows import READ_ONLY, WRITABLE, SalesforceRows, check_version, parse_id
from connectors.sdk.fakes.handlers import ApiError, json_response, read_json


class SalesforceWrites(SalesforceRows):
    def lock(self, record_ids: list[str], times: int = 1) -> None:
        """The next `times` collection writes of these Contacts answer UNABLE_TO_LOCK_ROW for them."""
        with self._lock:
            self.locks.hold(record_ids, times)

    def describe_sobject(self, request: Request, version: str, sobject: str) -> Response:
        check_version(version)
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
        check_version(version)
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
        check_version(version)
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
