"""The Messages API fake answers as Anthropic does: auth, validation, tool use, usage and errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.anthropic.fake import AnthropicFake
from connectors.registry import get_connector

TOOL = {"name": "t", "input_schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}


@pytest.fixture
def fake() -> Iterator[AnthropicFake]:
    server = AnthropicFake().serve()
    yield server
    server.stop()


def post(fake: AnthropicFake, body: dict[str, Any], key: str | None = None) -> requests.Response:
    headers = {"x-api-key": key or fake.token, "anthropic-version": "2023-06-01"}
    return requests.post(f"{fake.base_url}/v1/messages", json=body, headers=headers, timeout=5)


def body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-haiku-4-5",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        **extra,
    }


def test_auth_and_validation_errors_come_in_anthropics_shape(fake: AnthropicFake) -> None:
    refused = post(fake, body(), key="sk-ant-wrong")
    assert refused.status_code == 401 and refused.json()["error"]["type"] == "authentication_error"
    assert refused.json()["type"] == "error" and refused.json()["request_id"].startswith("req_")
    missing = post(fake, {"model": "m", "messages": []})
    assert missing.status_code == 400 and missing.json()["error"]["type"] == "invalid_request_error"


def test_a_forced_tool_is_answered_with_tool_use_and_scripted_inputs(fake: AnthropicFake) -> None:
    fake.answer_with({"a": "not a number"})
    forced = body(tools=[TOOL], tool_choice={"type": "tool", "name": "t"})
    first, second = post(fake, forced).json(), post(fake, forced).json()
    assert first["stop_reason"] == "tool_use" and first["content"][0]["input"] == {"a": "not a number"}
    assert second["content"][0]["input"] == {"a": 0}  # no range: 0
    assert post(fake, body()).json()["content"][0]["type"] == "text"


def test_cache_control_prefixes_are_written_then_read(fake: AnthropicFake) -> None:
    system = [{"type": "text", "text": "rules " * 100, "cache_control": {"type": "ephemeral"}}]
    first = post(fake, body(system=system)).json()["usage"]
    second = post(fake, body(system=system)).json()["usage"]
    assert first["cache_creation_input_tokens"] > 0 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0


def test_overload_rate_limit_and_spend_limit(fake: AnthropicFake) -> None:
    fake.inject_fault(529, retry_after=2)
    overloaded = post(fake, body())
    assert overloaded.status_code == 529 and overloaded.json()["error"]["type"] == "overloaded_error"
    assert overloaded.headers["retry-after"] == "2"
    fake.exhaust_spend()
    spent = post(fake, body())
    assert spent.status_code == 429 and spent.headers["x-should-retry"] == "false"
    assert spent.json()["error"]["details"]["error_code"] == "enforced_spend_limit_reached"


def test_the_connector_is_not_a_connection() -> None:
    with pytest.raises(ValueError, match="ANTHROPIC_API_KEY"):
        get_connector("anthropic").prepare_config({})
