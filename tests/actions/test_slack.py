"""Slack as a result-action destination, against the Slack fake through slack-sdk on the guarded transport.

Each test runs inside an app context, as the outbox's `action` handler does, so the
outbound policy (loopback allowed) is the app's; nothing of our code is replaced.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.registry import get_connector, with_capability
from connectors.sdk import Capability, ConfigError, ConfigProblem, RateLimited, TransientError
from connectors.sdk.actions import Action, Destination, Done, Pace, Quote, Rejected
from connectors.slack.client import refusal
from connectors.slack.fake import SlackFake, start
from tests.conftest import close_app, make_app

SLACK = get_connector("slack")


def _destination() -> Destination:
    found = SLACK.actions
    assert found is not None
    return found


DESTINATION = _destination()


@pytest.fixture
def slack_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    with app.app_context():
        yield app
    close_app(app)


@pytest.fixture
def fake(slack_app: Flask) -> Iterator[SlackFake]:
    with start(per_second=50, burst=50) as server:
        yield server


def bot(fake: SlackFake, **overrides: Any) -> dict[str, Any]:
    return SLACK.prepare_config(fake.credentials | overrides)


def finding(key: str = "outbox-1", **fields: str) -> Action:
    return Action(
        key=key,
        operation="post_message",
        fields=fields,
        title="Finding: pricing too high, 38% of 42 interviews",
        text="Theme: pricing too high ...",
        link="https://hub.example/api/v1/findings/5",
        quotes=(
            Quote("It costs <twice> what R&D budgets", "https://hub.example/api/v1/results/3#turn-2", 3),
            Quote("Too pricey for a team of 3", "https://hub.example/api/v1/results/4#turn-0", 4),
        ),
        context={"theme": "pricing too high", "share": 0.38, "interviews": 42, "share_before": 0.2},
    )


def test_slack_declares_actions_one_at_a_time_paced_per_channel() -> None:
    assert "slack" in with_capability(Capability.ACTIONS)
    assert DESTINATION.operations == frozenset({"post_message"})
    assert DESTINATION.batch_size == 1
    assert DESTINATION.pace == Pace(per_seconds=1, count=1, scope="channel")


def test_a_finding_is_posted_as_block_kit(fake: SlackFake) -> None:
    answers = DESTINATION.perform(bot(fake), [finding()])
    done = answers["outbox-1"]
    assert isinstance(done, Done) and done.detail["channel"] == "C0000000001"
    [posted] = fake.messages()
    assert done.ref == posted["ts"]
    assert posted["text"].startswith("Finding: pricing too high") and posted["text"].endswith("/findings/5")
    header, facts, first, second, actions = posted["blocks"]
    assert header["text"] == {"type": "plain_text", "text": "Finding: pricing too high, 38% of 42 interviews"}
    assert facts["text"]["text"] == "*Theme:* pricing too high\n*Share:* 38% of 42 interviews (was 20%)"
    assert first["text"]["text"] == (
        "> It costs &lt;twice&gt; what R&amp;D budgets\n"
        "<https://hub.example/api/v1/results/3#turn-2|Transcript of interview 3>"
    )
    assert "results/4#turn-0|Transcript of interview 4>" in second["text"]["text"]
    assert actions["elements"][0]["url"] == "https://hub.example/api/v1/findings/5"


def test_the_actions_channel_and_opening_line_win_over_the_connections(fake: SlackFake) -> None:
    DESTINATION.perform(bot(fake), [finding(channel="#product", text="Heads up, product team")])
    [posted] = fake.messages()
    assert posted["channel"] == "C0000000002"
    assert posted["blocks"][1]["text"]["text"] == "Heads up, product team"
    assert posted["text"].startswith("Heads up, product team\nFinding:")


def test_a_channel_slack_will_not_post_in_rejects_that_message_in_plain_words(fake: SlackFake) -> None:
    fake.leave("C0000000002")
    answers = DESTINATION.perform(
        bot(fake), [finding("a", channel="#nope"), finding("b", channel="#product")]
    )
    assert answers == {
        "a": Rejected("there is no channel #nope (or the app cannot see it) (channel_not_found)"),
        "b": Rejected("the Slack app is not in #product: invite it there (/invite @app) (not_in_channel)"),
    }
    assert fake.messages() == []


def test_no_channel_anywhere_is_rejected_without_a_call(fake: SlackFake) -> None:
    config = bot(fake)
    del config["channel"]
    assert DESTINATION.perform(config, [finding()]) == {
        "outbox-1": Rejected("no Slack channel: set the connection's channel or the action's channel field")
    }
    assert fake.request_count == 0


def test_a_refused_token_is_the_connections_problem(fake: SlackFake) -> None:
    with pytest.raises(ConfigError, match=r"the bot token was not accepted \(invalid_auth\)") as caught:
        DESTINATION.perform(bot(fake, bot_token="xoxb-revoked"), [finding()])
    assert "xoxb" not in str(caught.value)
    check = SLACK.test_connection(bot(fake, bot_token="xoxb-revoked"))
    assert not check.ok and check.message == "the bot token was not accepted (invalid_auth)"
    assert SLACK.test_connection(bot(fake)).message == "connected to Journeyhub Fake as journeyhub"


def test_posting_too_fast_waits_what_slack_says(fake: SlackFake) -> None:
    fake.pace_channels(per_second=1, burst=1)
    DESTINATION.perform(bot(fake), [finding("a")])
    with pytest.raises(RateLimited) as caught:
        DESTINATION.perform(bot(fake), [finding("b")])
    assert caught.value.retry_after == 1.0 and caught.value.status == 429


def test_slack_failing_or_unreachable_is_retried_later(fake: SlackFake) -> None:
    fake.inject_fault(503)
    with pytest.raises(TransientError, match="internal_error"):
        DESTINATION.perform(bot(fake), [finding()])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with pytest.raises(TransientError, match="could not connect"):
        DESTINATION.perform(bot(fake, base_url=f"http://127.0.0.1:{closed}/api/"), [finding()])


def test_an_incoming_webhook_posts_to_its_channel(fake: SlackFake) -> None:
    config = SLACK.prepare_config({"webhook_url": fake.webhook_url})
    assert DESTINATION.perform(config, [finding(channel="#ignored")]) == {
        "outbox-1": Done(detail={"webhook": True})
    }
    [posted] = fake.messages()
    assert (posted["channel"], posted["via"]) == ("C0000000001", "webhook")
    assert posted["blocks"][0]["text"]["text"].startswith("Finding: pricing too high")
    assert DESTINATION.fields(config, "post_message") == ["text"]
    fake.remove_webhook()
    with pytest.raises(
        ConfigError, match=r"the webhook was removed or disabled in Slack \(no_service\)"
    ) as caught:
        DESTINATION.perform(config, [finding()])
    assert fake.webhook_path not in str(caught.value)


def test_the_ssrf_guard_stands_before_slack_sdk(fake: SlackFake, slack_app: Flask) -> None:
    slack_app.config["JOURNEYHUB"].journeyhub_allowed_hosts = []
    for config in (bot(fake), SLACK.prepare_config({"webhook_url": fake.webhook_url})):
        with pytest.raises(ConfigError, match="loopback"):
            DESTINATION.perform(config, [finding()])
    assert fake.request_count == 0


def test_settings_are_a_bot_token_or_a_webhook() -> None:
    for values in ({}, {"bot_token": "xoxb-1", "webhook_url": "https://hooks.slack.com/services/T/B/X"}):
        with pytest.raises(ConfigProblem) as caught:
            SLACK.prepare_config(values)
        assert set(caught.value.problems) == {"bot_token", "webhook_url"}
    with pytest.raises(ConfigProblem, match="bot_token: must be a Slack token"):
        SLACK.prepare_config({"bot_token": "secret"})
    config = SLACK.prepare_config({"bot_token": "xoxb-1", "channel": "#research"})
    assert config["base_url"] == "https://slack.com/api/"
    assert DESTINATION.fields(config, "post_message") == ["channel", "text"]
    assert DESTINATION.lookup(config, finding()) is None


@pytest.mark.parametrize(
    ("code", "status", "raised"),
    [
        ("rate_limited", 200, RateLimited),  # chat.postMessage's own code, on HTTP 200
        ("ratelimited", 429, RateLimited),
        ("token_revoked", 200, ConfigError),
        ("missing_scope", 200, ConfigError),
        ("action_prohibited", 403, ConfigError),
        ("fatal_error", 200, TransientError),
        ("", 502, TransientError),
    ],
)
def test_what_each_refusal_means(code: str, status: int, raised: type[Exception]) -> None:
    with pytest.raises(raised) as caught:
        refusal(code, status, None, "#research")
    assert "xox" not in str(caught.value)
    if raised is RateLimited:
        assert caught.value.retry_after == 1.0  # type: ignore[attr-defined]


def test_a_refusal_of_one_message_names_the_channel() -> None:
    assert refusal("restricted_action_read_only_channel", 200, None, "#news") == Rejected(
        "#news is read-only (restricted_action_read_only_channel)"
    )
    assert refusal("something_new", 200, None, "#news") == Rejected(
        "Slack refused the message (something_new)"
    )
