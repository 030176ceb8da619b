"""An invite's words: the campaign's subject and body rendered in the sandbox, as text and as HTML.

The templates are the ones saving checked (recipes.engine.templates), plain text written by a
person. The HTML part is that same text escaped as a whole (what the template says and every
value in it, so a trait holding `<script>` or a body saying `<3` is shown, never run), in
paragraphs, with the link as an anchor. Both parts end with the way to opt out. A body that
never uses `{{ link }}` still gets the link, after its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError, meta
from markupsafe import Markup, escape

from recipes.engine.templates import ENV

_MARKER = "journeyhub-invite-link-e3b0c442"
"""Stands for the link while the text is escaped into HTML, then becomes its anchor."""
DEFAULT_SUBJECT = "Could we ask you a few questions?"
DEFAULT_BODY = (
    "Hi{% if traits.first_name %} {{ traits.first_name }}{% endif %},\n\n"
    "we would love to hear about your experience. It takes about 15 minutes:\n\n{{ link }}\n\nThank you!"
)
BUILT_IN_CONTEXT = {"segment": ("segment",), "plan": ("plan",), "stage": ("journey_stage", "stage")}
"""Context every link carries when the person has it, whatever the campaign lists: name -> traits tried."""


class RenderProblem(ValueError):
    """A template that fails on this person's data; a person has to fix the campaign."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def invite_context(
    listed: list[str], traits: Mapping[str, Any], event_name: str | None, recipe_name: str | None
) -> dict[str, Any]:
    """What the signed link tells the interview: the campaign's traits, then the built-in context."""
    context: dict[str, Any] = {}
    for name in listed:
        value = _trait(traits, name)
        if value is not None:
            context[name] = value
    for name, candidates in BUILT_IN_CONTEXT.items():
        for candidate in candidates:
            if name not in context and (value := _trait(traits, candidate)) is not None:
                context[name] = value
    if event_name:
        context["event"] = event_name
    if recipe_name:
        context["recipe"] = recipe_name
    return context


def _trait(traits: Mapping[str, Any], name: str) -> Any:
    """`company.size` reads a nested trait when there is no trait named so."""
    if name in traits:
        return traits[name]
    value: Any = traits
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def render(
    campaign: Mapping[str, Any], variables: Mapping[str, Any], link: str, unsubscribe: str
) -> Rendered:
    """Subject, text and HTML of one invite; RenderProblem when a template fails on these values."""
    source = campaign.get("body") or DEFAULT_BODY
    try:
        subject = _compiled(campaign.get("subject") or DEFAULT_SUBJECT).render({**variables, "link": link})
        marked = _compiled(source).render({**variables, "link": _MARKER})
        uses_link = _uses_link(source)
    except TemplateError as exc:
        raise RenderProblem(f"the campaign's template failed: {exc}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise RenderProblem(f"the campaign's template failed: {type(exc).__name__}: {exc}") from None
    if not uses_link:
        marked += f"\n\n{_MARKER}"
    anchor = Markup('<a href="{0}">{0}</a>').format(link)
    html = _paragraphs(escape(marked)).replace(_MARKER, anchor)
    text = marked.replace(_MARKER, link) + f"\n\n--\nNo more research invitations: {unsubscribe}"
    footer = Markup(
        '<p style="font-size:small">No more research invitations: <a href="{0}">unsubscribe</a></p>'
    )
    return Rendered(" ".join(subject.split()), text, str(html + footer.format(unsubscribe)))


def _paragraphs(html: Markup) -> Markup:
    """Blank lines part paragraphs and single newlines break lines, as in the text part."""
    blocks = [block.strip() for block in html.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(block.replace("\n", Markup("<br>"))) for block in blocks
    )


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return ENV.from_string(source)


@lru_cache(maxsize=256)
def _uses_link(source: str) -> bool:
    return "link" in meta.find_undeclared_variables(ENV.parse(source))
