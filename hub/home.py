"""`GET /`: what is running here and where to go next, for the person who just started it.

HTML for a browser, JSON for `Accept: application/json`. It names the kind of database and
of worker, never an address or a credential: the page needs no login.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Blueprint, current_app, render_template_string, request

from hub.db import db
from hub.runtime.jobs import InProcessBackend

bp = Blueprint("home", __name__)

FIRST_STEPS = (
    "TOKEN=$(.venv/bin/journeyhub token create --name me)",
    'curl -H "Authorization: Bearer $TOKEN" {base}/api/v1/connections',
    ".venv/bin/journeyhub connection add --help",
    ".venv/bin/journeyhub connection add hubspot --help",
    ".venv/bin/journeyhub connection list",
)
README_SECTION = "First steps"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>journeyhub</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code,pre{background:#f3f3f3;padding:.1rem .3rem}pre{padding:.6rem}</style></head>
<body>
<h1>journeyhub {{ about.version }} is running</h1>
<p>Database: {{ about.database }} · worker: {{ about.worker }}</p>
<h2>Where to go next</h2>
<ul>
<li>API: <a href="{{ about.links.openapi }}">{{ about.links.openapi }}</a> (OpenAPI document;
every <code>/api/v1/…</code> call takes <code>Authorization: Bearer $TOKEN</code>)</li>
<li>Health: <a href="{{ about.links.health }}">{{ about.links.health }}</a>,
readiness: <a href="{{ about.links.ready }}">{{ about.links.ready }}</a></li>
<li>Admin: {% if about.admin_ready %}<a href="{{ about.links.admin }}">{{ about.links.admin }}</a>
{% else %}<code>{{ about.links.admin }}</code> (coming){% endif %}</li>
<li>First steps: the README's walk-through, section "{{ about.readme }}"</li>
</ul>
<h2>First steps from the journeyhub folder</h2>
<pre>{% for line in about.first_steps %}{{ line }}
{% endfor %}</pre>
</body></html>
"""


@bp.get("/")
def home() -> Any:
    about = describe()
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return about
    return render_template_string(PAGE, about=about)


def describe() -> dict[str, Any]:
    backend = current_app.extensions["journeyhub.jobs"]
    admin_ready = any(rule.rule.startswith("/admin") for rule in current_app.url_map.iter_rules())
    return {
        "name": "journeyhub",
        "version": _version(),
        "database": db.engine.dialect.name,
        "worker": "in-process" if isinstance(backend, InProcessBackend) else "rq",
        "links": {
            "openapi": "/api/v1/openapi.json",
            "health": "/healthz",
            "ready": "/readyz",
            "admin": "/admin/",
        },
        "admin_ready": admin_ready,
        "readme": README_SECTION,
        "first_steps": [step.format(base=request.host_url.rstrip("/")) for step in FIRST_STEPS],
    }


def _version() -> str:
    try:
        return version("journeyhub")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"
