"""The Slack fake as slack-sdk's own clients see it: paths, token checks, channel checks, refusals, pace.

Driven through the official `WebClient` and `WebhookClient` pointed at the fake (not our
connector), so the fake is held to what the library sends and expects; `journeyhub fake
slack` is run as a real process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from connectors.registry import with_fake
from connectors.slack.fake import MESSAGES_PATH, SlackFake, start
from tests.fakes.support import calls

BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Finding: pricing"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "> too expensive\n<https://hub/r/1|transcript>"}},
]


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    with start() as server:
        yield server


def web(fake: SlackFake, token: str | None = None) -> WebClient:
    return WebClient(token=token or fake.token, base_url=fake.base_url + "/api/", retry_handlers=[])


def slack_error(call: object) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_post_message_is_kept_and_answered_as_slack_does(fake: SlackFake) -> None:
    answer = web(fake).chat_postMessage(channel="#research", text="fallback", blocks=BLOCKS)
    assert answer["ok"] is True and answer["channel"] == "C0000000001"
    assert answer["message"]["ts"] == answer["ts"] and answer["message"]["blocks"] == BLOCKS
    kept = requests.get(fake.base_url + MESSAGES_PATH, timeout=5).json()
    assert [(m["channel"], m["text"], m["blocks"], m["via"]) for m in kept] == [
        ("C0000000001", "fallback", BLOCKS, "api")
    ]
    assert ("POST", "/api/chat.postMessage") in calls(fake)


def test_channels_by_id_or_name_with_or_without_hash(fake: SlackFake) -> None:
    for ref in ("C0000000002", "product", "#product"):
        assert web(fake).chat_postMessage(channel=ref, text="hi")["channel"] == "C0000000002"


@pytest.mark.parametrize(("token", "code"), [("xoxb-wrong", "invalid_auth"), ("", "not_authed")])
def test_a_bad_token_is_refused_in_the_body_with_http_200(fake: SlackFake, token: str, code: str) -> None:
    client = web(fake)
    client.token = token
    error = slack_error(lambda: client.chat_postMessage(channel="#research", text="x"))
    assert error.response.status_code == 200 and error.response["error"] == code
    assert fake.messages() == []


def test_channel_refusals(fake: SlackFake) -> None:
    client = web(fake)
    assert slack_error(lambda: client.chat_postMessage(channel="#nope", text="x")).response["error"] == (
        "channel_not_found"
    )
    fake.leave("C0000000002")
    assert slack_error(lambda: client.chat_postMessage(channel="#product", text="x")).response["error"] == (
        "not_in_channel"
    )
    fake.archive("C0000000003")
    assert slack_error(lambda: client.chat_postMessage(channel="#general", text="x")).response["error"] == (
        "is_archived"
    )


def test_content_refusals(fake: SlackFake) -> None:
    client = web(fake)
    with pytest.warns(UserWarning, match="text"):  # slack-sdk warns too
        assert (
            slack_error(lambda: client.chat_postMessage(channel="#research")).response["error"] == "no_text"
        )
    bad: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "mrkdwn", "text": "x"}},
        {"type": "carousel"},
    ]
    error = slack_error(lambda: client.chat_postMessage(channel="#research", text="x", blocks=bad))
    assert error.response["error"] == "invalid_blocks"
    assert [m.split("[json-pointer:")[1] for m in error.response["response_metadata"]["messages"]] == [
        "/blocks/0]",
        "/blocks/1]",
    ]
    long_header = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    assert slack_error(
        lambda: client.chat_postMessage(channel="#research", text="x", blocks=long_header)
    ).response["error"] == ("invalid_blocks")
    assert fake.messages() == []


def test_each_channel_takes_a_burst_then_one_a_second_with_retry_after(fake: SlackFake) -> None:
    client = web(fake)
    for n in range(3):
        client.chat_postMessage(channel="#research", text=f"burst {n}")
    error = slack_error(lambda: client.chat_postMessage(channel="#research", text="too fast"))
    assert error.response.status_code == 429 and error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel="#product", text="another channel has its own pace")
    time.sleep(1.05)
    client.chat_postMessage(channel="#research", text="after waiting")
    assert [m["text"] for m in fake.messages()] == [
        "burst 0",
        "burst 1",
        "burst 2",
        "another channel has its own pace",
        "after waiting",
    ]


def test_auth_test(fake: SlackFake) -> None:
    assert web(fake).auth_test()["team"] == "Journeyhub Fake"
    assert slack_error(lambda: web(fake, "xoxb-wrong").auth_test()).response["error"] == "invalid_auth"


def test_incoming_webhook(fake: SlackFake) -> None:
    hook = WebhookClient(fake.webhook_url, retry_handlers=[])
    answer = hook.send(text="fallback", blocks=BLOCKS)
    assert (answer.status_code, answer.body) == (200, "ok")
    assert [(m["channel"], m["via"], m["blocks"]) for m in fake.messages()] == [
        ("C0000000001", "webhook", BLOCKS)
    ]
    empty = hook.send_dict({"unfurl_links": False})
    assert (empty.status_code, empty.body) == (400, "no_text")
    broken = requests.post(fake.webhook_url, data=b"{not json", timeout=5)
    assert (broken.status_code, broken.text) == (400, "invalid_payload")
    wrong = WebhookClient(fake.base_url + "/services/T0000000001/B0000000001/guessed", retry_handlers=[])
    assert (wrong.send(text="x").status_code, wrong.send(text="x").body) == (403, "invalid_token")
    fake.remove_webhook()
    gone = hook.send(text="x")
    assert (gone.status_code, gone.body) == (404, "no_service")
    assert len(fake.messages()) == 1


def test_webhook_rate_limit_is_text_with_retry_after() -> None:
    with start(per_second=1, burst=1) as fake:
        hook = WebhookClient(fake.webhook_url, retry_handlers=[])
        assert hook.send(text="one").status_code == 200
        limited = hook.send(text="two")
        assert (limited.status_code, limited.body) == (429, "rate_limited")
        assert limited.headers["Retry-After"] == "1"


def test_injected_faults_speak_each_dialect(fake: SlackFake) -> None:
    fake.inject_fault(500, times=2)
    assert slack_error(lambda: web(fake).chat_postMessage(channel="#research", text="x")).response.data == {
        "ok": False,
        "error": "internal_error",
    }
    failed = WebhookClient(fake.webhook_url, retry_handlers=[]).send(text="x")
    assert (failed.status_code, failed.body) == (500, "internal_error")


def test_journeyhub_fake_slack_runs_and_describes_itself() -> None:
    assert "slack" in with_fake()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "fake", "slack"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        described = json.loads(process.stdout.readline())
        credentials = described["credentials"]
        client = WebClient(
            token=credentials["bot_token"], base_url=credentials["base_url"], retry_handlers=[]
        )
        assert client.chat_postMessage(channel=credentials["channel"], text="from the demo")["ok"] is True
        assert WebhookClient(described["webhook_url"], retry_handlers=[]).send(text="hook").body == "ok"
        kept = requests.get(described["base_url"] + MESSAGES_PATH, timeout=5).json()
        assert [m["text"] for m in kept] == ["from the demo", "hook"]
    finally:
        process.terminate()
        process.wait(timeout=10)
