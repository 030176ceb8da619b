"""Secret scrubbing: tokens and secret paths never reach logs or errors."""

from __future__ import annotations

import logging

import pytest
from werkzeug.wrappers import Request

from hub.outbound.failures import ConfigError
from hub.outbound.scrub import SecretScrubber, scrub
from tests.http.conftest import TOKEN, LocalServer, Reply, local_client


def test_secrets_never_reach_logs_or_errors(
    server: LocalServer, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    path_secret = "B0123/XyZsecretWebhookPath"

    def echo(request: Request) -> Reply:
        said = f"bad token {request.headers.get('Authorization')} / {request.headers.get('X-Api-Key')} at {request.url}"
        return Reply(401, {"error": {"type": "authentication_error", "message": said}})

    server.reply(Reply(500, "boom"), echo)
    caplog.set_level(logging.DEBUG)
    for name in ("hub", "urllib3"):  # an app or an SDK used earlier may have set these loggers' levels
        caplog.set_level(logging.DEBUG, logger=name)
    with (
        local_client(
            server.url,
            sleeps,
            secrets=[path_secret],
            headers={"Authorization": f"Bearer {TOKEN}", "X-Api-Key": TOKEN},
        ) as c,
        pytest.raises(ConfigError) as caught,
    ):
        c.request("GET", f"/services/T0/{path_secret}", params={"api_key": TOKEN, "token": TOKEN})
    assert server.seen[1].headers["X-Api-Key"] == TOKEN
    assert "bad token" in str(caught.value)
    ours = [record for record in caplog.records if record.name != "werkzeug"]  # the server's own access log
    logged = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in ours)
    for text in (logged, str(caught.value), repr(caught.value.args), caught.value.provider_message or ""):
        assert TOKEN not in text
        assert path_secret not in text
    assert "retrying in" in logged
    assert "api_key=***" in logged
    assert any(record.name == "urllib3.connectionpool" for record in ours)
    assert any(record.name == "hub.outbound.client" and record.levelno == logging.DEBUG for record in ours)


def test_scrub_masks_credential_shapes() -> None:
    text = (
        "GET https://user:hunter2pass@api.example.com/x?api_key=abc123&limit=5&access_token=zzz "
        "Authorization: Basic dXNlcjpwYXNz; header Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"
    )
    masked = scrub(text, ["limit-not-a-secret-xyz"])
    for leaked in ("hunter2pass", "abc123", "zzz", "dXNlcjpwYXNz", "eyJhbGciOiJIUzI1NiJ9"):
        assert leaked not in masked
    assert "limit=5" in masked
    assert scrub("value is s3cr3t%2Fv and s3cr3t/v", ["s3cr3t/v"]) == "value is *** and ***"


def test_secret_scrubber_filter_masks_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.scrubbed")
    scrubber = SecretScrubber(["first-secret-1"])
    scrubber.add("second-secret-2")
    logger.addFilter(scrubber)
    try:
        with caplog.at_level(logging.INFO, logger="tests.scrubbed"):
            logger.info("calling with %s and %r", "first-secret-1", {"k": "second-secret-2"})
            try:
                raise ValueError("failed with second-secret-2")
            except ValueError:
                logger.exception("oops")
    finally:
        logger.removeFilter(scrubber)
    assert "first-secret-1" not in caplog.text
    assert "second-secret-2" not in caplog.text
    assert "calling with *** and {'k': '***'}" in caplog.text
    assert "ValueError: failed with ***" in caplog.text
