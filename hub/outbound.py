"""How connectors call out from inside a job: the app's allowed hosts, its retry knobs, the run's counters.

Connector code is handed only a config dict, yet a run record must say how often the
provider made it wait, and tests must be able to shorten backoff sleeps without patching
anything. The sync sets a scope (a context variable) around the connector call; clients
built here read it, so every connector counts its retries the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from flask import current_app, has_app_context

from hub.http import HttpClient, RetryEvent, RetryStats, call_with_retries
from hub.http_errors import ErrorResolution, ResponseAction
from hub.ssrf import check_outbound_url

T = TypeVar("T")
CONFIG_KEY = "JOURNEYHUB_OUTBOUND"
"""`app.config[CONFIG_KEY]` may override `max_attempts`, `max_wait_s` and `sleep` (tests do)."""


@dataclass(frozen=True)
class Outbound:
    allowed_hosts: tuple[str, ...] = ()
    max_attempts: int = 5
    max_wait_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    stats: RetryStats = field(default_factory=RetryStats)

    def count(self, event: RetryEvent) -> None:
        self.stats.retries += 1
        self.stats.waited_s += event.wait_s
        if event.error.resolution.action is ResponseAction.RATE_LIMITED:
            self.stats.rate_limited_waits += 1

    def check(self, url: str) -> None:
        """For SDKs that own their transport: the SSRF guard runs before they are handed the URL."""
        check_outbound_url(url, self.allowed_hosts)

    def client(self, base_url: str, **options: Any) -> HttpClient:
        return HttpClient(
            base_url,
            allowed_hosts=self.allowed_hosts,
            max_attempts=self.max_attempts,
            max_wait_s=self.max_wait_s,
            sleep=self.sleep,
            on_retry=self.count,
            **options,
        )

    def call(
        self,
        fn: Callable[[], T],
        classify: Callable[[BaseException], ErrorResolution | None],
        *,
        what: str,
        secrets: Iterable[str] = (),
    ) -> T | None:
        return call_with_retries(
            fn,
            classify,
            what=what,
            secrets=secrets,
            max_attempts=self.max_attempts,
            max_wait_s=self.max_wait_s,
            sleep=self.sleep,
            on_retry=self.count,
        )


_current: ContextVar[Outbound | None] = ContextVar("journeyhub_outbound", default=None)


def _from_app() -> Outbound:
    if not has_app_context():
        return Outbound()
    settings = current_app.config["JOURNEYHUB"]
    overrides = current_app.config.get(CONFIG_KEY) or {}
    return replace(Outbound(allowed_hosts=tuple(settings.journeyhub_allowed_hosts)), **overrides)


def outbound() -> Outbound:
    """The scope set by the running job, or a fresh one from the current app's settings."""
    return _current.get() or _from_app()


@contextmanager
def outbound_scope(stats: RetryStats) -> Iterator[Outbound]:
    """Connector calls inside the block count their retries into `stats`."""
    scope = replace(_from_app(), stats=stats)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
