"""The official `hubspot-api-client`, pointed at the connection's base_url and run under the outbound scope.

The SDK owns its transport, so every call goes through `Outbound.call`: its exceptions are
classified by the shared table (401/403 → ConfigError, 429 → wait per Retry-After, 5xx →
backoff) and replaced by scrubbed errors that are safe to show in a run record. urllib3's own
retries are off (`Retry(0)`): by default they would replay a 429 after sleeping out its
Retry-After unseen, so the run could neither count nor shorten that wait. Each API object
the SDK builds gets the guarded pool manager through the SDK's `api_factory` hook, so no
request (nor redirect) can leave for an address the SSRF guard refuses.

The SDK's generated Configuration sets the process-wide `urllib3` logger to WARNING each
time it is built (for every request and response model), which would silence the shared
HTTP layer's transport logs for every connector; calls here put that level back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from importlib.metadata import version
from types import ModuleType
from typing import Any, TypeVar

from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    SimplePublicObjectBatchInput,
)
from hubspot.crm.lists import ListSearchRequest
from urllib3 import Retry

from connectors.sdk import Outbound, classify_exception, number, outbound

T = TypeVar("T")
TIMEOUT = (5.0, 30.0)
MAX_MEMBERSHIP_PAGE = 250
MAX_BATCH_READ = MAX_BATCH_UPDATE = 100


@contextmanager
def _urllib3_level_kept() -> Iterator[None]:
    urllib3_logger = logging.getLogger("urllib3")
    level = urllib3_logger.level
    try:
        yield
    finally:
        urllib3_logger.setLevel(level)


def _json(response: Any) -> dict[str, Any]:
    """A body the SDK was told not to build models of (`_preload_content=False`). Its models parse
    every timestamp with dateutil: half the CPU of a sync went there, for dates it never reads.
    The SDK still sends the request and raises its own exceptions for non-2xx answers."""
    try:
        body = json.loads(response.data)
    finally:
        response.release_conn()
    if not isinstance(body, dict):
        raise ValueError(f"HubSpot answered {type(body).__name__}, not an object")
    return body


def window_wait(headers: Mapping[str, str]) -> float | None:
    """HubSpot names no reset time on a 429, only the length of its rate window."""
    value = number(headers.get("x-hubspot-ratelimit-interval-milliseconds"))
    return None if value is None else value / 1000


def guarded_api_factory(scope: Outbound) -> Callable[[ModuleType, str, dict[str, Any]], Any]:
    """The SDK's own factory (hubspot.discovery.discovery_base), with the guarded pool manager swapped in."""

    def build(package: ModuleType, api_name: str, config: dict[str, Any]) -> Any:
        configuration = package.Configuration()
        for key, value in config.items():
            if key == "api_key":
                configuration.api_key["developer_hapikey"] = value
            else:
                setattr(configuration, "retries" if key == "retry" else key, value)
        api_client = package.ApiClient(configuration=configuration)
        api_client.user_agent = f"hubspot-api-client-python; {version('hubspot-api-client')}"
        original = api_client.rest_client.pool_manager
        api_client.rest_client.pool_manager = scope.pool_manager(num_pools=4, **original.connection_pool_kw)
        original.clear()
        return getattr(package, api_name)(api_client=api_client)

    return build


class HubSpotClient:
    def __init__(self, config: dict[str, Any], *, attempts: int | None = None) -> None:
        """`attempts` caps the scope's retries; result actions send once (the outbox retries)."""
        self.base_url = str(config["base_url"]).rstrip("/")
        self.token = str(config.get("access_token") or "")
        self.scope = outbound()
        if attempts is not None:
            self.scope = Outbound(replace(self.scope.policy, max_attempts=attempts))
        self.sdk = HubSpot(
            access_token=self.token,
            host=self.base_url,
            retry=Retry(0),
            api_factory=guarded_api_factory(self.scope),
        )

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """`fn` builds its request models too, so their Configuration side effect is undone as well."""
        with _urllib3_level_kept():
            result = self.scope.call(
                fn, classify_exception, what=f"HubSpot {what}", secrets=[self.token], wait_hint=window_wait
            )
        if result is None:
            raise RuntimeError(f"HubSpot {what} answered nothing")
        return result

    def membership_page(self, list_id: str, after: str | None, limit: int) -> tuple[list[str], str | None]:
        """One page of record ids, and the cursor of the next page (None on the last)."""
        page = _json(
            self._call(
                f"list {list_id} memberships",
                lambda: self.sdk.crm.lists.memberships_api.get_page(
                    list_id=list_id,
                    after=after,
                    limit=min(limit, MAX_MEMBERSHIP_PAGE),
                    _request_timeout=TIMEOUT,
                    _preload_content=False,
                ),
            )
        )
        following = ((page.get("paging") or {}).get("next") or {}).get("after")
        return [str(item["recordId"]) for item in page.get("results") or []], following

    def read_contacts(self, ids: list[str], properties: list[str]) -> dict[str, dict[str, Any]]:
        """Properties by contact id; contacts deleted since the membership page are simply absent."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), MAX_BATCH_READ):
            chunk = ids[start : start + MAX_BATCH_READ]

            def read(chunk: list[str] = chunk) -> Any:
                return self.sdk.crm.contacts.batch_api.read(
                    batch_read_input_simple_public_object_id={
                        "inputs": [{"id": i} for i in chunk],
                        "properties": properties,
                        "propertiesWithHistory": [],
                    },
                    _request_timeout=TIMEOUT,
                    _preload_content=False,
                )

            batch = _json(self._call("contacts batch read", read))
            found.update(
                {
                    str(contact["id"]): dict(contact.get("properties") or {})
                    for contact in batch.get("results") or []
                }
            )
        return found

    def update_contacts(self, inputs: list[tuple[str, str | None, dict[str, str]]]) -> Any:
        """One batch update of (id, idProperty, properties); HubSpot answers 207 naming what it could not write."""
        batch = [
            SimplePublicObjectBatchInput(id=key, id_property=id_property, properties=properties)
            for key, id_property, properties in inputs
        ]
        return self._call(
            "contacts batch update",
            lambda: self.sdk.crm.contacts.batch_api.update(
                batch_input_simple_public_object_batch_input=BatchInputSimplePublicObjectBatchInput(
                    inputs=batch
                ),
                _request_timeout=TIMEOUT,
            ),
        )

    def contact_properties(self) -> list[Any]:
        answer = self._call(
            "contact properties",
            lambda: self.sdk.crm.properties.core_api.get_all(
                object_type="contacts", _request_timeout=TIMEOUT
            ),
        )
        return list(answer.results)

    def lists(self, offset: int, count: int) -> tuple[list[Any], bool]:
        result = self._call(
            "lists search",
            lambda: self.sdk.crm.lists.lists_api.do_search(
                list_search_request=ListSearchRequest(query="", offset=offset, count=count),
                _request_timeout=TIMEOUT,
            ),
        )
        return list(result.lists), bool(result.has_more)

    def probe(self) -> str:
        lists, _ = self.lists(0, 1)
        return f"connected to HubSpot; lists are readable ({len(lists)} seen)"
