"""Mixpanel and Amplitude `update_fields` and `track` against their fakes: one request per batch,
events built by the official libraries, refused records answered by record."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from connectors.amplitude import fake as amplitude_fake
from connectors.amplitude.fake import AmplitudeFake
from connectors.mixpanel import fake as mixpanel_fake
from connectors.mixpanel.fake import MixpanelFake
from connectors.registry import get_connector
from connectors.sdk import ConfigError, RateLimited, TransientError
from connectors.sdk.actions import Destination, Done, Rejected
from connectors.sdk.spec import Capability
from tests.actions.conftest import RESULT, action
from tests.fakes.support import calls, received

MIXPANEL, AMPLITUDE = get_connector("mixpanel"), get_connector("amplitude")
COMPLETED = int(datetime.fromisoformat(str(RESULT["completed_at"])).timestamp())
FIELDS = {"jh_themes": "pricing, onboarding", "jh_sentiment": "negative"}


def destination(connector: Any) -> Destination:
    assert connector.actions is not None and Capability.ACTIONS in connector.spec.capabilities
    found: Destination = connector.actions
    return found


@pytest.fixture
def mixpanel() -> Iterator[MixpanelFake]:
    with mixpanel_fake.start(members=50, seed=4) as server:
        yield server


@pytest.fixture
def amplitude() -> Iterator[AmplitudeFake]:
    with amplitude_fake.start(members=50, seed=4) as server:
        yield server


def mp_config(fake: MixpanelFake) -> dict[str, Any]:
    return MIXPANEL.prepare_config(fake.credentials)


def amp_config(fake: AmplitudeFake) -> dict[str, Any]:
    return AMPLITUDE.prepare_config(fake.credentials)


def mp_action(fake: MixpanelFake, index: int, operation: Any = "update_fields") -> Any:
    return action(
        f"k{index}",
        operation=operation,
        identities={"mixpanel_distinct_id": f"3:{fake.member_id(index)}"},
        fields=FIELDS,
    )


def perform_all(dest: Destination, config: dict[str, Any], actions: list[Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for start in range(0, len(actions), dest.batch_size):
        answers |= dest.perform(config, actions[start : start + dest.batch_size])
    return answers


def test_mixpanel_sets_profiles_in_one_engage_batch(outbound_app: Flask, mixpanel: MixpanelFake) -> None:
    dest = destination(MIXPANEL)
    answers = perform_all(dest, mp_config(mixpanel), [mp_action(mixpanel, i) for i in range(40)])
    assert dest.batch_size == 2000 and calls(mixpanel) == [("POST", "/engage")]
    assert all(isinstance(a, Done) for a in answers.values()) and len(answers) == 40
    assert mixpanel.person(mixpanel.member_id(39)).extra["jh_sentiment"] == "negative"
    (sent,) = received(mixpanel)
    updates = json.loads(sent["json"]["data"])  # form-encoded `data`, as mixpanel-python sends it
    assert sent["json"]["verbose"] == "1" and len(updates) == 40
    assert updates[0]["$distinct_id"] == "user-0" and updates[0]["$set"] == FIELDS


def test_mixpanel_engage_refusal_and_missing_token_are_whole_request_failures(
    outbound_app: Flask, mixpanel: MixpanelFake
) -> None:
    dest, config = destination(MIXPANEL), mp_config(mixpanel)
    with pytest.raises(ConfigError, match="invalid or missing project token"):
        dest.perform({**config, "project_token": "wrong"}, [mp_action(mixpanel, 1)])
    with pytest.raises(ConfigError, match="project_token"):
        dest.perform({**config, "project_token": None}, [mp_action(mixpanel, 1)])
    assert dest.perform(config, [action("x", fields=FIELDS)]) == {
        "x": Rejected("the person has no Mixpanel distinct_id or user id")
    }


def test_mixpanel_tracks_imported_events_and_rejects_only_refused_ones(
    outbound_app: Flask, mixpanel: MixpanelFake
) -> None:
    dest, config = destination(MIXPANEL), mp_config(mixpanel)
    good = [mp_action(mixpanel, i, "track") for i in range(3)]
    placeholder = action("anon", operation="track", identities={"user_id": "anonymous"})
    answers = dest.perform(config, [*good, placeholder])
    assert calls(mixpanel) == [("POST", "/import")]
    _, events = mixpanel.ingest_state()
    assert len(events) == 3
    event = next(iter(events.values()))
    assert event["event"] == "interview_completed"
    assert event["properties"]["themes"] == ["pricing", "onboarding"]
    assert event["properties"]["sentiment"] == "negative" and event["properties"]["quality"] == 4
    assert event["properties"]["time"] == COMPLETED
    assert all(isinstance(answers[a.key], Done) for a in good)
    refused = answers["anon"]
    assert isinstance(refused, Rejected) and not refused.retry and "placeholder" in refused.error
    dest.perform(config, good)  # the same insert_ids: Mixpanel keeps each event once
    assert len(mixpanel.ingest_state()[1]) == 3


def test_mixpanel_whole_request_failures_are_raised(outbound_app: Flask, mixpanel: MixpanelFake) -> None:
    dest, config, batch = destination(MIXPANEL), mp_config(mixpanel), [mp_action(mixpanel, 1, "track")]
    mixpanel.rate_limit(1, 60)
    dest.perform(config, batch)
    with pytest.raises(RateLimited):
        dest.perform(config, batch)
    mixpanel.reset_faults()
    mixpanel.inject_fault(502)
    with pytest.raises(TransientError):
        dest.perform(config, batch)
    with pytest.raises(ConfigError):
        dest.perform({**config, "service_account_secret": "wrong"}, batch)


def amp_action(fake: AmplitudeFake, index: int, operation: Any = "update_fields") -> Any:
    return action(f"k{index}", operation=operation, identities={"user_id": f"user-{index}"}, fields=FIELDS)


def test_amplitude_identifies_and_tracks_in_batches_of_1000(
    outbound_app: Flask, amplitude: AmplitudeFake
) -> None:
    dest, config = destination(AMPLITUDE), amp_config(amplitude)
    people = [i for i in range(50) if i % 7 != 3]
    answers = perform_all(dest, config, [amp_action(amplitude, i) for i in people])
    answers |= perform_all(dest, config, [amp_action(amplitude, i, "track") for i in people])
    assert dest.batch_size == 1000
    assert calls(amplitude) == [("POST", "/2/httpapi")] * 2 * math.ceil(len(people) / 1000)
    assert all(isinstance(a, Done) for a in answers.values())
    assert amplitude.person(amplitude.member_id(1)).extra["jh_sentiment"] == "negative"
    identify, track = (received(amplitude)[n]["json"]["events"][0] for n in (0, 1))
    assert identify["event_type"] == "$identify" and identify["user_properties"] == {"$set": FIELDS}
    assert track["event_type"] == "interview_completed" and track["time"] == COMPLETED * 1000
    assert track["event_properties"]["themes"] == ["pricing", "onboarding"]


def test_amplitude_invalid_events_fail_alone_and_the_rest_are_retried(
    outbound_app: Flask, amplitude: AmplitudeFake
) -> None:
    dest, config = destination(AMPLITUDE), amp_config(amplitude)
    short = action("short", identities={"user_id": "u1"}, fields=FIELDS)
    answers = dest.perform(config, [amp_action(amplitude, 1), short, amp_action(amplitude, 2)])
    assert isinstance(answers["short"], Rejected) and not answers["short"].retry
    for key in ("k1", "k2"):
        assert answers[key] == Rejected("not ingested: sent in a batch with refused events", retry=True)
    assert not amplitude.ingested
    again = dest.perform(config, [amp_action(amplitude, 1), amp_action(amplitude, 2)])
    assert all(isinstance(a, Done) for a in again.values()) and len(amplitude.ingested) == 2


def test_amplitude_whole_request_failures_are_raised(outbound_app: Flask, amplitude: AmplitudeFake) -> None:
    dest, config, batch = destination(AMPLITUDE), amp_config(amplitude), [amp_action(amplitude, 1, "track")]
    amplitude.inject_fault(429)
    with pytest.raises(RateLimited) as limited:
        dest.perform(config, batch)
    assert limited.value.retry_after == 30
    amplitude.inject_fault(503)
    with pytest.raises(TransientError):
        dest.perform(config, batch)
    with pytest.raises(ConfigError, match="Invalid API key"):
        dest.perform({**config, "api_key": "wrong"}, batch)
