"""Connection settings as the API takes them: JSON-typed, and documented per connector.

The connector SDK reads settings leniently because `--set page_size=250` arrives as text.
A JSON client has real types, so here a whole number must be a JSON number, a switch a JSON
boolean and an address an http(s) URL; the OpenAPI document says so for every connector
(`ConnectionIn` lists one branch per connector), so what the document allows, the API takes.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.registry import all_connectors, get_connector
from connectors.sdk import ConfigField, ConfigProblem, ConnectorSpec, FieldType
from hub.api.common import NO_NUL

URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?$"
_URL = re.compile(URL_PATTERN, re.ASCII)
_EXPECTED = {
    FieldType.INTEGER: "must be a whole number",
    FieldType.BOOLEAN: "must be true or false",
    FieldType.TEXT: "must be text",
    FieldType.URL: "must be an http:// or https:// address",
}


def check_settings(connector_name: str, values: dict[str, Any]) -> None:
    """ConfigProblem naming every setting that is unknown, missing, of the wrong JSON type or out of range.

    UnknownConnector when there is no such connector.
    """
    connector = get_connector(connector_name)
    problems = _type_problems(connector.spec, values)
    try:
        connector.prepare_config(values)
    except ConfigProblem as exc:
        problems = {**exc.problems, **problems}
    if problems:
        raise ConfigProblem(problems)


def _type_problems(spec: ConnectorSpec, values: dict[str, Any]) -> dict[str, str]:
    fields = {f.name: f for f in spec.fields}
    return {
        name: _EXPECTED[fields[name].type]
        for name, value in values.items()
        if name in fields and not _json_typed(fields[name], value)
    }


def _json_typed(field: ConfigField, value: Any) -> bool:
    if field.type is FieldType.INTEGER:  # JSON Schema counts 250.0 as an integer too
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if field.type is FieldType.BOOLEAN:
        return isinstance(value, bool)
    if field.type is FieldType.URL:
        return isinstance(value, str) and _URL.fullmatch(value) is not None
    return isinstance(value, str)


def connection_in_schema(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of ConnectionIn: the connector names, and each one's settings."""
    connectors = all_connectors()
    schema["properties"]["connector"]["enum"] = list(connectors)
    schema["oneOf"] = [_branch(connector.spec) for connector in connectors.values()]


def _branch(spec: ConnectorSpec) -> dict[str, Any]:
    required = [f.name for f in spec.fields if f.required and f.default in (None, "")]
    settings: dict[str, Any] = {
        "type": "object",
        "title": f"{spec.title} settings",
        "properties": {f.name: _field_schema(f) for f in spec.fields},
        "additionalProperties": False,
    }
    branch: dict[str, Any] = {
        "title": spec.title,
        "properties": {"connector": {"const": spec.name}, "settings": settings},
    }
    if required:
        settings["required"] = required
        branch["required"] = ["settings"]
    return branch


def _field_schema(field: ConfigField) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": f"{field.label}: {field.help}" if field.help else field.label}
    if field.type is FieldType.INTEGER:
        schema["type"] = "integer"
        schema |= {k: v for k, v in (("minimum", field.minimum), ("maximum", field.maximum)) if v is not None}
    elif field.type is FieldType.BOOLEAN:
        schema["type"] = "boolean"
    elif field.type is FieldType.URL:
        schema |= {"type": "string", "pattern": URL_PATTERN}
    elif field.choices:
        schema |= {"type": "string", "enum": list(field.choices)}
    else:
        schema |= {"type": "string", "pattern": NO_NUL}
        if field.required and field.default in (None, ""):
            schema["minLength"] = 1
    if field.default not in (None, ""):
        schema["default"] = field.default
    if field.secret:
        schema["writeOnly"] = True
    return schema
