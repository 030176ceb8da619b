"""Connections: pick a connector, fill in what it declares, test it, sync its cohorts now.

Every step goes through hub.connections and hub.cohorts.service, as the API and CLI do.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from sqlalchemy.exc import IntegrityError

from admin.base import ReadOnlyView, badge
from admin.views.connection_form import form_class, show_problems, shown, submitted
from connectors.registry import UnknownConnector, all_connectors, get_connector
from connectors.sdk import Capability, ConfigProblem
from hub.cohorts.service import CohortProblem, request_sync
from hub.connections import check_connection, create_connection, public_view, settings, update_settings
from hub.db import db
from hub.models import Cohort, Connection

COHORTS_SHOWN = 50


class ConnectionView(ReadOnlyView):
    can_create = True
    can_edit = True
    column_list = ("id", "name", "connector", "status", "last_error", "created_at")
    column_searchable_list = ("name",)
    column_filters = ("connector", "status")
    column_formatters: dict[str, Any] = {"status": lambda v, c, m, p: badge(m.status)}

    def __init__(self) -> None:
        super().__init__(Connection, "Connections", "Data", endpoint="connection")

    @expose("/new/", methods=["GET", "POST"])
    def create_view(self) -> Any:
        name = request.args.get("connector", "")
        if not name:
            return self.render("jh/connection_pick.html", connectors=all_connectors())
        try:
            connector = get_connector(name)
        except UnknownConnector:
            abort(404)
        form = form_class(connector.spec)()
        if form.validate_on_submit():
            values = submitted(form, connector.spec, editing=False)
            try:
                created = create_connection(name, form.name.data.strip(), values)
                db.session.commit()
            except ConfigProblem as exc:
                db.session.rollback()
                show_problems(form, exc.problems)
            except IntegrityError:
                db.session.rollback()
                form.name.errors = [f"A {name} connection with this name exists already."]
            else:
                flash(f"Connection “{created.connection.name}” is added.", "success")
                return self.render(
                    "jh/connection_created.html", connection=created.connection, generated=created.generated
                )
        return self.render("jh/connection_form.html", form=form, spec=connector.spec, connection=None)

    @expose("/edit/", methods=["GET", "POST"])
    def edit_view(self) -> Any:
        connection = self._connection(request.args.get("id", ""))
        spec = get_connector(connection.connector).spec
        form = form_class(spec)(data={"name": connection.name, **shown(spec, settings(connection))})
        if form.validate_on_submit():
            try:
                connection.name = form.name.data.strip()
                update_settings(connection, submitted(form, spec, editing=True))
                db.session.commit()
            except ConfigProblem as exc:
                db.session.rollback()
                show_problems(form, exc.problems)
            except IntegrityError:
                db.session.rollback()
                form.name.errors = [f"A {connection.connector} connection with this name exists already."]
            else:
                flash("Saved.", "success")
                return redirect(url_for(".details_view", id=connection.id))
        return self.render("jh/connection_form.html", form=form, spec=spec, connection=connection)

    @expose("/details/")
    def details_view(self) -> Any:
        connection = self._connection(request.args.get("id", ""))
        connector = get_connector(connection.connector)
        cohorts = db.session.scalars(
            sa.select(Cohort)
            .where(Cohort.connection_id == connection.id)
            .order_by(Cohort.id)
            .limit(COHORTS_SHOWN)
        ).all()
        return self.render(
            "jh/connection_details.html",
            connection=connection,
            view=public_view(connection),
            spec=connector.spec,
            is_source=Capability.SOURCE in connector.spec.capabilities,
            cohorts=cohorts,
        )

    @expose("/<int:connection_id>/test", methods=["POST"])
    def test(self, connection_id: int) -> Any:
        connection = self._connection(str(connection_id))
        result = check_connection(connection)
        db.session.commit()
        message = result.message or ("the provider accepted the settings" if result.ok else "refused")
        flash(f"Test {'passed' if result.ok else 'failed'}: {message}", "success" if result.ok else "error")
        return redirect(url_for(".details_view", id=connection_id))

    @expose("/<int:connection_id>/sync", methods=["POST"])
    def sync(self, connection_id: int) -> Any:
        """Asks for a sync of each of the source's cohorts now (hub.cohorts.service.request_sync)."""
        self._connection(str(connection_id))
        cohorts = db.session.scalars(
            sa.select(Cohort)
            .where(Cohort.connection_id == connection_id)
            .order_by(Cohort.id)
            .limit(COHORTS_SHOWN)
        ).all()
        if not cohorts:
            flash("This source has no cohort to sync yet.", "warning")
        try:
            for cohort in cohorts:
                request_sync(cohort)
            if cohorts:
                flash(f"Sync requested for {len(cohorts)} cohort{'s' * (len(cohorts) != 1)}.", "success")
        except CohortProblem as exc:
            flash(str(exc), "error")
        return redirect(url_for(".details_view", id=connection_id))

    def _connection(self, connection_id: str) -> Connection:
        connection = db.session.get(Connection, int(connection_id)) if connection_id.isdigit() else None
        if connection is None:
            abort(404)
        return connection
