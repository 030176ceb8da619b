"""The admin UI at /admin/: sign-in, then flask-admin views over the hub's own services.

`create_app` calls `init_app`; nothing else in the hub imports this package. Views are
listed in admin/views/__init__.py, one module each, so new pages (the recipe builder, the
journey view) slot in by adding a module and a line there.
"""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin import auth, security
from admin.home import HomeView
from admin.views import register

NAME = "journeyhub"


def init_app(app: Flask) -> Admin:
    security.init_app(app)
    auth.init_app(app)
    admin = Admin(
        app,
        name=NAME,
        url="/admin",
        index_view=HomeView(name="Overview", url="/admin"),
        theme=Bootstrap4Theme(base_template="jh/base.html", fluid=True),
    )
    with app.app_context():  # flask-admin looks at db.session once while building each view
        register(admin)
    return admin
