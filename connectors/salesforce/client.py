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
from typing import Any

from simple_salesforce.api import Salesforce

from connectors.sdk import RATE_LIMITED, ErrorResolution, classify_exception, outbound, paginate

TIMEOUT = (5.0, 60.0)
MIN_BATCH, MAX_BATCH = 200, 2000


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
    def __init__(self, config: dict[str, Any]) -> None:
        self.base_url = str(config["base_url"]).rstrip("/")
        self.token = str(config.get("access_token") or "")
        self.scope = outbound()
        session = self.scope.session()
        session.verify = str(config["ca_bundle"]) if config.get("ca_bundle") else True
        self.request_options: dict[str, Any] = {"timeout": TIMEOUT, "verify": session.verify}
        self.sdk = Salesforce(
            instance_url=self.base_url,
            session_id=self.token,
            version=str(config.get("api_version") or "59.0"),
            session=session,
        )

    def _call(self, what: str, fn: Callable[[], Any]) -> dict[str, Any]:
        result = self.scope.call(fn, classify, what=f"Salesforce {what}", secrets=[self.token])
        if result is None:
            raise RuntimeError(f"Salesforce {what} answered nothing")
        return dict(result)

    def query_pages(self, soql: str, batch_size: int = MAX_BATCH) -> Iterator[list[dict[str, Any]]]:
        """Records batch by batch, following nextRecordsUrl until Salesforce says done."""
        size = max(MIN_BATCH, min(batch_size, MAX_BATCH))
        options = {"headers": {"Sforce-Query-Options": f"batchSize={size}"}, **self.request_options}

        def batch(next_records_url: str | None) -> tuple[list[dict[str, Any]], str | None]:
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
