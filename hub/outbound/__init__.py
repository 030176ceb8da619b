"""The one way out: SSRF guard in every transport, one failure table, retries counted once, secrets scrubbed.

This facade is what connectors (through connectors.sdk) and the rest of the hub import;
the modules behind it are its parts: `guard` and `ssrf` (where calls may go), `failures`
and `waits` (what an answer means), `retries` (the policy), `client` (our HTTP client),
`scope` (the policy of the running job), `scrub` (secrets out of text and logs).
"""

from hub.outbound.client import ErrorTable, HttpClient
from hub.outbound.failures import (
    CREDENTIALS_REJECTED,
    IGNORE,
    RATE_LIMITED,
    ConfigError,
    ErrorResolution,
    FailureType,
    HttpError,
    RateLimited,
    ResponseAction,
    TransientError,
    classify_exception,
)
from hub.outbound.guard import guarded_connection
from hub.outbound.retries import Policy, RetryEvent, RetryStats, call_with_retries
from hub.outbound.scope import Outbound, outbound, outbound_scope
from hub.outbound.waits import WaitHint, number

__all__ = [
    "CREDENTIALS_REJECTED",
    "IGNORE",
    "RATE_LIMITED",
    "ConfigError",
    "ErrorResolution",
    "ErrorTable",
    "FailureType",
    "HttpClient",
    "HttpError",
    "Outbound",
    "Policy",
    "RateLimited",
    "ResponseAction",
    "RetryEvent",
    "RetryStats",
    "TransientError",
    "WaitHint",
    "call_with_retries",
    "classify_exception",
    "guarded_connection",
    "number",
    "outbound",
    "outbound_scope",
]
