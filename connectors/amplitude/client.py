"""Amplitude's Behavioral Cohorts API through the shared HttpClient (Amplitude ships no Python SDK for it).

Downloading a cohort is asynchronous: ask for it, poll its status until Amplitude has
written the file, then fetch the file. Polling waits through the outbound policy's sleep,
so a test (or a worker shutting down) controls that time, and within a budget: when the
budget is spent the sync fails with a TransientError that says so and is retried later.

The file endpoint answers small cohorts itself and sends large ones on, with a 302, to a
pre-signed storage URL that lives a minute; the HttpClient follows the redirect and drops
our credentials when it leaves Amplitude's host (the storage host refuses a second auth
scheme anyway). A 403 from that other host means the link expired: retried, the request
starts again at Amplitude and gets a fresh link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from connectors.amplitude.csvfile import csv_rows
from connectors.sdk import (
    ConfigError,
    ErrorResolution,
    ErrorTable,
    FailureType,
    HttpClient,
    HttpError,
    ResponseAction,
    TransientError,
    outbound,
)

log = logging.getLogger(__name__)

REGIONS = {"US": "https://amplitude.com", "EU": "https://analytics.eu.amplitude.com"}
COMPLETED, IN_PROGRESS = "JOB COMPLETED", "JOB INPROGRESS"
DEFAULT_POLL_INTERVAL_S, DEFAULT_POLL_BUDGET_S = 10, 900
CHUNK = 64 * 1024
DOWNLOAD_BROKE = (
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ConnectionError,
    requests.exceptions.ContentDecodingError,
    EOFError,
)
"""How a download that stops half-way shows itself (a cut connection, a truncated gzip)."""

_BAD_SETTING = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "invalid Amplitude setting")
_LINK_EXPIRED = ErrorResolution(
    ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the cohort file's download link expired"
)
_STILL_RUNNING = ErrorResolution(
    ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the cohort file was not ready within the poll budget"
)
_JOB_FAILED = ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the cohort export failed")
_BROKEN = ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the cohort file download broke")
_NOT_A_COHORT_FILE = ErrorResolution(ResponseAction.FAIL, FailureType.SYSTEM_ERROR, "not a cohort file")


def base_url_for(config: Mapping[str, Any]) -> str:
    """`base_url` wins (a proxy, the local fake); otherwise the project's data residency decides."""
    if config.get("base_url"):
        return str(config["base_url"])
    region = str(config.get("region") or "US").strip().upper()
    if region not in REGIONS:
        raise ConfigError(
            f"region must be one of {', '.join(REGIONS)}, not {region!r}", resolution=_BAD_SETTING
        )
    return REGIONS[region]


def _setting(config: Mapping[str, Any], name: str, default: int) -> int:
    value = config.get(name)
    return default if value is None or value == "" else int(value)


def expired_link(api_base: str) -> Callable[[requests.Response], ErrorResolution | None]:
    """A 403 from the storage host is an expired pre-signed link, not rejected credentials."""
    api_host = urlsplit(api_base).netloc

    def classify(response: requests.Response) -> ErrorResolution | None:
        if response.status_code == 403 and urlsplit(response.url).netloc != api_host:
            return _LINK_EXPIRED
        return None

    return classify


class AmplitudeClient:
    def __init__(self, config: Mapping[str, Any]) -> None:
        base_url = base_url_for(config)
        self.scope = outbound()
        self.poll_interval_s = max(1, _setting(config, "poll_interval_seconds", DEFAULT_POLL_INTERVAL_S))
        self.poll_budget_s = max(0, _setting(config, "poll_timeout_seconds", DEFAULT_POLL_BUDGET_S))
        self.http: HttpClient = self.scope.client(
            base_url,
            auth=(str(config.get("api_key") or ""), str(config.get("secret_key") or "")),
            headers={"Accept": "application/json"},
            errors=ErrorTable(classify=expired_link(base_url)),
            timeout=(5.0, 60.0),
        )

    def cohorts(self) -> list[dict[str, Any]]:
        answer = self.http.request("GET", "/api/3/cohorts").json()
        return [c for c in answer.get("cohorts") or [] if isinstance(c, dict)]

    def request_export(self, cohort_id: str, properties: list[str]) -> str:
        """Starts Amplitude's export job for one cohort; its request id names the job from now on."""
        params = [("props", "1"), *(("propKeys", name) for name in properties)]
        answer = self.http.request(
            "GET", f"/api/5/cohorts/request/{quote(cohort_id, safe='')}", params=params
        )
        return str(answer.json()["request_id"])

    def wait_until_ready(self, cohort_id: str, request_id: str) -> None:
        """Polls the job's status, sleeping through the outbound policy, until done or out of budget."""
        waited, polls = 0, 0
        while True:
            answer = self.http.request("GET", f"/api/5/cohorts/request-status/{quote(request_id, safe='')}")
            polls += 1
            status = str(answer.json().get("async_status") or "")
            if status == COMPLETED:
                return
            if status != IN_PROGRESS:
                raise TransientError(
                    f"Amplitude cohort {cohort_id}: export {request_id} ended as {status!r}; the sync will retry",
                    resolution=_JOB_FAILED,
                )
            if waited + self.poll_interval_s > self.poll_budget_s:
                raise TransientError(
                    f"Amplitude cohort {cohort_id}: export {request_id} is still {IN_PROGRESS} after {polls}"
                    f" status checks over {waited} s, and the poll budget (poll_timeout_seconds="
                    f"{self.poll_budget_s}) is spent; the sync will retry",
                    resolution=_STILL_RUNNING,
                )
            self.scope.policy.sleep(self.poll_interval_s)
            waited += self.poll_interval_s

    def rows(self, request_id: str) -> Iterator[dict[str, str]]:
        """The finished file's rows as they arrive; a download that breaks mid-way resumes.

        The API link stays valid for days and names a finished file, so a broken download is
        fetched again and the rows already handed on are skipped, instead of failing a sync
        that may be most of the way through a very large cohort.
        """
        handed_on, attempts = 0, max(1, self.scope.policy.max_attempts)
        for attempt in range(1, attempts + 1):
            try:
                for position, row in enumerate(self._download(request_id)):
                    if position >= handed_on:
                        handed_on += 1
                        yield row
                return
            except DOWNLOAD_BROKE as exc:
                if attempt == attempts:
                    raise TransientError(
                        f"Amplitude export {request_id}: the file download broke {attempts} times,"
                        f" last after {handed_on} rows ({type(exc).__name__}); the sync will retry",
                        resolution=_BROKEN,
                    ) from None
                log.info(
                    "Amplitude export %s broke after %d rows; downloading it again", request_id, handed_on
                )

    def _download(self, request_id: str) -> Iterator[dict[str, str]]:
        response = self.http.request(
            "GET", f"/api/5/cohorts/request/{quote(request_id, safe='')}/file", stream=True
        )
        try:
            rows = csv_rows(response.iter_content(CHUNK))
            first = next(rows, None)
            if first is not None and "amplitude_id" not in first:
                raise HttpError(
                    f"Amplitude export {request_id}: the file has no amplitude_id column",
                    resolution=_NOT_A_COHORT_FILE,
                )
            if first is not None:
                yield first
                yield from rows
        finally:
            response.close()

    def probe(self) -> str:
        with self.http:
            count = len(self.cohorts())
        return f"connected to Amplitude; {count} cohorts visible"
