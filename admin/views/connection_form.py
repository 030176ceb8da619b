"""A connection's form, built from what its connector declares (`spec.fields`).

Checking the values is the connector's (`prepare_config`, through hub.connections): this
module only turns fields into inputs and the connector's problems into messages beside them.
Secrets are write-only: an edit shows MASK for a stored secret, and MASK sent back keeps it.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import PasswordInput

from connectors.sdk import ConfigField, ConnectorSpec, FieldType
from hub.secrets import MASK

PREFIX = "setting_"
"""Keeps a connector's own field names (`name`, say) apart from the form's."""


def form_class(spec: ConnectorSpec) -> type[FlaskForm]:
    attrs: dict[str, Any] = {"name": StringField("Name", [DataRequired(), Length(max=200)])}
    attrs |= {PREFIX + f.name: _field(f) for f in spec.fields}
    return type(f"{spec.name.title()}ConnectionForm", (FlaskForm,), attrs)


def _field(declared: ConfigField) -> Field:
    notes = [declared.help.strip().rstrip(".")] if declared.help.strip() else []
    render_kw: dict[str, Any] = {}
    if declared.default not in (None, "") and not declared.secret:
        notes.append(f"Leave empty for {declared.default}")
        render_kw["placeholder"] = str(declared.default)
    if declared.required and declared.default in (None, ""):
        render_kw["aria-required"] = "true"
    description = ". ".join(n[:1].upper() + n[1:] for n in notes) + ("." if notes else "")
    kwargs: dict[str, Any] = {"label": declared.label, "description": description}
    if declared.type is FieldType.BOOLEAN:
        return BooleanField(default=bool(declared.default), **kwargs)
    if declared.choices:
        choices = [("", "(default)" if declared.default else "—"), *((c, c) for c in declared.choices)]
        return SelectField(choices=choices, render_kw=render_kw, **kwargs)
    if declared.secret:
        render_kw["autocomplete"] = "off"
        return PasswordField(widget=PasswordInput(hide_value=False), render_kw=render_kw, **kwargs)
    if declared.type is FieldType.INTEGER:
        render_kw["inputmode"] = "numeric"
    elif declared.type is FieldType.URL:
        render_kw["inputmode"] = "url"
    return StringField(render_kw=render_kw, **kwargs)


def submitted(form: FlaskForm, spec: ConnectorSpec, *, editing: bool) -> dict[str, Any]:
    """The settings a person sent; on an edit, a secret left as MASK is not sent (the stored one stays)."""
    values: dict[str, Any] = {}
    for declared in spec.fields:
        value = form[PREFIX + declared.name].data
        if declared.secret and editing and value == MASK:
            continue
        if isinstance(value, str):
            value = value.strip()
        values[declared.name] = value
    return values


def shown(spec: ConnectorSpec, stored: dict[str, Any]) -> dict[str, Any]:
    """What an edit form starts with: the stored values, each stored secret replaced by MASK."""
    data: dict[str, Any] = {}
    for declared in spec.fields:
        value = stored.get(declared.name)
        if declared.secret:
            value = MASK if value not in (None, "") else ""
        data[PREFIX + declared.name] = "" if value is None else value
    return data


def show_problems(form: FlaskForm, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        field = form._fields.get(PREFIX + name)
        if field is None:
            field = form.name
        field.errors = [*field.errors, message]
