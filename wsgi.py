"""For any WSGI server: `gunicorn wsgi:app`."""

from hub.app import create_app

app = create_app()
