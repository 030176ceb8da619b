"""Typed connection settings: checked when a connection is saved, read back as their types."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.registry import get_connector
from connectors.sdk import ConfigField, ConfigProblem, FieldType

PAGE = ConfigField(name="page_size", label="Page", type=FieldType.INTEGER, minimum=1, maximum=250)
FLAG = ConfigField(name="eu", label="EU", type=FieldType.BOOLEAN)
URL = ConfigField(name="base_url", label="Address", type=FieldType.URL)


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        (PAGE, "250", 250),
        (PAGE, 7, 7),
        (PAGE, " 12 ", 12),
        (PAGE, 3.0, 3),
        (FLAG, "yes", True),
        (FLAG, "OFF", False),
        (FLAG, False, False),
        (URL, " https://api.example.com ", "https://api.example.com"),
    ],
)
def test_values_become_their_declared_type(field: ConfigField, given: Any, expected: Any) -> None:
    assert field.coerce(given) == expected


@pytest.mark.parametrize(
    ("field", "given", "message"),
    [
        (PAGE, "abc", "must be a whole number"),
        (PAGE, True, "must be a whole number"),
        (PAGE, 2.5, "must be a whole number"),
        (PAGE, "0", "must be at least 1"),
        (PAGE, 251, "must be at most 250"),
        (FLAG, "maybe", "must be true or false"),
        (URL, "ftp://example.com", "http:// or https://"),
        (URL, "https://", "http:// or https://"),
        (ConfigField(name="name", label="Name"), {"a": 1}, "must be text"),
    ],
)
def test_wrong_values_say_what_is_expected(field: ConfigField, given: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        field.coerce(given)


def test_saving_names_every_field_that_does_not_fit() -> None:
    hubspot = get_connector("hubspot")
    with pytest.raises(ConfigProblem) as caught:
        hubspot.prepare_config({"page_size": "abc", "base_url": "nope", "colour": "red"})
    assert caught.value.problems == {
        "access_token": "required",
        "page_size": "must be a whole number",
        "base_url": "must be an http:// or https:// address",
        "colour": "unknown setting",
    }


def test_defaults_fill_in_and_empty_text_counts_as_absent() -> None:
    config = get_connector("hubspot").prepare_config(
        {"access_token": "t", "page_size": "", "webhook_url": ""}
    )
    assert config["page_size"] == 250 and "webhook_url" not in config


def test_settings_stored_before_fields_were_typed_read_back_typed_or_untouched() -> None:
    spec = get_connector("salesforce").spec
    assert spec.typed({"page_size": "500", "api_version": "59.0"}) == {
        "page_size": 500,
        "api_version": "59.0",
    }
    assert spec.typed({"page_size": "lots"}) == {"page_size": "lots"}


def test_help_lines_describe_type_requirement_and_default() -> None:
    described = {f.name: f.describe() for f in get_connector("hubspot").spec.fields}
    assert described["access_token"].startswith("access_token (text, required, secret)")
    assert "integer" in described["page_size"] and "default 250" in described["page_size"]


def test_a_choice_is_matched_without_case_and_kept_as_declared() -> None:
    region = ConfigField(name="region", label="Region", default="US", choices=("US", "EU", "IN"))
    assert region.coerce(" eu ") == "EU"
    with pytest.raises(ValueError, match="must be one of US, EU, IN"):
        region.coerce("APAC")
    assert region.describe().startswith("region (US | EU | IN, default US)")
