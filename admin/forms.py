"""The forms of sign-in, first-admin setup and API tokens; Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from hub.models.admin import MIN_PASSWORD, email_problem


def _email(_form: FlaskForm, field: EmailField) -> None:
    problem = email_problem((field.data or "").strip().lower())
    if problem:
        raise ValidationError("Enter an email address, like ada@example.com.")


class LoginForm(FlaskForm):
    email = EmailField("Email", [DataRequired(), Length(max=320)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", [DataRequired(), Length(max=1000)], render_kw={"autocomplete": "current-password"}
    )


class SetupForm(FlaskForm):
    email = EmailField("Email", [DataRequired(), _email], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password",
        [
            DataRequired(),
            Length(min=MIN_PASSWORD, max=1000, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
        description=f"At least {MIN_PASSWORD} characters.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Password again",
        [DataRequired(), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Name",
        [DataRequired(), Length(max=200)],
        description="Who or what uses it, to recognise it later (e.g. “nightly export”).",
    )


class ActionForm(FlaskForm):
    """A button that acts (test, sync, replay, revoke): only its CSRF token travels."""
