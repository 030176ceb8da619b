"""Mixpanel's Query API through the shared HttpClient: Mixpanel ships no official query SDK.

mixpanel-python only sends events and profile updates, and mixpanel-utils is a script kit
on urllib with retries of its own, so cohorts/list and engage are called here, where every
request passes the SSRF guard, the shared failure table and the run's retry counters.

Engage pages through a session: the first call opens it (no session_id), later calls send
the same query again with that session_id and the next page number, and a page shorter than
the page size the answer states is the last. Parameters travel form-encoded, the way the
Query API reads them; project_id rides in the query string, as service accounts require.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.sdk import (
    ConfigError,
    ErrorResolution,
    ErrorTable,
    FailureType,
    HttpClient,
    ResponseAction,
    outbound,
    paginate,
)

REGIONS = {"US": "https://mixpanel.com", "EU": "https://eu.mixpanel.com", "IN": "https://in.mixpanel.com"}
MAX_PAGE_SIZE = 1000
_NO_PLAN = ErrorResolution(
    ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the Mixpanel plan does not allow API calls"
)
_BAD_SETTING = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "invalid Mixpanel setting")

Profile = dict[str, Any]
PageToken = tuple[str, int]


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


def project_id_of(config: Mapping[str, Any]) -> int:
    """Raw settings (a connection check before saving) carry the id as text."""
    try:
        return int(str(config.get("project_id", "")).strip())
    except ValueError:
        raise ConfigError("project_id must be a whole number", resolution=_BAD_SETTING) from None


class MixpanelClient:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.project_id = project_id_of(config)
        auth = (
            str(config.get("service_account_username") or ""),
            str(config.get("service_account_secret") or ""),
        )
        self.http: HttpClient = outbound().client(
            base_url_for(config),
            auth=auth,
            headers={"Accept": "application/json"},
            errors=ErrorTable(status_overrides={402: _NO_PLAN}),
        )

    def _post(self, path: str, form: Mapping[str, str] | None = None) -> Any:
        params = {"project_id": str(self.project_id)}
        return self.http.request("POST", path, params=params, data=dict(form or {})).json()

    def cohorts(self) -> list[dict[str, Any]]:
        answer = self._post("/api/query/cohorts/list")
        return [item for item in answer if isinstance(item, dict)] if isinstance(answer, list) else []

    def engage_pages(self, query: Mapping[str, str], page_size: int) -> Iterator[list[Profile]]:
        """Profiles matching `query` (engage parameters), one page at a time."""
        size = max(1, min(page_size, MAX_PAGE_SIZE))

        def fetch(token: PageToken | None) -> tuple[list[Profile], PageToken | None]:
            form = {**query, "page_size": str(size)}
            if token is not None:
                form |= {"session_id": token[0], "page": str(token[1])}
            answer = self._post("/api/query/engage", form)
            results = [p for p in answer.get("results") or [] if isinstance(p, dict)]
            stated = int(answer.get("page_size") or size)
            session = answer.get("session_id") or (token[0] if token else None)
            if len(results) < stated or not session:
                return results, None
            page = int(answer.get("page", token[1] if token else 0))
            return results, (str(session), page + 1)

        return paginate(fetch, what="Mixpanel engage")

    def probe(self) -> str:
        with self.http:
            count = len(self.cohorts())
        return f"connected to Mixpanel project {self.project_id}; {count} cohorts visible"
