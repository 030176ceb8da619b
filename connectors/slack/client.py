"""Slack's two ways in, `chat.postMessage` (a bot token) and an incoming-webhook URL, and what their refusals mean.

Slack answers a refused Web API call with HTTP 200 and `{"ok": false, "error": "<code>"}`,
and a refused webhook post with a 4xx and the bare code as text. Each code becomes one of:
the connection must be fixed (`ConfigError`: a revoked token, a dead webhook), this message
alone cannot go (`Rejected`: a channel the app is not in, blocks Slack will not take),
later (`TransientError`), or wait as told (`RateLimited`, from a 429's Retry-After). The
words say what to do; neither the token nor the webhook URL (its path is a secret) is ever
in them.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from connectors.sdk import (
    ConfigError,
    ErrorResolution,
    FailureType,
    RateLimited,
    ResponseAction,
    TransientError,
)
from connectors.sdk.actions import Done, Rejected
from connectors.slack.transport import GuardedWebClient, GuardedWebhookClient

API_URL = "https://slack.com/api/"
DEFAULT_RETRY_AFTER_S = 1.0

FIX_CONNECTION = {
    "invalid_auth": "the bot token was not accepted",
    "not_authed": "no bot token was sent",
    "account_inactive": "the bot token belongs to a deleted user or workspace",
    "token_revoked": "the bot token was revoked",
    "token_expired": "the bot token expired",
    "no_permission": "the bot token may not post messages",
    "missing_scope": "the Slack app lacks the chat:write scope",
    "not_allowed_token_type": "the token is not a bot token (xoxb-)",
    "ekm_access_denied": "Slack administrators suspended posting messages",
    "invalid_token": "the webhook URL's token was not accepted",
    "action_prohibited": "a Slack admin blocked this webhook",
    "no_service": "the webhook was removed or disabled in Slack",
    "no_team": "the webhook's Slack workspace is gone",
    "team_disabled": "the Slack workspace is disabled",
    "channel_is_archived": "the webhook's channel is archived",
    "posting_to_general_channel_denied": "only admins may post to the webhook's channel",
}
THIS_MESSAGE = {
    "channel_not_found": "there is no channel {channel} (or the app cannot see it)",
    "not_in_channel": "the Slack app is not in {channel}: invite it there (/invite @app)",
    "is_archived": "{channel} is archived",
    "restricted_action": "the workspace does not let the app post in {channel}",
    "restricted_action_read_only_channel": "{channel} is read-only",
    "restricted_action_thread_only_channel": "{channel} takes replies in threads only",
    "msg_too_long": "the message is longer than Slack takes",
    "no_text": "the message has no text",
    "invalid_blocks": "Slack did not accept the message's blocks",
    "invalid_blocks_format": "Slack did not accept the message's blocks",
    "invalid_payload": "Slack did not accept the message's body",
    "too_many_attachments": "the message has too many attachments",
}
LATER = {
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
    "org_login_required",
}
SLOW_DOWN = {"ratelimited", "rate_limited"}


def context_for(config: Mapping[str, Any]) -> ssl.SSLContext | None:
    """Trusts a private CA's bundle where the connection names one (a fake with TLS)."""
    bundle = config.get("ca_bundle")
    return ssl.create_default_context(cafile=str(bundle)) if bundle else None


def refusal(code: str, status: int, retry_after: str | None, channel: str) -> Rejected:
    """A refusal of this message alone, or raises for one of the whole connection (or a wait)."""
    if status == 429 or code in SLOW_DOWN:
        wait = _seconds(retry_after)
        raise RateLimited(
            f"Slack: HTTP 429, posting too fast; retry in {wait:g} s",
            resolution=ErrorResolution(
                ResponseAction.RATE_LIMITED, FailureType.TRANSIENT_ERROR, "Slack is rate limiting us"
            ),
            status=status,
            provider_message=code,
            retry_after=wait,
        )
    if code in FIX_CONNECTION:
        words = FIX_CONNECTION[code]
        raise ConfigError(
            f"Slack: {words} ({code})",
            resolution=ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, words),
            status=status,
            provider_message=f"{words} ({code})",
        )
    if code in LATER or status >= 500:
        raise TransientError(
            f"Slack: failed for now ({code or f'HTTP {status}'}); retrying later",
            resolution=ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "Slack failed"),
            status=status,
            provider_message=code,
        )
    words = THIS_MESSAGE.get(code, "Slack refused the message").format(channel=channel or "the channel")
    return Rejected(f"{words} ({code or f'HTTP {status}'})")


def _seconds(retry_after: str | None) -> float:
    try:
        return max(float(retry_after or DEFAULT_RETRY_AFTER_S), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


def _unreachable(exc: URLError) -> TransientError:
    return TransientError(
        f"Slack: could not connect ({type(exc.reason).__name__})",
        resolution=ErrorResolution(
            ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "could not connect to Slack"
        ),
    )


def post_message(config: Mapping[str, Any], channel: str, body: Mapping[str, Any]) -> Done | Rejected:
    """`chat.postMessage` with the bot token; Done carries the message's channel id and ts."""
    client = GuardedWebClient(
        token=str(config["bot_token"]),
        base_url=str(config.get("base_url") or API_URL),
        context=context_for(config),
    )
    try:
        answer = client.chat_postMessage(channel=channel, **body)
    except SlackApiError as exc:
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {}
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        retry_after = headers.get("retry-after")
        return refusal(str(data.get("error") or ""), response.status_code, _one(retry_after), channel)
    except URLError as exc:
        raise _unreachable(exc) from None
    ts = str(answer.get("ts") or "")
    return Done(ref=ts, detail={"channel": str(answer.get("channel") or channel), "ts": ts})


def post_webhook(config: Mapping[str, Any], body: Mapping[str, Any]) -> Done | Rejected:
    """A post to the connection's incoming-webhook URL, whose channel Slack fixed when it was made."""
    client = GuardedWebhookClient(url=str(config["webhook_url"]), context=context_for(config))
    try:
        answer = client.send_dict(dict(body))
    except URLError as exc:
        raise _unreachable(exc) from None
    if answer.status_code == 200:
        return Done(detail={"webhook": True})
    headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
    code = answer.body.strip() if len(answer.body) < 100 else ""
    return refusal(code, answer.status_code, _one(headers.get("retry-after")), "the webhook's channel")


def _one(value: Any) -> str | None:
    """A header as urllib hands it to slack-sdk: a string, or a list of them."""
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def auth_test(config: Mapping[str, Any]) -> str:
    """`auth.test`: who the token is, in words, or the refusal raised as for a message."""
    client = GuardedWebClient(
        token=str(config.get("bot_token") or ""),
        base_url=str(config.get("base_url") or API_URL),
        context=context_for(config),
    )
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        rejected = refusal(str(data.get("error") or ""), exc.response.status_code, None, "")
        raise ConfigError(
            f"Slack: {rejected.error}",
            resolution=ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, rejected.error),
            provider_message=rejected.error,
        ) from None
    except URLError as exc:
        raise _unreachable(exc) from None
    return f"connected to {answer.get('team')} as {answer.get('user')}"
