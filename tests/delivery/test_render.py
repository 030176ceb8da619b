"""An invite's words: the sandboxed templates as text and as escaped HTML, and the link's context."""

from __future__ import annotations

import pytest

from recipes.campaigns.render import RenderProblem, invite_context, render

LINK, UNSUBSCRIBE = "https://hub.example.com/i/tok", "https://hub.example.com/u/un"
PEOPLE = {"traits": {"first_name": "<script>alert(1)</script>", "plan": "pro"}, "event": {"name": "x"}}


def test_values_and_the_template_s_own_text_are_escaped_in_html_and_kept_in_text() -> None:
    campaign = {
        "subject": "Hi\n{{ traits.first_name }}",
        "body": "Hi {{ traits.first_name }} <3\n\nGo: {{ link }}",
    }
    words = render(campaign, PEOPLE, LINK, UNSUBSCRIBE)
    assert words.subject == "Hi <script>alert(1)</script>"
    assert words.text.startswith("Hi <script>alert(1)</script> <3\n\nGo: " + LINK)
    assert words.text.endswith(f"No more research invitations: {UNSUBSCRIBE}")
    assert "<script>" not in words.html
    assert words.html.startswith("<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; &lt;3</p>")
    assert f'<p>Go: <a href="{LINK}">{LINK}</a></p>' in words.html
    assert f'<a href="{UNSUBSCRIBE}">unsubscribe</a>' in words.html


def test_a_body_without_the_link_still_carries_it_and_an_empty_one_gets_the_default() -> None:
    words = render({"body": "Line one\nline two"}, PEOPLE, LINK, UNSUBSCRIBE)
    assert words.text.startswith(f"Line one\nline two\n\n{LINK}")
    assert words.html.startswith(f'<p>Line one<br>line two</p><p><a href="{LINK}">')
    default = render({}, {"traits": {"first_name": "Ada"}}, LINK, UNSUBSCRIBE)
    assert default.subject == "Could we ask you a few questions?"
    assert default.text.startswith("Hi Ada,") and LINK in default.text


@pytest.mark.parametrize(
    "body", ["{{ 1 / 0 }}", "{{ traits.__class__.__mro__ }}", "{{ event.name.__class__.__subclasses__() }}"]
)
def test_a_template_that_fails_or_reaches_outside_the_sandbox_is_a_render_problem(body: str) -> None:
    with pytest.raises(RenderProblem, match="template failed"):
        render({"body": body}, PEOPLE, LINK, UNSUBSCRIBE)


def test_the_context_has_the_campaign_s_traits_then_the_built_ins() -> None:
    traits = {
        "plan": "team",
        "segment": "smb",
        "journey_stage": "trial",
        "company": {"size": 40},
        "email": "a@b",
    }
    assert invite_context(["company.size", "plan", "missing"], traits, "trial_expired", "Trial ended") == {
        "company.size": 40,
        "plan": "team",
        "segment": "smb",
        "stage": "trial",
        "event": "trial_expired",
        "recipe": "Trial ended",
    }
    assert invite_context([], {}, None, None) == {}
