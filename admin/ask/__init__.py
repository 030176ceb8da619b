"""The insights chat in the admin: ask the research a question beside the journeys and findings.

The page posts to itself (CSRF like every admin form) and answers through the same service as
POST /api/v1/insights/ask, so the answer, its checked citations and the conversation are the
API's; each citation links to its transcript turn on the result's page (`#turn-N`). Opened from
a journey (`?journey_id=`) or a finding's recipe (`?recipe_id=`), the filters start there.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup, escape

from admin.base import PAGE_SIZE, SecuredView
from admin.charts import share_bar
from hub.config import current_settings
from hub.db import db
from hub.errors import ApiError
from hub.models import AskConversation, AskMessage, Journey, Recipe
from recipes.insights.api.ask import SEGMENT
from recipes.insights.ask.filters import Filters
from recipes.insights.ask.service import Question, ask

MAX_QUESTION = 2000
MARK = re.compile(r"\[(\d+)\]")


def _number(name: str) -> int | None:
    value = (request.values.get(name) or "").strip()
    return int(value) if value.isdigit() and 0 < len(value) < 10 else None


def linked(answer: dict[str, Any], message_id: int) -> Markup:
    """The answer's text with each [n] a link to its citation below."""
    text = str(escape(answer.get("answer", "")))
    count = len(answer.get("citations") or [])

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f'<a href="#c-{message_id}-{n}">[{n}]</a>' if 1 <= n <= count else match.group()

    return Markup(MARK.sub(link, text).replace("\n", "<br>"))  # noqa: S704 - escaped above; links hold numbers only


class AskView(SecuredView):
    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        problem = None
        if request.method == "POST":
            problem, conversation_id = self._asked()
            if problem is None:
                return redirect(url_for(".index", conversation=conversation_id))
        conversation_id = _number("conversation")
        conversation = db.session.get(AskConversation, conversation_id) if conversation_id else None
        messages = (
            db.session.scalars(
                sa.select(AskMessage)
                .where(AskMessage.conversation_id == conversation.id)
                .order_by(AskMessage.id)
            ).all()
            if conversation
            else []
        )
        kept = dict(conversation.filters) if conversation else {}
        for name in ("recipe_id", "journey_id"):
            kept[name] = _number(name) or kept.get(name)
        return self.render(
            "jh/ask.html",
            conversation=conversation,
            messages=messages,
            filters=kept,
            problem=problem,
            journeys=db.session.execute(
                sa.select(Journey.id, Journey.name).order_by(Journey.id).limit(200)
            ).all(),
            recipes=db.session.execute(
                sa.select(Recipe.id, Recipe.name).order_by(Recipe.id).limit(200)
            ).all(),
            conversations=db.session.scalars(
                sa.select(AskConversation).order_by(AskConversation.id.desc()).limit(PAGE_SIZE)
            ).all(),
            linked=linked,
            share_bar=share_bar,
        )

    def _asked(self) -> tuple[str | None, int | None]:
        form = request.form
        text = (form.get("question") or "").replace("\x00", "").strip()
        if not text or len(text) > MAX_QUESTION:
            return f"Ask a question (1 to {MAX_QUESTION} characters).", None
        segment = (form.get("segment") or "").strip() or None
        if segment is not None and not re.fullmatch(SEGMENT, segment):
            return "Segment: write it as traits.<name>=<value>, e.g. traits.plan=team.", None
        filters = Filters(
            recipe_id=_number("recipe_id"),
            journey_id=_number("journey_id"),
            stage=int(form["stage"])
            if (form.get("stage") or "").isdigit() and len(form["stage"]) < 5
            else None,
            segment=segment,
            include_low_quality=form.get("include_low_quality") == "on",
        )
        conversation_id = _number("conversation_id")
        named = frozenset({"recipe_id", "journey_id", "stage", "segment", "include_low_quality"})
        try:
            answer = ask(db.session, current_settings(), Question(text, filters, named, conversation_id))
        except ApiError as exc:
            db.session.rollback()
            return exc.message, None
        return None, int(answer["conversation_id"])
