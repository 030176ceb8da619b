"""How connectors call out from inside a job: the app's allowed hosts, its retry knobs, the run's counters.

Connector code is handed only a config dict, yet a run record must say how often the
provider made it wait, and tests must be able to shorten backoff sleeps without patching
anything. The sync sets a scope (a context variable) around the connector call; every
client and transport built here reads it, so every connector counts its retries the same
way and none can skip the SSRF guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import requests
from flask import current_app, has_app_context

from hub.outbound.client import HttpClient
from hub.outbound.failures import ErrorResolution
from hub.outbound.guard import GuardedPoolManager, guarded_session
from hub.outbound.retries import Policy, RetryStats, call_with_retries
from hub.outbound.waits import WaitHint

T = TypeVar("T")
CONFIG_KEY = "JOURNEYHUB_OUTBOUND"
"""`app.config[CONFIG_KEY]` may override `max_attempts`, `max_wait_s` and `sleep` (tests do)."""


@dataclass(frozen=True)
class Outbound:
    """Everything a connector needs to call out, under one policy."""

    policy: Policy

    @property
    def stats(self) -> RetryStats:
        return self.policy.stats

    def client(self, base_url: str, **options: Any) -> HttpClient:
        return HttpClient(base_url, self.policy, **options)

    def call(
        self,
        fn: Callable[[], T],
        classify: Callable[[BaseException], ErrorResolution | None],
        *,
        what: str,
        secrets: Iterable[str] = (),
        wait_hint: WaitHint | None = None,
    ) -> T | None:
        """An official SDK call, classified and retried like the client's; its transport is guarded separately."""
        return call_with_retries(
            fn, classify, what=what, secrets=secrets, policy=self.policy, wait_hint=wait_hint
        )

    def session(self) -> requests.Session:
        """A requests session for SDKs built on requests (simple-salesforce)."""
        return guarded_session(self.policy.allowed_hosts)

    def pool_manager(self, **options: Any) -> GuardedPoolManager:
        """A urllib3 pool manager for SDKs built on urllib3 (openapi-generator clients)."""
        return GuardedPoolManager(self.policy.allowed_hosts, **options)


_current: ContextVar[Outbound | None] = ContextVar("journeyhub_outbound", default=None)


def _policy(stats: RetryStats | None = None) -> Policy:
    if not has_app_context():
        return Policy(stats=stats or RetryStats())
    settings = current_app.config["JOURNEYHUB"]
    overrides = current_app.config.get(CONFIG_KEY) or {}
    policy = Policy(allowed_hosts=tuple(settings.journeyhub_allowed_hosts), stats=stats or RetryStats())
    return replace(policy, **overrides)


def outbound() -> Outbound:
    """The scope set by the running job, or a fresh one from the current app's settings."""
    return _current.get() or Outbound(_policy())


@contextmanager
def outbound_scope(stats: RetryStats) -> Iterator[Outbound]:
    """Connector calls inside the block count their retries into `stats`."""
    scope = Outbound(_policy(stats))
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
