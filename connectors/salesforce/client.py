"""`simple-salesforce` pointed at the connection's instance, each call run under the outbound scope.

simple-salesforce always speaks https to the instance it is given, so a private CA (a test
or on-premises proxy) comes in through `ca_bundle`, passed as `verify` on every request:
requests lets REQUESTS_CA_BUNDLE in the environment override a session's own `verify`.
Salesforce has no 429: an exhausted API allocation is a 403 REQUEST_LIMIT_EXCEEDED, which
is a wait, not a credentials problem, so the shared table is corrected for it here. The SDK
is handed the scope's guarded session, so every request it sends passes the SSRF guard.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from simple_salesforce.api import Salesforce
from simple_salesforce.format import format_soql

from connectors.sdk import RATE_LIMITED, ErrorResolution, Outbound, classify_exception, outbound, paginate

TIMEOUT = (5.0, 60.0)
MIN_BATCH, MAX_BATCH = 200, 2000
MAX_COLLECTION = 200


def classify(exc: BaseException) -> ErrorResolution | None:
    if getattr(exc, "status", None) == 403 and "REQUEST_LIMIT_EXCEEDED" in _error_codes(exc):
        return RATE_LIMITED
    return classify_exception(exc)


def _error_codes(exc: BaseException) -> set[str]:
    """simple-salesforce hands the error body over already parsed, or as bytes when it was not JSON."""
    body = getattr(exc, "content", None)
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return set()
    items = body if isinstance(body, list) else [body]
    return {str(item.get("errorCode")) for item in items if isinstance(item, dict)}


class SalesforceClient:
    def __init__(self, config: dict[str, Any], *, attempts: int | None = None) -> None:
        """`attempts` caps the scope's retries; result actions send once (the outbox retries)."""
        self.base_url = str(config["base_url"]).rstrip("/")
        self.token = str(config.get("access_token") or "")
        self.scope = outbound()
        if attempts is not None:
            self.scope = Outbound(replace(self.scope.policy, max_attempts=attempts))
        session = self.scope.session()
        session.verify = str(config["ca_bundle"]) if config.get("ca_bundle") else True
        self.request_options: dict[str, Any] = {"timeout": TIMEOUT, "verify": session.verify}
        self.sdk = Salesforce(
            instance_url=self.base_url,
            session_id=self.token,
            version=str(config.get("api_version") or "59.0"),
            session=session,
        )

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        result = self.scope.call(fn, classify, what=f"Salesforce {what}", secrets=[self.token])
        if result is None:
            raise RuntimeError(f"Salesforce {what} answered nothing")
        return result

    def update_contacts(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One sObject Collections update (allOrNone off): a SaveResult per record, in request order."""
        body = {"allOrNone": False, "records": [{"attributes": {"type": "Contact"}, **r} for r in records]}
        answer = self._call(
            "contacts update",
            lambda: self.sdk.restful("composite/sobjects", method="PATCH", json=body, **self.request_options),
        )
        return [dict(item) for item in answer]

    def contacts_by_email(self, emails: list[str]) -> dict[str, str]:
        """Contact id by lower-cased email, for people the hub knows only by email (one query)."""
        soql = format_soql("SELECT Id, Email FROM Contact WHERE Email IN {}", emails)
        found: dict[str, str] = {}
        for page in self.query_pages(soql):
            for row in page:
                found.setdefault(str(row.get("Email") or "").lower(), str(row["Id"]))
        return found

    def contact_fields(self) -> list[dict[str, Any]]:
        answer = self._call(
            "Contact describe", lambda: self.sdk.restful("sobjects/Contact/describe", **self.request_options)
        )
        return [dict(item) for item in answer.get("fields") or []]

    def query_pages(self, soql: str, batch_size: int = MAX_BATCH) -> Iterator[list[dict[str, Any]]]:
        """Records batch by batch, following nextRecordsUrl until Salesforce says done."""
        size = max(MIN_BATCH, min(batch_size, MAX_BATCH))
        options = {"headers": {"Sforce-Query-Options": f"batchSize={size}"}, **self.request_options}

        def batch(next_records_url: str | None) -> tuple[list[dict[str, Any]], str | None]:
            result: dict[str, Any]
            if next_records_url is None:
                result = self._call("query", lambda: self.sdk.query(soql, **options))
            else:
                result = self._call(
                    "query more",
                    lambda: self.sdk.query_more(next_records_url, identifier_is_url=True, **options),
                )
            following = result.get("nextRecordsUrl")
            done = result.get("done", True) or not following
            return list(result.get("records") or []), None if done else str(following)

        return paginate(batch, what="Salesforce query")

    def probe(self) -> str:
        result = self._call(
            "query", lambda: self.sdk.query("SELECT COUNT() FROM Campaign", **self.request_options)
        )
        return f"connected to Salesforce; {result.get('totalSize', 0)} campaigns visible"
