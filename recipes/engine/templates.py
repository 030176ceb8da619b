"""Templates users write (invite subjects and bodies, action fields) run in Jinja2's sandbox.

Saving checks each one compiles and names only the variables its place offers, so a typo
is a 400 when the recipe is saved rather than an empty invite at three in the morning.
"""

from __future__ import annotations

from collections.abc import Iterable

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

ENV = SandboxedEnvironment(autoescape=False)
"""Invites and actions are plain text; HTML escaping belongs to the channel that renders them."""
INVITE_VARIABLES = frozenset({"profile", "traits", "event", "campaign", "link"})
ACTION_VARIABLES = frozenset({"finding", "result", "profile"})
JOURNEY_ACTION_VARIABLES = frozenset({"journey"})
"""A journey-changed action is about a stage's rate, not an interview: it has no result or person."""


def template_problem(text: str, allowed: Iterable[str]) -> str | None:
    """Why `text` cannot be used as a template here, or None when it can."""
    try:
        parsed = ENV.parse(text)
    except TemplateSyntaxError as exc:
        return f"does not compile: {exc.message} (line {exc.lineno})"
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(allowed))
    if unknown:
        return f"uses unknown variable {', '.join(unknown)} (known: {', '.join(sorted(allowed))})"
    return None
