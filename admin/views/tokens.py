"""API tokens: created here and shown once (only their hash is kept), listed, revoked."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, url_for
from flask_admin import expose

from admin.base import SecuredView
from admin.forms import TokenForm
from hub.api.auth import create_token
from hub.db import db
from hub.models import ApiToken

LISTED = 200
"""Tokens are made by hand, so a workspace has a few; the newest 200 are shown."""


class TokensView(SecuredView):
    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        form = TokenForm()
        created = None
        if form.validate_on_submit():
            created = create_token(form.name.data.strip())
            db.session.commit()
            form = TokenForm(formdata=None)
        tokens = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc()).limit(LISTED)).all()
        return self.render("jh/tokens.html", form=form, created=created, tokens=tokens)

    @expose("/<int:token_id>/revoke", methods=["POST"])
    def revoke(self, token_id: int) -> Any:
        token = db.session.get(ApiToken, token_id)
        if token is not None:
            db.session.delete(token)
            db.session.commit()
            flash(f"Token “{token.name}” is revoked: requests sending it now get 401.", "success")
        return redirect(url_for(".index"))
